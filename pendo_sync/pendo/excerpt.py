"""Excerpts of Pendo's answers for messages: short and on one line, since Pendo publishes no error
schema and a 5xx may be a whole HTML page."""

from __future__ import annotations

SNIPPET = 200  # characters of an answer quoted in a reason


def snippet(body: bytes) -> str:
    """A short, single-line excerpt of a response body for an error message."""
    text = " ".join(body.decode("utf-8", "replace").split())[:SNIPPET]
    return f": {text}" if text else ""
