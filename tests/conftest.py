"""Suite-wide settings."""

from __future__ import annotations

from hypothesis import settings

# Hypothesis' default 200 ms deadline per example measures the machine, not the code: on a loaded 2-core
# runner the DuckDB-backed properties cross it. Tests never assert timings.
settings.register_profile("pendo-dbt", deadline=None)
settings.load_profile("pendo-dbt")
