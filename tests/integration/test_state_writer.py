"""The state writer against a real warehouse: acknowledgements gather per model into big chunks (one
statement per chunk where lists bind), events reach state within a second without anyone flushing, and
models interleaving their writes each get their own rows."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from pendo_sync import run_context
from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.run_context import StateWriter
from pendo_sync.state import StateStore
from pendo_sync.state_sql import RUNS, STATE, finished_runs, latest_state
from pendo_sync.state_writes import TOMBSTONE, Gate, StateWrite
from tests.integration.harness import Project, environ


@pytest.fixture
def store(project: Project) -> Iterator[StateStore]:
    target = DbtTarget(project.path, project.path, project.target)
    with environ(project.env), Warehouse(target) as warehouse:
        store = StateStore(warehouse, f"pendo_sync_writer_{uuid.uuid4().hex[:8]}")
        store.ensure()
        yield store


def latest(store: StateStore, model_id: str) -> dict[str, str | None]:
    query = f"select record_key, row_hash from {latest_state(store.schema, model_id, store.dialect)} l"
    return dict(store.warehouse.query(query))


def test_writes_of_a_model_gather_into_one_chunk_written_in_few_statements(store: StateStore) -> None:
    writer = StateWriter(store)
    before = store.warehouse.statements
    for batch in range(20):  # 20 answered batches of 500 rows: one chunk
        rows = [(f"k{batch}-{i}", f"h{i}") for i in range(500)]
        writer.submit(StateWrite("model.p.m", "run-1", {"agent": rows}, {}, {}))
    writer.flush("model.p.m")
    statements = store.warehouse.statements - before
    writer.close()
    assert len(latest(store, "model.p.m")) == 10_000
    rows = store.warehouse.query(f"select count(distinct seq) from {store.table(STATE)}")
    assert rows == [(1,)]  # one chunk, one seq
    assert statements <= 3  # the seq lookup and the chunk's insert (lists bound whole)


def test_a_chunk_is_written_once_it_holds_chunk_rows(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_context, "CHUNK_ROWS", 100)
    monkeypatch.setattr(run_context, "CHUNK_SECONDS", 3600.0)
    writer = StateWriter(store)
    writer.submit(StateWrite("model.p.m", "run-1", {"agent": [(f"k{i}", "h") for i in range(150)]}, {}, {}))
    written = wait_for(lambda: len(latest(store, "model.p.m")) == 150)
    writer.close()
    assert written


def test_events_reach_state_without_a_flush(store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk holding events is due EVENT_SECONDS after its first event; metadata waits for CHUNK_SECONDS."""
    monkeypatch.setattr(run_context, "CHUNK_SECONDS", 3600.0)
    writer = StateWriter(store)
    writer.submit(StateWrite("model.p.v", "run-1", {"agent": [("v1", "h")]}, {}, {}))
    writer.submit(StateWrite("model.p.e", "run-1", {"event": [("e1", None)]}, {}, {}, urgent=True))
    written = wait_for(lambda: latest(store, "model.p.e") == {"e1": None})
    assert latest(store, "model.p.v") == {}  # metadata still gathering
    writer.close()  # writes what is left
    assert written and latest(store, "model.p.v") == {"v1": "h"}


def test_interleaved_models_and_a_gated_tombstone(store: StateStore) -> None:
    """Writes of two models arriving interleaved land under their own model; a write with a gate (rows
    about to be sent) is written before the gate opens, and the ack after it supersedes the tombstone."""
    writer = StateWriter(store)
    writer.submit(StateWrite("model.p.a", "run-1", {"agent": [("x", "old")]}, {}, {}))
    writer.flush()
    for i in range(10):
        model = "model.p.a" if i % 2 else "model.p.b"
        writer.submit(StateWrite(model, "run-1", {"agent": [(f"k{i}", f"h{i}")]}, {}, {}))
    gate = Gate()
    writer.submit(StateWrite("model.p.a", "run-1", {}, {"agent": {"x"}}, {}, [gate]))
    gate.wait()
    assert "x" not in latest(store, "model.p.a")  # the tombstone is written: state unknown
    writer.submit(StateWrite("model.p.a", "run-1", {"agent": [("x", "new")]}, {}, {}))
    writer.finish("model.p.a")
    writer.close()
    assert latest(store, "model.p.a") == {"x": "new", **{f"k{i}": f"h{i}" for i in range(1, 10, 2)}}
    assert latest(store, "model.p.b") == {f"k{i}": f"h{i}" for i in range(0, 10, 2)}
    rows = store.warehouse.query(
        f"select count(*) from {store.table(STATE)} where model_id = 'model.p.a' and row_hash = '{TOMBSTONE}'"
    )
    assert rows == [(0,)]  # compacted: DELETE works on both engines here


