"""Sync state in the warehouse: what Pendo acknowledged, per model, group and record key.

CI runners are ephemeral, so state cannot live on local disk; it lives next to the models. Every write
is one transaction, so a kill at any point leaves state either before or after a batch, never between,
and a rerun sends whatever state does not record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pendo_sync import state_sql as sql
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.errors import LockError
from pendo_sync.manifest import Manifest
from pendo_sync.row_outcome import RowOutcome

STATE_NODE = "model.pendo_sync.pendo_sync_state"


class Gate:
    """What a request waits on until a state write it depends on is committed; raises if it failed."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._error: BaseException | None = None

    def open(self, error: BaseException | None = None) -> None:
        self._error = error
        self._done.set()

    def wait(self) -> None:
        self._done.wait()
        if self._error is not None:
            raise self._error


@dataclass
class StateWrite:
    """What one or more answered batches of a model leave in state: one transaction's worth."""

    model_id: str
    run_id: str
    acknowledged: dict[str, list[tuple[str, str | None]]]  # by group: (key, hash) Pendo acknowledged
    replaced: dict[str, set[str]]  # by group: keys that had state (their old row is deleted)
    problems: dict[str, list[RowOutcome]]  # by group: rows that did not land
    gates: list[Gate] = field(default_factory=list)  # opened once this write is committed

    def absorb(self, other: StateWrite) -> None:
        """Take in a later write of the same model (keys are unique in a model: no key is in both)."""
        self.gates.extend(other.gates)
        for group, rows in other.acknowledged.items():
            self.acknowledged.setdefault(group, []).extend(rows)
        for group, problems in other.problems.items():
            self.problems.setdefault(group, []).extend(problems)
        for group, keys in other.replaced.items():
            self.replaced.setdefault(group, set()).update(keys)


def state_schema(manifest: Manifest, warehouse: Warehouse) -> str:
    """Where state lives: the var `pendo_sync_schema`, else where dbt builds the package's state model
    (so a custom generate_schema_name is honoured), else `<target schema>_pendo_sync`."""
    override = warehouse.vars.get("pendo_sync_schema")
    if override:
        return str(override)
    node = next((m for m in manifest.models if m.unique_id == STATE_NODE), None)
    return node.schema if node else f"{warehouse.target_schema}_pendo_sync"


