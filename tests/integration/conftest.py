"""Fixtures: a built dbt project per test, on DuckDB and on PostgreSQL (marker `postgres`), and the emulator.

The project is built once per session into a template; each test gets its own copy (its own DuckDB
file, or its own PostgreSQL schema) so it can change seeds and state without other tests seeing it.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import KEY, TRACK, Project, copy_project, drop_pg_schemas, target_env


@pytest.fixture(scope="session", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    target = str(request.param)
    path = tmp_path_factory.mktemp(f"template_{target}") / "project"
    copy_project(path)
    name = f"t{uuid.uuid4().hex[:8]}"
    project = Project(path, target, target_env(path, target, name))
    project.dbt("deps")
    project.rebuild()
    yield project
    if target == "postgres":
        drop_pg_schemas(f"it_{name}")


@pytest.fixture
def project(built_template: Project, tmp_path: Path) -> Iterator[Project]:
    path = tmp_path / "project"
    shutil.copytree(built_template.path, path, symlinks=True)
    if built_template.target == "duckdb":
        yield Project(path, "duckdb", target_env(path, "duckdb", ""))
        return
    name = uuid.uuid4().hex[:10]
    copy = Project(path, "postgres", target_env(path, "postgres", name))
    copy.rebuild()
    try:
        yield copy
    finally:
        drop_pg_schemas(f"it_{name}")


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