def test_a_model_that_only_added_rows_is_not_compacted(store: StateStore) -> None:
    """Without tombstones or pending rows nothing is superseded: finishing such a model costs one filtered
    read, not the compaction's join over all its rows; after a tombstone it compacts."""
    writer = StateWriter(store)
    writer.submit(StateWrite("model.p.a", "run-1", {"agent": [(f"k{i}", "h") for i in range(100)]}, {}, {}))
    writer.flush()
    before = store.warehouse.statements
    writer.finish("model.p.a")
    assert store.warehouse.statements - before == 1  # the check alone
    gate = Gate()
    writer.submit(StateWrite("model.p.a", "run-2", {}, {"agent": {"k1"}}, {}, [gate]))
    gate.wait()
    writer.submit(StateWrite("model.p.a", "run-2", {"agent": [("k1", "h2")]}, {}, {}))
    writer.flush()
    before = store.warehouse.statements
    writer.finish("model.p.a")
    writer.close()
    assert store.warehouse.statements - before == 2  # the check and the compaction
    rows = store.warehouse.query(f"select count(*) from {store.table(STATE)} where model_id = 'model.p.a'")
    assert rows == [(100,)] and latest(store, "model.p.a")["k1"] == "h2"


def test_a_state_table_of_an_older_version_gets_its_seq_column(store: StateStore) -> None:
    old = f"pendo_sync_old_{uuid.uuid4().hex[:8]}"
    table = f"{store.warehouse.quote(old)}.{store.warehouse.quote(STATE)}"
    store.warehouse.execute(
        [
            (f"create schema {store.warehouse.quote(old)}", ()),
            (
                f"create table {table} (model_id varchar, pendo_group varchar, record_key varchar, "
                "row_hash varchar, synced_at timestamp, run_id varchar)",
                (),
            ),
            (f"insert into {table} values ('model.p.m', 'agent', 'k', 'h-old', null, 'r0')", ()),
        ]
    )
    migrated = StateStore(store.warehouse, old)
    migrated.ensure()
    writer = StateWriter(migrated)
    writer.submit(StateWrite("model.p.m", "run-1", {"agent": [("k2", "h2")]}, {"agent": {"k"}}, {}))
    writer.close()
    assert latest(migrated, "model.p.m") == {"k2": "h2"}  # the old row lost to the newer tombstone


@pytest.mark.parametrize("updates", [True, False], ids=["update", "append"])
def test_a_run_is_read_back_as_it_ended_whether_its_end_updates_or_appends(
    store: StateStore, updates: bool
) -> None:
    """Where the warehouse cannot UPDATE (Spark), a run's end is a row of its own: readers (status) see
    each ended run once, with its summary, and a run still going (or killed) not at all."""
    forced = dataclasses.replace(store.capabilities, delete=updates)
    runs = StateStore(store.warehouse, store.schema_name, forced)
    runs.start_run("run-1", "sync")
    runs.finish_run("run-1", "error", {"rows": 3})
    runs.start_run("run-2", "verify")
    runs.finish_run("run-2", "success", {"rows": 0})
    runs.start_run("run-3", "sync")  # killed: never ends
    ended = store.warehouse.query(finished_runs(store.schema, store.dialect, 10))
    assert sorted((r[0], r[2], json.loads(r[3])) for r in ended) == [
        ("run-1", "error", {"rows": 3}),
        ("run-2", "success", {"rows": 0}),
    ]
    rows = store.warehouse.query(f"select run_id, command, started_at from {store.table(RUNS)}")
    assert len(rows) == (3 if updates else 5)
    assert {r[0]: r[1] for r in rows} == {"run-1": "sync", "run-2": "verify", "run-3": "sync"}
    assert all(r[2] is not None for r in rows)


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    """Poll until `condition()` holds (not a timing assertion: a generous bound against hanging)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
