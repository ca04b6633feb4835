"""`pendo-dbt status`: per tagged model, what the warehouse state says, without touching Pendo.

Reads only the state schema: rows acknowledged per group, when the model was last synced, and the
figures of the last run that synced it (its missing/rejected/failed rows are what is pending).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pendo_sync import state_sql as sql
from pendo_sync.config import SyncSpec
from pendo_sync.selection import NOTHING_TAGGED
from pendo_sync.state import StateStore, state_schema
from pendo_sync.sync import SyncOptions, load_config
from pendo_sync.warehouse import Warehouse

_RECENT_RUNS = 200


@dataclass(frozen=True)
class ModelStatus:
    model: str
    object: str
    synced: dict[str, int]
    last_synced_at: str | None
    last_run_id: str | None
    last_run_at: str | None
    last_run_status: str | None
    pending: dict[str, int]

    def line(self) -> str:
        synced = ", ".join(f"{g} {n}" for g, n in sorted(self.synced.items())) or "nothing yet"
        if self.last_run_id is None:
            return f"{self.object} model {self.model}: never synced"
        pending = ", ".join(f"{n} {k}" for k, n in self.pending.items() if n) or "none"
        return (
            f"{self.object} model {self.model}: synced rows: {synced}; last run {self.last_run_at} "
            f"({self.last_run_status}); pending: {pending}"
        )


def model_statuses(store: StateStore, specs: tuple[SyncSpec, ...]) -> list[ModelStatus]:
    synced: dict[str, dict[str, int]] = {}
    last_synced: dict[str, Any] = {}
    state = store.table(sql.STATE)
    for model_id, group, count, latest in store.warehouse.query(
        f"select model_id, pendo_group, count(*), max(synced_at) from {state} group by model_id, pendo_group"
    ):
        synced.setdefault(model_id, {})[group] = int(count)
        last_synced[model_id] = max(latest, last_synced.get(model_id, latest))
    runs = store.warehouse.query(
        f"select run_id, started_at, status, summary from {store.table(sql.RUNS)} "
        f"where summary is not null order by started_at desc limit {_RECENT_RUNS}"
    )
    statuses = []
    for spec in specs:
        model_id = spec.model.unique_id
        run = next(((r, m) for r in runs if (m := _model_summary(r[3], model_id)) is not None), None)
        figures = run[1] if run else {}
        statuses.append(
            ModelStatus(
                model=spec.model.name,
                object=spec.pendo_object,
                synced=synced.get(model_id, {}),
                last_synced_at=str(last_synced[model_id]) if model_id in last_synced else None,
                last_run_id=run[0][0] if run else None,
                last_run_at=str(run[0][1]) if run else None,
                last_run_status=str(figures.get("status")) if run else None,
                pending={k: int(figures.get(k, 0)) for k in ("missing", "rejected", "failed")},
            )
        )
    return statuses


def _model_summary(summary: str, model_id: str) -> dict[str, Any] | None:
    try:
        models = json.loads(summary).get("models", {})
    except (ValueError, AttributeError):
        return None
    found = models.get(model_id) if isinstance(models, dict) else None
    return found if isinstance(found, dict) else None


def run_status(options: SyncOptions, emit: Callable[[str], None]) -> list[ModelStatus]:
    manifest, parsed = load_config(options)
    parsed.check()
    if not parsed.specs:
        emit(NOTHING_TAGGED)
        return []
    with Warehouse(options.target) as warehouse:
        store = StateStore(warehouse, state_schema(manifest, warehouse))
        if not store.exists():
            emit(f"No sync state yet (schema {store.schema_name}): run `pendo-dbt sync` first.")
            statuses = [
                ModelStatus(s.model.name, s.pendo_object, {}, None, None, None, None, {})
                for s in parsed.specs
            ]
        else:
            statuses = model_statuses(store, parsed.specs)
        for status in statuses:
            emit(status.line())
        return statuses
