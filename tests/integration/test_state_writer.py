"""The state writer against a real warehouse: writes that arrive together share one transaction, and a
flush never waits for company."""

from __future__ import annotations

import threading
import uuid

import pytest

from pendo_sync import run_context
from pendo_sync.dbt_bridge.warehouse import DbtTarget, Warehouse
from pendo_sync.run_context import StateWriter
from pendo_sync.state import StateStore, StateWrite
from pendo_sync.state_sql import STATE
from tests.integration.harness import Project, environ


def test_writes_arriving_together_share_a_transaction_and_a_flush_does_not_wait(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_context, "LINGER", 3600.0)  # a write would wait an hour for company...
    target = DbtTarget(project.path, project.path, project.target)
    with environ(project.env), Warehouse(target) as warehouse:
        store = StateStore(warehouse, f"pendo_sync_writer_{uuid.uuid4().hex[:8]}")
        store.ensure()
        writer = StateWriter(store)
        for key in ("a", "b"):
            writer.submit(StateWrite("model.p.m", "run-1", {"agent": [(key, f"h-{key}")]}, {}, {}))
        flush = threading.Thread(target=writer.flush)  # ...unless someone waits for it
        flush.start()
        flush.join(60)
        assert not flush.is_alive()
        writer.close()
        rows = warehouse.query(f"select record_key, row_hash, synced_at from {store.table(STATE)}")
    assert sorted((key, row_hash) for key, row_hash, _ in rows) == [("a", "h-a"), ("b", "h-b")]
    assert len({synced_at for _, _, synced_at in rows}) == 1  # one StateStore.record: one transaction
