"""`pendo-dbt status`: per tagged model, what the warehouse state says, without touching Pendo.

Reads the state schema and the built models: records synced that the model still holds, records that
left the model since they were synced (Pendo keeps them: nothing deletes them, see README), the last
run that synced the model and how it went, and what is pending: the rows the next sync will send,
counted by sync's own diff (a run stopped early leaves every row it did not reach pending, not only the
rows it reported).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pendo_sync import segment_sql
from pendo_sync import state_sql as sql
from pendo_sync.column_case import resolve_columns
from pendo_sync.config import EventSpec, MetadataSpec, SegmentSpec, SyncSpec, check_columns, key_column
from pendo_sync.dbt_bridge.selection import NOTHING_TAGGED
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.diffs import event_diff_sql, metadata_pending_sql
from pendo_sync.project import SyncOptions, load_config, relation_of
from pendo_sync.report import plural, rows_status
from pendo_sync.state import StateStore, state_schema

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pendo_sync.errors import Problem

_RECENT_RUNS = 200
OUTCOMES = ("missing", "rejected", "failed")
_NO_BACKFILL = "backfill: false: the first sync marks the existing events as seen"


@dataclass(frozen=True)
class ModelStatus:
    model: str
    object: str
    synced: dict[str, int]  # by Pendo group: records acknowledged that the model still holds
    left_model: int = 0  # records acknowledged once that the model no longer holds (still in Pendo)
    last_synced_at: str | None = None
    last_run_id: str | None = None
    last_run_at: str | None = None
    last_run_status: str | None = None  # ok | warn | error | skipped, for this model
    last_run: dict[str, int] = field(default_factory=dict)  # its missing, rejected, failed rows
    pending: int | None = None  # rows the next sync will send; None when it cannot be counted
    pending_note: str = ""  # why not, or what the next sync will do instead of sending

    def line(self) -> str:
        head = f"{self.object} model {self.model}: "
        if self.last_run_id is None and not self.synced:
            return head + "never synced" + self._pending()
        synced = ", ".join(f"{g} {n}" for g, n in sorted(self.synced.items())) or "nothing yet"
        run = ""
        if self.last_run_id is not None:
            figures = ", ".join(f"{n} {k}" for k, n in self.last_run.items() if n)
            run = f"; last run {self.last_run_at}: {self.last_run_status}" + (
                f" ({figures})" if figures else ""
            )
        left = (
            f"; {plural(self.left_model, 'record')} left the model since synced (they stay in Pendo)"
            if self.left_model
            else ""
        )
        return f"{head}synced rows: {synced}{run}{self._pending()}{left}"

    def _pending(self) -> str:
        if self.pending is None:
            return f"; pending: unknown ({self.pending_note})"
        counted = f"{plural(self.pending, 'row')} to send" if self.pending else "none"
        return f"; pending: {counted}" + (f" ({self.pending_note})" if self.pending_note else "")


def model_statuses(
    store: StateStore, specs: Sequence[SyncSpec], relations: Mapping[str, str | None]
) -> list[ModelStatus]:
    """Each model's status; `relations` holds each model's relation, None when it cannot be read."""
    runs = store.warehouse.query(sql.finished_runs(store.schema, store.dialect, _RECENT_RUNS))
    return [_model_status(store, spec, relations.get(spec.model.unique_id), runs) for spec in specs]


def _model_status(
    store: StateStore, spec: SyncSpec, relation: str | None, runs: list[tuple[Any, ...]]
) -> ModelStatus:
    model_id = spec.model.unique_id
    run = next(((r, m) for r in runs if (m := _model_summary(r[3], model_id)) is not None), None)
    figures = run[1] if run else {}
    last = {k: int(figures.get(k, 0)) for k in OUTCOMES} if run else {}
    recorded = str(figures.get("status", "ok"))
    model_status = (
        rows_status(int(figures.get("updated", 0)), last.get("rejected", 0), last.get("failed", 0))
        if recorded == "ok"  # runs recorded before a model's status said how its rows went
        else recorded
    )
    base = ModelStatus(
        model=spec.model.name,
        object=spec.pendo_object,
        synced={},
        last_run_id=run[0][0] if run else None,
        last_run_at=_time(run[0][1]) if run else None,
        last_run_status=model_status if run else None,
        last_run=last,
    )
    if relation is None:
        return base
    synced, latest = {}, None
    coverage = (relation, store.schema, model_id, key_column(spec), store.dialect)
    for group, count, synced_at in store.warehouse.query(sql.state_coverage(*coverage)):
        synced[str(group)] = int(count)
        latest = max(latest or synced_at, synced_at)
    # a segment's visitors that left the model are not kept: they are pending removals (see _pending)
    left = (
        0 if isinstance(spec, SegmentSpec) else int(store.warehouse.query(sql.records_left(*coverage))[0][0])
    )
    pending, note = _pending(store, spec, relation)
    return ModelStatus(
        **{
            **asdict(base),
            "synced": synced,
            "left_model": left,
            "last_synced_at": _time(latest) if latest else None,
            "pending": pending,
            "pending_note": note,
        }
    )


def _pending(store: StateStore, spec: SyncSpec, relation: str) -> tuple[int, str]:
    """Rows the next sync will send, by sync's own diff against state."""
    if isinstance(spec, MetadataSpec):
        # where hashes format dates and times, they need the column types that sync had
        types = dict(store.warehouse.column_types(relation) or []) if store.dialect.session_text else {}
        query = metadata_pending_sql(spec, relation, store.schema, store.dialect, types)
        return int(store.warehouse.query(query)[0][0]), ""
    if isinstance(spec, SegmentSpec):
        diff = segment_sql.segment_diff(
            relation,
            store.schema,
            spec.model.unique_id,
            spec.visitor_id_column,
            spec.segment_id,
            store.dialect,
        )
        ops = dict(store.warehouse.query(f"select op, count(*) from ({diff}) d group by op"))
        adds, removes = int(ops.get("add", 0)), int(ops.get("remove", 0))
        return adds + removes, f"{plural(adds, 'visitor')} to add, {plural(removes, 'visitor')} to remove"
    if not spec.backfill and not store.is_known(spec.model.unique_id):
        return 0, _NO_BACKFILL
    query = sql.row_count(event_diff_sql(spec, relation, store.schema, store.dialect, {}))
    return int(store.warehouse.query(query)[0][0]), ""


