"""Sync one event model: insert-only. Each event id not yet in state is sent once as a Track event.

An id enters state only after Pendo answered 200 for it, so delivery is at-least-once: a kill between
Pendo's answer and the state commit resends at most the events in flight at that moment.
"""

from __future__ import annotations

import json
from typing import Any

from pendo_sync import state_sql as sql
from pendo_sync.config import EventSpec
from pendo_sync.metadata_sync import check_unique_keys
from pendo_sync.payloads import PROPERTIES_DISPLAY_LIMIT, RowRejected, record_id, track_event
from pendo_sync.pendo.responses import REJECTED
from pendo_sync.report import ModelResult
from pendo_sync.run_context import RunContext
from pendo_sync.sender import Batch, BatchSender, Request

GROUP = "event"
# Events acknowledged by Pendo reach state at least this often: a kill resends at most the events of the
# batches not yet committed (up to this many each) plus the requests in flight.
COMMIT_EVERY = 100


def sync_event_model(spec: EventSpec, ctx: RunContext, relation: str, result: ModelResult) -> None:
    if not check_unique_keys(ctx, relation, spec.event_id_column, "each event id", result):
        return
    model_id, store = spec.model.unique_id, ctx.store
    if not store.is_known(model_id):
        if not spec.backfill:
            store.mark_known(model_id, GROUP, ctx.run_id, seen_from=relation, id_column=spec.event_id_column)
            result.notes.append(
                f"backfill: false: first sync marked the {result.rows_in_model} existing events as seen "
                "without sending them; rows added from now on will be sent"
            )
            return
        store.mark_known(model_id, GROUP, ctx.run_id)
    diff = sql.event_diff(relation, store.schema, model_id, spec.event_id_column, spec.columns, store.dialect)
    oversized = [0]
    size = min(ctx.batch_size, COMMIT_EVERY)
    batches = (_batch(spec, ctx, rows, oversized) for rows in ctx.warehouse.stream(diff, size=size))
    BatchSender(ctx, model_id, result).run(batches, max_inflight=ctx.workers * 4)
    if oversized[0]:
        result.notes.append(
            f"{oversized[0]} events have a properties object over Pendo's {PROPERTIES_DISPLAY_LIMIT}-byte display "
            "limit; Pendo accepts them but shows 'event properties JSON too large'"
        )


def _batch(spec: EventSpec, ctx: RunContext, rows: list[tuple[Any, ...]], oversized: list[int]) -> Batch:
    """Diff rows (event id, then spec.columns) -> one request per event."""
    batch = Batch(rows=len(rows))
    for row in rows:
        try:
            key = record_id(row[0], spec.event_id_column)
        except RowRejected as exc:
            batch.unkeyed.append(str(exc))
            continue
        value = dict(zip(spec.columns, row[1:]))
        try:
            event = track_event(
                value[spec.event_name_column] if spec.event_name_column else spec.event_name,
                value[spec.visitor_id_column],
                value[spec.account_id_column] if spec.account_id_column else None,
                value[spec.timestamp_column],
                [(name, column, value[column]) for name, column in spec.properties],
                [(name, column, value[column]) for name, column in spec.context],
                visitor_column=spec.visitor_id_column,
                timestamp_column=spec.timestamp_column,
            )
        except RowRejected as exc:
            batch.settle(GROUP, key, REJECTED, reason=str(exc))
            continue
        if len(json.dumps(event["properties"], separators=(",", ":")).encode()) > PROPERTIES_DISPLAY_LIMIT:
            oversized[0] += 1
        batch.add_request(Request(GROUP, [key], _sender(ctx, key, event)), {key: None})
    return batch


def _sender(ctx: RunContext, key: str, event: dict[str, Any]) -> Any:
    return lambda: ctx.client.post_track(key, event)
