"""Suite-wide options and settings.

Tests marked `slow` (the long crash and concurrency runs) run by default, so `scripts/test` and `.ci/run`
run everything; `--quick` leaves them out for a faster loop while developing.
"""

from __future__ import annotations

import inspect
import os
import sys

import pytest
from hypothesis import settings

# Hypothesis' default 200 ms deadline per example measures the machine, not the code: on a loaded 2-core
# runner the DuckDB-backed properties cross it. Tests never assert timings.
settings.register_profile("pendo-dbt", deadline=None)
settings.load_profile("pendo-dbt")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker
        _name_the_workers_own_frames()


def _name_the_workers_own_frames() -> None:
    """An xdist worker runs execnet's and xdist's code as exec'd source, so the frames at the bottom of
    every stack belong to no module. dbt builds each adapter's behaviour flags with `inspect.stack()`, and
    for a frame of no module `inspect.getmodule` walks all of sys.modules every time: in a worker that had
    loaded dbt, protobuf and the rest, one test's in-process `dbt ls` calls took minutes instead of
    seconds. Telling inspect what those files are (modules it would not have found either) gives the same
    answers without the walk."""
    frame = sys._getframe()
    while frame is not None:
        filename = frame.f_code.co_filename
        name = frame.f_globals.get("__name__", "__main__")
        for path in (filename, os.path.normcase(os.path.abspath(filename))):
            inspect.modulesbyfile.setdefault(path, name)
        frame = frame.f_back  # type: ignore[assignment]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--quick", action="store_true", help="leave out the tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--quick"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