def _time(value: Any) -> str:
    """State times are UTC, without a zone; shown to the second."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{str(value)[:19]} UTC"


def _model_summary(summary: str, model_id: str) -> dict[str, Any] | None:
    try:
        models = json.loads(summary).get("models", {})
    except (ValueError, AttributeError):
        return None
    found = models.get(model_id) if isinstance(models, dict) else None
    return found if isinstance(found, dict) else None


def _relations(
    warehouse: Warehouse, specs: Sequence[SyncSpec], flags: str
) -> tuple[list[SyncSpec], dict[str, str | None], dict[str, str]]:
    """The specs with their columns named as stored (column_case.py), and each model's relation when it
    is built with its mapped columns; otherwise why not."""
    resolved: list[SyncSpec] = []
    relations: dict[str, str | None] = {}
    unreadable: dict[str, str] = {}
    for spec in specs:
        model = spec.model
        relation = relation_of(model, warehouse)
        columns = warehouse.column_types(relation)
        problems: list[Problem] = []
        if columns is not None:
            spec, problems = resolve_columns(spec, [name for name, _ in columns])
            problems += check_columns(spec, columns)
        resolved.append(spec)
        relations[model.unique_id] = relation if columns is not None and not problems else None
        if columns is None:
            unreadable[model.unique_id] = f"{relation} is not built: run `dbt run -s {model.name}{flags}`"
        elif problems:
            unreadable[model.unique_id] = str(problems[0])
    return resolved, relations, unreadable


def run_status(
    options: SyncOptions,
    emit: Callable[[str], None],
    record: Callable[[Sequence[str], Mapping[str, Any]], None],
) -> list[ModelStatus]:
    manifest, parsed = load_config(options)
    parsed.check()
    if not parsed.specs:
        emit(NOTHING_TAGGED)
        return []
    with Warehouse(options.target) as warehouse:
        store = StateStore(warehouse, state_schema(manifest, warehouse))
        specs, relations, unreadable = _relations(warehouse, parsed.specs, options.target.shell_flags())
        if store.exists():
            statuses = model_statuses(store, specs, relations)
        else:
            emit(f"No sync state yet (schema {store.schema_name}): run `pendo-dbt sync` first.")
            statuses = [_never_synced(warehouse, s, relations[s.model.unique_id]) for s in specs]
        shown = []
        for spec, status in zip(specs, statuses):
            reason = unreadable.get(spec.model.unique_id)
            if reason:
                status = ModelStatus(**{**asdict(status), "pending": None, "pending_note": reason})
            record([status.line()], asdict(status))
            shown.append(status)
        return shown


def _never_synced(warehouse: Warehouse, spec: SyncSpec, relation: str | None) -> ModelStatus:
    """Before any sync, every row of the model is pending (none, for events with `backfill: false`)."""
    status = ModelStatus(spec.model.name, spec.pendo_object, {})
    if relation is None:
        return status
    if isinstance(spec, EventSpec) and not spec.backfill:
        return ModelStatus(**{**asdict(status), "pending": 0, "pending_note": _NO_BACKFILL})
    rows = int(warehouse.query(f"select count(*) from {relation}")[0][0])
    return ModelStatus(**{**asdict(status), "pending": rows})
