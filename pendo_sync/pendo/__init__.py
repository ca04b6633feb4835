"""Talking to Pendo: the HTTP client, response parsing, and a local emulator for tests and demos."""
