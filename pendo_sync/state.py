"""Sync state in the warehouse: what Pendo acknowledged, per model, group and record key.

CI runners are ephemeral, so state cannot live on local disk; it lives next to the models. Every write
is one transaction, so a kill at any point leaves state either before or after a batch, never between,
and a rerun sends whatever state does not record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pendo_sync import state_sql as sql
from pendo_sync.errors import ConfigError, LockError, WarehouseError
from pendo_sync.lease import LEASE_SECONDS, Lease

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from pendo_sync.capabilities import Capabilities
    from pendo_sync.dbt_bridge.warehouse import Warehouse
    from pendo_sync.manifest import Manifest
    from pendo_sync.state_writes import Chunk

log = logging.getLogger(__name__)

STATE_NODE = "model.pendo_sync.pendo_sync_state"


def state_schema(manifest: Manifest, warehouse: Warehouse) -> str:
    """Where state lives: the var `pendo_sync_schema`, else where dbt builds the package's state model
    (so a custom generate_schema_name is honoured), else `<target schema>_pendo_sync`."""
    override = warehouse.vars.get("pendo_sync_schema")
    if override:
        return str(override)
    node = next((m for m in manifest.models if m.unique_id == STATE_NODE), None)
    return node.schema if node else f"{warehouse.target_schema}_pendo_sync"


class StateStore:
    def __init__(
        self,
        warehouse: Warehouse,
        schema: str,
        capabilities: Capabilities | None = None,
        *,
        lease_seconds: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`capabilities` default to the adapter's (tests force a lease where the engine has a lock of its
        own); `lease_seconds` to the var `pendo_sync_lease_seconds`, else LEASE_SECONDS; `clock` (naive UTC,
        the runner's: the one clock every timestamp in state comes from)."""
        self.warehouse = warehouse
        self.capabilities = capabilities or warehouse.capabilities
        self.dialect = sql.dialect_for(warehouse.capabilities, warehouse.quote, warehouse.name_as_built)
        self.schema_name = schema
        self.schema = warehouse.project_relation(schema)  # as dbt builds it: ref('pendo_sync_state') reads it
        self.clock = clock or _now
        self.lease_seconds = lease_seconds or _lease_seconds(warehouse.vars)
        self._lease: Lease | None = None
        self._seq: int | None = None
        self._seq_lock = threading.Lock()
        self._runs: dict[str, tuple[str, datetime]] = {}  # run_id: (command, started_at) of runs begun here

    def table(self, name: str) -> str:
        return self.warehouse.project_relation(self.schema_name, name)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One sync per state schema at a time, so two runs never interleave their state writes.

        "advisory" (PostgreSQL): a session-level advisory lock, released by the server even if we are
        killed -9. "file" (DuckDB): the database file admits one writing process, so the second run cannot
        even connect (dbt_bridge/warehouse.py turns that into a LockError). "lease" (every other
        warehouse): a lease row in the state schema, renewed while the run lives (lease.py).
        """
        if self.capabilities.lock == "file":
            yield
            return
        if self.capabilities.lock == "lease":
            self.ensure()
            lease = Lease(
                self.warehouse, self.schema, self.schema_name, self.dialect, self.lease_seconds, self.clock
            )
            with lease:
                self._lease = lease
                try:
                    yield
                finally:
                    self._lease = None
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
        """Create what is missing; a state table of an older pendo-dbt gets its `seq` column."""
        self.warehouse.define(sql.create_tables(self.schema, self.dialect))
        columns = self.warehouse.columns(self.table(sql.STATE)) or []
        if "seq" not in {c.lower() for c in columns}:
            self.warehouse.define([sql.add_seq(self.schema, self.dialect)])

    def next_seq(self) -> int:
        """A number greater than any `seq` in state: microseconds of the clock, or one more than the last
        when the clock has not moved on (or went back). The lock means no other run appends meanwhile."""
        with self._seq_lock:
            if self._seq is None:
                found = self.warehouse.query(sql.max_seq(self.schema, self.dialect))[0][0]
                self._seq = int(found) if found is not None else 0
            now = self.clock().replace(tzinfo=timezone.utc)
            self._seq = max(self._seq + 1, int(now.timestamp() * 1_000_000))
            return self._seq

    def record(self, chunk: Chunk) -> None:
        """Append what a chunk holds (acknowledged hashes, tombstones) and its rows that did not land, with
        their reasons. Each row stands alone: an acknowledged key is safe to record whether or not the
        rest of the chunk is, so this is correct where statements do not share a transaction."""
        if self._lease is not None:
            self._lease.check()
        now = self.clock()
        seq = self.next_seq()
        state = self.table(sql.STATE)
        columns = ("model_id", "pendo_group", "synced_at", "run_id", "seq", "record_key", "row_hash")
        statements: list[sql.Statement] = []
        for group, entries in chunk.entries.items():
            if entries:
                constants = [chunk.model_id, group, now, chunk.run_id, seq]
                lists: list[list[Any]] = [list(entries.keys()), list(entries.values())]
                statements += sql.bulk_insert(state, columns, constants, lists, self.dialect)
        statements += self._outcome_statements(chunk, now)
        if statements:
            self.warehouse.execute(statements)

    def compact(self, model_id: str) -> None:
        """Where DELETE works, drop the model's superseded rows and tombstones; elsewhere history stays.

        Only if there can be any (state_sql.compactable): on a first sync the compaction's join over
        every row of the model would find none. It runs after the model's diff was read (on DuckDB, its
        memory cap lifted by that query). A failure leaves state as correct as before (reads take the
        latest row per key) and is only a warning: a later run compacts."""
        if not self.capabilities.delete:
            return
        try:
            if self.warehouse.query(sql.compactable(self.schema, model_id, self.dialect)):
                self.warehouse.execute([(sql.compact(self.schema, model_id, self.dialect), ())])
        except WarehouseError as exc:
            log.warning(
                "Could not compact the state of %s; a later run will (state stays correct): %s", model_id, exc
            )

    def _outcome_statements(self, chunk: Chunk, now: datetime) -> list[sql.Statement]:
        """Every row that did not land, with its reason, so users can query what is pending."""
        columns = ("run_id", "model_id", "pendo_group", "recorded_at", "record_key", "outcome", "reason")
        statements: list[sql.Statement] = []
        for group, rows in chunk.problems.items():
            if rows:
                lists = [[o.record_id for o in rows], [o.outcome for o in rows], [o.reason for o in rows]]
                constants = [chunk.run_id, chunk.model_id, group, now]
                statements += sql.bulk_insert(
                    self.table(sql.OUTCOMES), columns, constants, lists, self.dialect
                )
        return statements

    def start_run(self, run_id: str, command: str) -> None:
        p = sql.PARAM
        started = self.clock()
        self._runs[run_id] = (command, started)
        self.warehouse.execute(
            [
                (
                    f"insert into {self.table(sql.RUNS)} (run_id, command, started_at, status) values ({p}, {p}, {p}, {p})",
                    [run_id, command, started, "running"],
                )
            ]
        )

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        """Where the warehouse can UPDATE, the run's row gets its end; elsewhere (Spark) the end is a
        second row of the run, complete in itself: readers take the run's row that has a summary."""
        p = sql.PARAM
        ended = [self.clock(), status, json.dumps(summary, sort_keys=True)]
        if self.capabilities.delete:
            statement = (
                f"update {self.table(sql.RUNS)} set finished_at = {p}, status = {p}, summary = {p} where run_id = {p}",
                [*ended, run_id],
            )
        else:
            command, started = self._runs[run_id]
            statement = (
                f"insert into {self.table(sql.RUNS)} (run_id, command, started_at, finished_at, status, summary) "
                f"values ({p}, {p}, {p}, {p}, {p}, {p})",
                [run_id, command, started, *ended],
            )
        self.warehouse.execute([statement])

    def is_known(self, model_id: str) -> bool:
        """Has any run started syncing this model? (Decides what `backfill` means for an event model.)"""
        p = sql.PARAM
        rows = self.warehouse.query(
            f"select count(*) from {self.table(sql.MODELS)} where model_id = {p}", [model_id]
        )
        return bool(rows[0][0])

    def count_keys(self, model_id: str, group: str) -> int:
        """How many keys of a model's group state holds (some may have left the model since)."""
        latest = sql.latest_state(self.schema, model_id, self.dialect, group)
        rows = self.warehouse.query(f"select count(*) from {latest} s")
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
            seen = sql.mark_all_seen(
                seen_from, self.schema, model_id, id_column, run_id, self.next_seq(), self.dialect
            )
            statements.append((seen, [self.clock()]))
        statements.append(
            (
                f"insert into {self.table(sql.MODELS)} (model_id, pendo_object, first_synced_at, run_id) "
                f"values ({p}, {p}, {p}, {p})",
                [model_id, pendo_object, self.clock(), run_id],
            )
        )
        self.warehouse.execute(statements)

    def forget(self, model_id: str, where: str = "") -> None:
        """--full-refresh (and --repair, segment moves, with `where` over the latest rows `l`): a tombstone
        for each key, so it is sent again; no DELETE needed. Compaction (where DELETE works) drops them."""
        statement = sql.forget(self.schema, model_id, self.next_seq(), self.dialect, where)
        self.warehouse.execute([(statement, [self.clock()])])


def _lease_seconds(dbt_vars: dict[str, Any]) -> float:
    """How long a killed run's lease keeps the next run out: the var `pendo_sync_lease_seconds`, a number
    of seconds of at least 10 (renewals come six times per lease, and a slow warehouse needs seconds)."""
    value = dbt_vars.get("pendo_sync_lease_seconds", LEASE_SECONDS)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if not seconds >= 10:
        raise ConfigError(
            [
                f"The var pendo_sync_lease_seconds is {value!r}: set it to a number of seconds, at least 10 "
                f"(default {LEASE_SECONDS:.0f})."
            ]
        )
    return seconds


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
