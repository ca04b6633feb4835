"""Suite-wide options and settings.

Tests marked `slow` (the long crash and concurrency runs) run by default, so `scripts/test` and `.ci/run`
run everything; `--quick` leaves them out for a faster loop while developing.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

# Hypothesis' default 200 ms deadline per example measures the machine, not the code: on a loaded 2-core
# runner the DuckDB-backed properties cross it. Tests never assert timings.
settings.register_profile("pendo-dbt", deadline=None)
settings.load_profile("pendo-dbt")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--quick", action="store_true", help="leave out the tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--quick"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
