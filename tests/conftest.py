"""Suite-wide options and settings.

By default the suite is the loop a developer runs: everything but the tests marked `postgres` (they need
the server) and `slow` (the long crash and concurrency runs). `--all` runs those too, as `.ci/run` does;
so does any `-m` expression, which then alone decides (`-m postgres`, `-m "not slow"`).
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
    parser.addoption(
        "--all", action="store_true", help="also run the tests marked postgres and slow (what .ci/run runs)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--all") or config.getoption("markexpr"):
        return
    left_out = [
        item for item in items if item.get_closest_marker("slow") or item.get_closest_marker("postgres")
    ]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        kept = set(map(id, left_out))
        items[:] = [item for item in items if id(item) not in kept]
