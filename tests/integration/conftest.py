"""Fixtures: a built dbt project per test, on DuckDB and on PostgreSQL (marker `postgres`), and the emulator.

The project is built once per session (per pytest-xdist worker) into a template; each test gets its own
copy (its own DuckDB file, or its own PostgreSQL database made from the template's) so it can change seeds
and state without other tests seeing it. Everything is named per worker or per test (temporary
directories, uuid database names, emulators on port 0), so tests run in parallel safely.
"""

from __future__ import annotations

import os
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
    rename_pg_database,
    target_env,
)


@pytest.fixture(scope="session", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    """Built once per session (per xdist worker). Its profile is the one every copy uses, so dbt's
    partial parse (keyed on the profile's connection) still holds in each test: a full parse costs ~5 s.
    DuckDB: the file is reached through a per-worker symlink to the project of the test running. PostgreSQL:
    the built database is renamed `<name>_tmpl`, and each test gets a fresh `<name>` made from it."""
    target = str(request.param)
    path = tmp_path_factory.mktemp(f"template_{target}") / "project"
    copy_project(path)
    name = f"t{uuid.uuid4().hex[:8]}"
    if target == "duckdb":
        link = tmp_path_factory.getbasetemp() / "duckdb_project"
        point(link, path)
        project = Project(path, target, {"PENDO_SYNC_TEST_DUCKDB": str(link / "warehouse.duckdb")})
        project.dbt("deps")
        project.rebuild()
        yield project
        return
    database = f"pit_{name}"
    create_pg_database(database)
    project = Project(path, target, target_env(path, target, name, database))
    try:
        project.dbt("deps")
        project.rebuild()
        rename_pg_database(database, f"{database}_tmpl")
        yield project
    finally:
        drop_pg_database(database)
        drop_pg_database(f"{database}_tmpl")


@pytest.fixture
def project(built_template: Project, tmp_path: Path) -> Iterator[Project]:
    """A private copy of the built project: its own DuckDB file, or its own PostgreSQL database (a copy
    of the template's), under the template's profile, so a test may change seeds, tables and state freely."""
    path = tmp_path / "project"
    shutil.copytree(built_template.path, path, symlinks=True)
    if built_template.target == "duckdb":
        close_duckdb()
        point(Path(built_template.env["PENDO_SYNC_TEST_DUCKDB"]).parent, path)
        yield Project(path, "duckdb", dict(built_template.env))
        close_duckdb()
        return
    database = built_template.env["PENDO_SYNC_TEST_PG_DB"]
    drop_pg_database(database)
    create_pg_database(database, template=f"{database}_tmpl")
    try:
        yield Project(path, "postgres", dict(built_template.env))
    finally:
        drop_pg_database(database)


def point(link: Path, target: Path) -> None:
    """Make `link` a symlink to `target`, replacing what it pointed to at once."""
    temporary = link.with_name(f"{link.name}.{uuid.uuid4().hex[:6]}")
    temporary.symlink_to(target, target_is_directory=True)
    os.replace(temporary, link)


def close_duckdb() -> None:
    """dbt-duckdb keeps one database open per process, reused while the profile is the same; every copy
    has the same profile, so the previous test's database is closed before the next is reached."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


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
