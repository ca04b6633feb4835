"""bench/project: build it with dbt at a given size, and read back what a raw client would send.

The rows are made in SQL (DuckDB's `range()`), sized by dbt vars, so a million visitors cost no files.
The raw clients send bodies encoded from the very rows pendo-dbt reads, so both send the same bytes'
worth of the same records; encoding happens before any clock starts.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = "bench"
VISITORS, VISITORS_TENTH, EVENTS = "bench_visitors", "bench_visitors_tenth", "bench_events"
VISITORS_NARROW = "bench_visitors_narrow"  # three columns: the memory guard's model
EVENTS_DISTANT = "bench_events_distant"
GROUP_COLUMNS = {"agent": ("email", "login_count"), "custom": ("plan_tier", "arr", "last_login", "is_admin")}


@dataclass(frozen=True)
class Project:
    directory: Path
    duckdb_path: Path
    dbt: str
    env: dict[str, str]

    def dbt_command(self, *args: str) -> list[str]:
        return [self.dbt, *args, "--project-dir", str(self.directory), "--profiles-dir", str(self.directory)]

    def deps(self, log: Path) -> None:
        self._run(self.dbt_command("deps"), log)

    def build(self, sizes: dict[str, int], revision: int, log: Path, select: str | None = None) -> None:
        """`dbt build` with the sizes (`bench_*` vars) as vars; `select` rebuilds one model (the 1%-changed
        rebuild)."""
        dbt_vars = json.dumps({**sizes, "bench_revision": revision})
        args = ["build", "--vars", dbt_vars, *(["--select", select] if select else [])]
        self._run(self.dbt_command(*args), log)

    def parse(self, log: Path, dbt_vars: dict[str, Any] | None = None) -> None:
        """`dbt parse`: target/manifest.json for this project's warehouse again (it names the database);
        with `dbt_vars`, as a user's `dbt run` before a sync with the same vars leaves it, so the sync's
        own parse is partial."""
        extra = ["--vars", json.dumps(dbt_vars)] if dbt_vars else []
        self._run(self.dbt_command("parse", *extra), log)

    def _run(self, command: list[str], log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            result = subprocess.run(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        if result.returncode:
            raise RuntimeError(f"{' '.join(command[:2])} failed (exit {result.returncode}); see {log}")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Read-only and closed at once: DuckDB lets one process write the file, and that is pendo-dbt."""
        import duckdb

        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).fetchall()


def metadata_bodies(project: Project, model: str, batch_size: int) -> list[tuple[str, bytes]]:
    """(path, body) of every bulk request pendo-dbt would make for `model`: one per group per batch."""
    rows = project.query(
        "select visitor_id, email, login_count, plan_tier, cast(arr as double), epoch_ms(last_login), "
        f"is_admin from {SCHEMA}.{model}"
    )
    names = ("email", "login_count", "plan_tier", "arr", "last_login", "is_admin")
    bodies = []
    for chunk in _chunks(rows, batch_size):
        records = [(row[0], dict(zip(names, row[1:]))) for row in chunk]
        for group, columns in GROUP_COLUMNS.items():
            entries = [
                {"visitorId": key, "values": {c: values[c] for c in columns}} for key, values in records
            ]
            bodies.append((f"/api/v1/metadata/visitor/{group}/value?create=true", _encode(entries)))
    return bodies


def event_bodies(project: Project, model: str) -> list[bytes]:
    """The Track event body of every row of `model`, shaped as pendo-dbt shapes it."""
    rows = project.query(
        "select event, visitor_id, epoch_ms(occurred_at), account_id, plan, cast(amount as double), ip "
        f"from {SCHEMA}.{model}"
    )
    return [
        _encode(
            {
                "type": "track",
                "event": event,
                "visitorId": visitor,
                "timestamp": timestamp,
                "accountId": account,
                "properties": {"plan": plan, "amount": int(amount) if amount.is_integer() else amount},
                "context": {"ip": ip},
            }
        )
        for event, visitor, timestamp, account, plan, amount, ip in rows
    ]


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