class StateStore:
    def __init__(self, warehouse: Warehouse, schema: str) -> None:
        self.warehouse = warehouse
        self.dialect = sql.dialect_for(warehouse.capabilities, warehouse.quote, warehouse.name_as_built)
        self.schema_name = schema
        self.schema = warehouse.project_relation(schema)  # as dbt builds it: ref('pendo_sync_state') reads it

    def table(self, name: str) -> str:
        return self.warehouse.project_relation(self.schema_name, name)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One sync per state schema at a time, so two runs never interleave their state writes.

        PostgreSQL: a session-level advisory lock, released by the server even if we are killed -9.
        DuckDB: the database file admits one writing process, so the second run cannot even connect
        (dbt_bridge/warehouse.py turns that into a LockError). Other warehouses: rely on the scheduler
        (e.g. a CI `concurrency:` group), as docs/ci.md shows.
        """
        if self.warehouse.adapter_type != "postgres":
            yield
            return
        key = int.from_bytes(
            hashlib.sha256(f"pendo_sync:{self.schema_name}".encode()).digest()[:8], "big", signed=True
        )
        p = sql.PARAM
        if not self.warehouse.query(f"select pg_try_advisory_lock({p})", [key])[0][0]:
            raise LockError(
                f"Another pendo-dbt sync is running against state schema {self.schema_name}. Wait for it to "
                "finish and rerun (its state is safe: each run records only what Pendo acknowledged)."
            )
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self.warehouse.query(f"select pg_advisory_unlock({p})", [key])

    def exists(self) -> bool:
        return self.warehouse.columns(self.table(sql.RUNS)) is not None

    def ensure(self) -> None:
        self.warehouse.execute([(s, ()) for s in sql.create_tables(self.schema, self.dialect)])

    def record(self, write: StateWrite) -> None:
        """Store what Pendo acknowledged (per group, key and hash) and the rows that did not land, with
        their reasons, in one transaction.

        Only keys in `write.replaced` had state, so only their old rows are deleted (a first sync only
        inserts), acknowledged or not: a row sent and not acknowledged may or may not have reached Pendo,
        so its old hash no longer says what Pendo holds. A write with nothing but `replaced` is the one
        sender.py makes before sending rows that had state.
        """
        now = _now()
        state = self.table(sql.STATE)
        columns = ("model_id", "pendo_group", "synced_at", "run_id", "record_key", "row_hash")
        statements: list[sql.Statement] = []
        for group, stale in write.replaced.items():
            if stale:
                statements += sql.delete_keys(state, write.model_id, group, sorted(stale), self.dialect)
        for group, rows in write.acknowledged.items():
            if rows:
                keys, hashes = [k for k, _ in rows], [h for _, h in rows]
                constants = [write.model_id, group, now, write.run_id]
                statements += sql.bulk_insert(state, columns, constants, [keys, hashes], self.dialect)
        statements += self._outcome_statements(write, now)
        if statements:
            self.warehouse.execute(statements)

    def _outcome_statements(self, write: StateWrite, now: datetime) -> list[sql.Statement]:
        """Every row that did not land, with its reason, so users can query what is pending."""
        columns = ("run_id", "model_id", "pendo_group", "recorded_at", "record_key", "outcome", "reason")
        statements: list[sql.Statement] = []
        for group, rows in write.problems.items():
            if rows:
                lists = [[o.record_id for o in rows], [o.outcome for o in rows], [o.reason for o in rows]]
                constants = [write.run_id, write.model_id, group, now]
                statements += sql.bulk_insert(
                    self.table(sql.OUTCOMES), columns, constants, lists, self.dialect
                )
        return statements

    def start_run(self, run_id: str, command: str) -> None:
        p = sql.PARAM
        self.warehouse.execute(
            [
                (
                    f"insert into {self.table(sql.RUNS)} (run_id, command, started_at, status) values ({p}, {p}, {p}, {p})",
                    [run_id, command, _now(), "running"],
                )
            ]
        )

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        p = sql.PARAM
        self.warehouse.execute(
            [
                (
                    f"update {self.table(sql.RUNS)} set finished_at = {p}, status = {p}, summary = {p} where run_id = {p}",
                    [_now(), status, json.dumps(summary, sort_keys=True), run_id],
                )
            ]
        )

    def is_known(self, model_id: str) -> bool:
        """Has any run started syncing this model? (Decides what `backfill` means for an event model.)"""
        p = sql.PARAM
        rows = self.warehouse.query(
            f"select count(*) from {self.table(sql.MODELS)} where model_id = {p}", [model_id]
        )
        return bool(rows[0][0])

    def count_keys(self, model_id: str, group: str) -> int:
        """How many keys of a model's group state holds (some may have left the model since)."""
        p = sql.PARAM
        rows = self.warehouse.query(
            f"select count(*) from {self.table(sql.STATE)} where model_id = {p} and pendo_group = {p}",
            [model_id, group],
        )
        return int(rows[0][0])

    def first_synced(self, model_id: str) -> datetime:
        """When the model's first sync began (naive UTC): where a `backfill: {days: N}` window counts from."""
        p = sql.PARAM
        rows = self.warehouse.query(
            f"select min(first_synced_at) from {self.table(sql.MODELS)} where model_id = {p}", [model_id]
        )
        found = rows[0][0]
        if not isinstance(found, datetime):
            raise AssertionError(f"model {model_id} has no first sync in state; mark_known() comes first")
        return found.astimezone(timezone.utc).replace(tzinfo=None) if found.tzinfo else found

    def mark_known(
        self,
        model_id: str,
        pendo_object: str,
        run_id: str,
        *,
        seen_from: str | None = None,
        id_column: str = "",
    ) -> None:
        """Register a model; with `seen_from` (a relation), also mark all its event ids as already sent."""
        p = sql.PARAM
        statements: list[tuple[str, Sequence[Any]]] = []
        if seen_from:
            statements.append(
                (sql.mark_all_seen(seen_from, self.schema, model_id, id_column, run_id, self.dialect), ())
            )
        statements.append(
            (
                f"insert into {self.table(sql.MODELS)} (model_id, pendo_object, first_synced_at, run_id) "
                f"values ({p}, {p}, {p}, {p})",
                [model_id, pendo_object, _now(), run_id],
            )
        )
        self.warehouse.execute(statements)

    def forget(self, model_id: str) -> None:
        """--full-refresh: drop what we know of a model so everything is sent again."""
        p = sql.PARAM
        self.warehouse.execute([(f"delete from {self.table(sql.STATE)} where model_id = {p}", [model_id])])


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
