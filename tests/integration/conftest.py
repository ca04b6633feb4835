"""Fixtures: a built dbt project per test, on DuckDB and on PostgreSQL (marker `postgres`), and the emulator.

The project is built once per session (per pytest-xdist worker) into a template; each test gets its own
copy (its own DuckDB file, or its own PostgreSQL database made from the template's) so it can change seeds
and state without other tests seeing it. Everything is named per worker or per test (temporary
directories, uuid database names, emulators on port 0), so tests run in parallel safely.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import (
    KEY,
    TRACK,
    Project,
    copy_project,
    create_pg_database,
    drop_pg_database,
    target_env,
)


@pytest.fixture(scope="session", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    """Built once per session (per xdist worker): the DuckDB file in the project, or a PostgreSQL
    database of its own that each test's database is copied from."""
    target = str(request.param)
    path = tmp_path_factory.mktemp(f"template_{target}") / "project"
    copy_project(path)
    name = f"t{uuid.uuid4().hex[:8]}"
    database = f"pit_{name}" if target == "postgres" else ""
    if database:
        create_pg_database(database)
    project = Project(path, target, target_env(path, target, name, database))
    try:
        project.dbt("deps")
        project.rebuild()
        yield project
    finally:
        if database:
            drop_pg_database(database)


@pytest.fixture
def project(built_template: Project, tmp_path: Path) -> Iterator[Project]:
    """A private copy of the built project: its own DuckDB file, or its own PostgreSQL database (a copy
    of the template's, same schema names), so a test may change seeds, tables and state freely."""
    path = tmp_path / "project"
    shutil.copytree(built_template.path, path, symlinks=True)
    if built_template.target == "duckdb":
        yield Project(path, "duckdb", target_env(path, "duckdb", ""))
        return
    database = f"pit_{uuid.uuid4().hex[:10]}"
    create_pg_database(database, template=built_template.env["PENDO_SYNC_TEST_PG_DB"])
    try:
        yield Project(path, "postgres", {**built_template.env, "PENDO_SYNC_TEST_PG_DB": database})
    finally:
        drop_pg_database(database)


@pytest.fixture
def pendo_schema() -> dict[str, Any]:
    """The fields the suite's metadata models map, as a Pendo subscription set up for them has them
    (`plan` is an agent field a test maps later)."""
    return {
        "visitor": {
            "agent": {"email": "string", "firstname": "string", "plan": "string"},
            "custom": {"plan_tier": "string", "seats": "integer", "is_admin": "boolean"},
        },
        "account": {"agent": {"name": "string"}, "custom": {"plan_tier": "string", "arr_usd": "float"}},
    }


@pytest.fixture
def emulator(project: Project, pendo_schema: dict[str, Any]) -> Iterator[Emulator]:
    """Pendo knowing every visitor and account of the seeds, and the fields the suite maps."""
    visitors = [r["user_id"] for r in project.seed_rows("visitors")]
    accounts = [r["account_id"] for r in project.seed_rows("accounts")]
    with Emulator(KEY, TRACK) as emu:
        emu.seed({"visitors": visitors, "accounts": accounts, "schema": pendo_schema})
        yield emu
