"""Helpers for integration tests: a private, built copy of integration_tests/ and ways to drive it.

Real parts only: dbt (in-process, dbtRunner) builds the project on DuckDB or PostgreSQL, and
`pendo-dbt` runs through its real CLI against the emulator on loopback.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from pendo_sync.cli import main
from pendo_sync.pendo.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
KEY = "it-sentinel-integration-key"
TRACK = "it-sentinel-track-secret"
os.environ.setdefault("DO_NOT_TRACK", "1")
# What the suite builds: the seeds and the tagged models the tests sync.
BUILT = ("visitors", "accounts", "app_events", "pendo_visitors", "pendo_accounts", "pendo_events")


@dataclass
class Project:
    path: Path
    target: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def flags(self) -> list[str]:
        return ["--project-dir", str(self.path), "--profiles-dir", str(self.path), "--target", self.target]

    def dbt(self, *args: str, expect_ok: bool = True) -> Any:
        from dbt.cli.main import dbtRunner

        with environ(self.env):
            result = dbtRunner().invoke([*args, *self.flags])
        if expect_ok:
            assert result.success, f"dbt {' '.join(args)} failed: {result.exception}"
        return result

    def sync(
        self,
        emulator: Emulator,
        *args: str,
        command: str = "sync",
        env: dict[str, str] | None = None,
        log_format: str = "text",
    ) -> Result:
        """Run `pendo-dbt <command>`; without --select, on the two metadata models of the suite."""
        if "--select" not in args and "-s" not in args:
            args = (*args, "--select", "pendo_visitors", "--select", "pendo_accounts")
        env = {**self.pendo_env(emulator), **(env or {})}
        argv = ["--log-format", log_format, command, *self.flags, *args]
        return CliRunner().invoke(main, argv, env=env, catch_exceptions=False)

    def pendo_env(self, emulator: Emulator) -> dict[str, str]:
        """The project's environment plus Pendo's credentials and the emulator's address."""
        return {
            **self.env,
            "PENDO_INTEGRATION_KEY": KEY,
            "PENDO_TRACK_EVENT_SECRET": TRACK,
            "PENDO_BASE_URL": emulator.url,
        }

    def process_env(self, emulator: Emulator) -> dict[str, str]:
        """What a `pendo-dbt` subprocess gets: this process's environment plus `pendo_env`."""
        return {**os.environ, **self.pendo_env(emulator), "DO_NOT_TRACK": "1"}

    def results(self) -> dict[str, Any]:
        return dict(json.loads((self.path / "target" / "pendo_sync_results.json").read_text()))

    def seed_rows(self, name: str) -> list[dict[str, str]]:
        with (self.path / "seeds" / f"{name}.csv").open(newline="") as f:
            return list(csv.DictReader(f))

    def write_seed(self, name: str, rows: list[dict[str, str]]) -> None:
        with (self.path / "seeds" / f"{name}.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    def rebuild(self) -> None:
        self.dbt("build", "--select", *BUILT)


class environ:
    """Set environment variables for the duration of a block (dbt reads env_var() from os.environ)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env: dict[str, str] = env
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)

    def __exit__(self, *exc: object) -> None:
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def copy_project(dest: Path) -> None:
    ignore = shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb*", "package-lock.yml")
    shutil.copytree(REPO / "integration_tests", dest, ignore=ignore)
    (dest / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")


def target_env(path: Path, target: str, name: str, database: str = "") -> dict[str, str]:
    """What profiles.yml reads: the DuckDB file in the project, or the PostgreSQL schema `it_<name>` (in
    `database`, or the server's `test` database)."""
    if target == "duckdb":
        return {"PENDO_SYNC_TEST_DUCKDB": str(path / "warehouse.duckdb")}
    env = {"PENDO_SYNC_TEST_PG_SCHEMA": f"it_{name}"}
    return {**env, "PENDO_SYNC_TEST_PG_DB": database} if database else env


def _pg_admin(*statements: tuple[str, list[str]]) -> None:
    """Statements that cannot run in a transaction (CREATE/DROP DATABASE), from the `test` database."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="test")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for sql, params in statements:
                cur.execute(sql, params)
    finally:
        conn.close()


def create_pg_database(name: str, template: str = "") -> None:
    """A new database; with `template`, a copy of that one (PostgreSQL copies its files: no dbt build).
    A template must have no sessions, so any left (e.g. dbt's pool after the build) are ended first."""
    if not template:
        _pg_admin((f'create database "{name}"', []))
        return
    _pg_admin(
        (
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
            [template],
        ),
        (f'create database "{name}" template "{template}"', []),
    )


def rename_pg_database(name: str, new_name: str) -> None:
    _pg_admin(
        (
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
            [name],
        ),
        (f'alter database "{name}" rename to "{new_name}"', []),
    )


def drop_pg_database(name: str) -> None:
    _pg_admin((f'drop database if exists "{name}" with (force)', []))


def metadata_posts(emulator: Emulator) -> list[dict[str, Any]]:
    return [
        r
        for r in emulator.requests_log
        if r["method"] == "POST" and r["path"].startswith("/api/v1/metadata/")
    ]
