"""The pieces of bench/run.py: processes, the emulator, the dbt project, raw clients, the report."""
