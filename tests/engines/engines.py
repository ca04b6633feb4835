"""The engines the end-to-end suite runs on, and how a test drives dbt and `pendo-dbt` against them.

Every engine gets, per test, a namespace of its own (a DuckDB file, a PostgreSQL database, a schema on the
fakesnow server or in the Spark metastore) and a private copy of integration_tests/ pointed at it through
the environment that profiles.yml reads. dbt and `pendo-dbt` run as processes, as a user runs them: Spark's
embedded metastore admits one process at a time, so the test process itself never opens an engine.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project, create_pg_database, drop_pg_database

# Redshift functions and system objects PostgreSQL lacks, which dbt-redshift uses (len() for dbt.length,
# the late-binding and external columns of a relation): stand-ins created once in the template database the
# per-test databases are copied from.
REDSHIFT_SHIMS = (
    "create function len(text) returns integer language sql immutable as 'select length($1)'",
    "create function pg_get_late_binding_view_cols() returns setof record language sql as "
    "$$ select null::name, null::name, null::name, null::varchar, null::int where false $$",
    "set allow_system_table_mods = on",
    "create view pg_catalog.svv_external_columns as select null::name as schemaname, null::name as tablename, "
    "null::name as columnname, null::text as external_type, null::int as columnnum where false",
)
DBT = str(Path(sys.executable).with_name("dbt"))
TIMEOUT = 900  # seconds; a Spark step takes well under a minute, a hung one fails the test


@dataclass
class EngineProject:
    """A private built copy of integration_tests/ on one engine, driven through processes."""

    project: Project

    @property
    def target(self) -> str:
        return self.project.target

    def dbt(self, *args: str) -> str:
        done = self._run([DBT, *args, *self.project.flags], self.env())
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"dbt {' '.join(args)} failed on {self.target}:\n{output[-4000:]}"
        return done.stdout

    def show(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a query through dbt (`dbt show`), as dbt's adapter returns them."""
        out = self.dbt("--quiet", "show", "--inline", sql, "--limit", "-1", "--output", "json")
        rows = json.loads(out[out.index("{") :])["show"]
        return [tuple(row.values()) for row in rows]

    def sync(self, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
        """`pendo-dbt sync`; its output (stdout then stderr) in `stdout`, for the test's messages."""
        done = self._run(self.sync_argv(*args), self.project.process_env(emulator))
        done.stdout += done.stderr
        return done

    def start_sync(self, emulator: Emulator, *args: str) -> subprocess.Popen[bytes]:
        env = self.project.process_env(emulator)
        return subprocess.Popen(
            self.sync_argv(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def sync_argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "pendo_sync", "sync", *self.project.flags, *args]

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.project.env, "DO_NOT_TRACK": "1"}

    def _run(self, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=TIMEOUT)


class Engine:
    """One engine for a test session: `namespace` gives each test its own database or schema."""

    target = "duckdb"

    @contextmanager
    def namespace(self, path: Path) -> Iterator[dict[str, str]]:
        yield {"PENDO_SYNC_TEST_DUCKDB": str(path / "warehouse.duckdb")}

    def close(self) -> None:
        pass


class Postgres(Engine):
    target = "postgres"

    @contextmanager
    def namespace(self, path: Path) -> Iterator[dict[str, str]]:
        name = f"e{uuid.uuid4().hex[:10]}"
        create_pg_database(name)
        try:
            yield {"PENDO_SYNC_TEST_PG_DB": name, "PENDO_SYNC_TEST_PG_SCHEMA": "it"}
        finally:
            drop_pg_database(name)


class Redshift(Engine):
    """dbt-redshift's driver through tests/engines/redshift_proxy.py to the local PostgreSQL."""

    target = "redshift"

    def __init__(self) -> None:
        from tests.engines.redshift_proxy import RedshiftProxy

        self.proxy = RedshiftProxy().__enter__()
        self.template = f"rst{uuid.uuid4().hex[:10]}"
        create_pg_database(self.template)
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=self.template)
        try:
            with conn, conn.cursor() as cur:
                for statement in REDSHIFT_SHIMS:
                    cur.execute(statement)
        finally:
            conn.close()

    @contextmanager
    def namespace(self, path: Path) -> Iterator[dict[str, str]]:
        name = f"rs{uuid.uuid4().hex[:10]}"
        create_pg_database(name, template=self.template)
        env = {"PENDO_SYNC_TEST_PG_DB": name, "PENDO_SYNC_TEST_PG_SCHEMA": "it"}
        try:
            yield {**env, "PENDO_SYNC_TEST_RS_PORT": str(self.proxy.port)}
        finally:
            drop_pg_database(name)

    def close(self) -> None:
        self.proxy.__exit__(None, None, None)
        drop_pg_database(self.template)


class Fakesnow(Engine):
    """fakesnow's server (Snowflake's wire protocol and SQL over DuckDB, not Snowflake): one per session,
    a schema per test."""

    target = "snowflake"

    def __init__(self) -> None:
        self.port = free_port()
        fakesnow = str(Path(sys.executable).with_name("fakesnow"))
        self.server = subprocess.Popen(
            [fakesnow, "-s", "-p", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port, self.server)

    @contextmanager
    def namespace(self, path: Path) -> Iterator[dict[str, str]]:
        name = f"it_{uuid.uuid4().hex[:10]}"
        yield {"PENDO_SYNC_TEST_SF_PORT": str(self.port), "PENDO_SYNC_TEST_SF_SCHEMA": name}

    def close(self) -> None:
        self.server.kill()
        self.server.wait()


class Spark(Engine):
    """A local pyspark session per process; the metastore (Derby) and the tables live in one directory per
    xdist worker, which admits one process at a time: the steps of a test run one after another."""

    target = "spark"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @contextmanager
    def namespace(self, path: Path) -> Iterator[dict[str, str]]:
        name = f"it_{uuid.uuid4().hex[:10]}"
        yield {"PENDO_SYNC_TEST_SPARK_DIR": str(self.directory), "PENDO_SYNC_TEST_SPARK_SCHEMA": name}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not start (exit code {process.poll()})")
