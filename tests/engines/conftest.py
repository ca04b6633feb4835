"""Fixtures of the end-to-end suite on every engine that runs here.

DuckDB and PostgreSQL run in the default venv; fakesnow (Snowflake's stand-in), Spark and Redshift's driver
need `scripts/bootstrap --engines` (.venv-engines) and are skipped, with the reason, where their packages are
absent. Each engine is set up once per session (per xdist worker) and gives each test a namespace of its own.
Markers: engine_snowflake, engine_spark, engine_redshift (and postgres for what needs the local server).
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pendo_sync.pendo.emulator import Emulator
from tests.engines.engines import Engine, EngineProject, Fakesnow, Postgres, Redshift, Spark
from tests.integration.harness import KEY, TRACK, Project, copy_project

ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("snowflake", id="fakesnow", marks=[pytest.mark.engine_snowflake]),
    pytest.param(
        "spark",
        id="spark",
        marks=[pytest.mark.engine_spark, pytest.mark.slow],
    ),
    pytest.param("redshift", id="redshift", marks=[pytest.mark.engine_redshift, pytest.mark.postgres]),
]
# What each engine needs beyond the default venv: (module, what to install).
NEEDS = {
    "snowflake": [("dbt.adapters.snowflake", "dbt-snowflake"), ("fakesnow", "fakesnow[server]")],
    "spark": [("dbt.adapters.spark", "dbt-spark[session]"), ("pyspark", "pyspark")],
    "redshift": [("dbt.adapters.redshift", "dbt-redshift")],
}


def _missing(target: str) -> list[str]:
    found = []
    for module, package in NEEDS.get(target, []):
        try:
            present = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            present = False
        if not present:
            found.append(package)
    if target == "spark" and shutil.which("java") is None:
        found.append("java (JDK 17)")
    return found


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    target = str(request.param)
    missing = _missing(target)
    if missing:
        pytest.skip(f"{target}: {', '.join(missing)} not installed (scripts/bootstrap --engines)")
    engines: dict[str, Any] = {
        "duckdb": Engine,
        "postgres": Postgres,
        "snowflake": Fakesnow,
        "redshift": Redshift,
        "spark": lambda: Spark(tmp_path_factory.mktemp("spark")),
    }
    opened: Engine = engines[target]()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="session")
def template(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """integration_tests/ with its packages installed (`dbt deps`), copied by each test."""
    path = tmp_path_factory.mktemp(f"engine_{engine.target}") / "project"
    copy_project(path)
    EngineProject(Project(path, engine.target)).dbt("deps")
    return path


@pytest.fixture
def engine_project(engine: Engine, template: Path, tmp_path: Path) -> Iterator[EngineProject]:
    path = tmp_path / "project"
    shutil.copytree(template, path, symlinks=True)
    with engine.namespace(path) as env:
        yield EngineProject(Project(path, engine.target, env))


@pytest.fixture
def emulator(engine_project: EngineProject) -> Iterator[Emulator]:
    """Pendo knowing every visitor and account of the seeds and the fields the suite maps."""
    project = engine_project.project
    with Emulator(KEY, TRACK) as emu:
        emu.seed(
            {
                "visitors": [r["user_id"] for r in project.seed_rows("visitors")],
                "accounts": [r["account_id"] for r in project.seed_rows("accounts")],
                "schema": {
                    "visitor": {
                        "agent": {"email": "string", "firstname": "string"},
                        "custom": {"plan_tier": "string", "seats": "integer", "is_admin": "boolean"},
                    },
                    "account": {
                        "agent": {"name": "string"},
                        "custom": {"plan_tier": "string", "arr_usd": "float"},
                    },
                },
            }
        )
        yield emu
