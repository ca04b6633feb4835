"""Sync one event model: insert-only. Each event id not yet in state is sent once as a Track event.

An id enters state only after Pendo answered 200 for it, so delivery is at-least-once: a kill between
Pendo's answer and the state write resends the events acknowledged but not yet written at that moment:
under a second of events (docs/guarantees.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pendo_sync.coercion import epoch_ms
from pendo_sync.diffs import event_diff_sql
from pendo_sync.key_profile import profile_keys, refuse
from pendo_sync.pendo.client import TRACK_ENDPOINT
from pendo_sync.prepare import EVENT_GROUP, Payload, oversized_note, prepare_events, window_note
from pendo_sync.row_outcome import REJECTED, RowOutcome
from pendo_sync.sender import UNSENT, Batch, BatchSender, Request

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pendo_sync.config import EventSpec
    from pendo_sync.report import ModelResult
    from pendo_sync.run_context import RunContext

GROUP = EVENT_GROUP
# Events read from the diff at a time (one batch).
COMMIT_EVERY = 100
# Events one worker sends one after another as one task: a task per event cost more CPU in scheduling
# (a Future, a wakeup) than sending it does. A task's events are acknowledged together when it ends, so
# it stays short: at Pendo's 100 events/s over 4 workers, 5 events are 0.2 s (see run_context.EVENT_SECONDS).
EVENTS_PER_TASK = 5


def sync_event_model(
    spec: EventSpec, ctx: RunContext, relation: str, column_types: Mapping[str, str], result: ModelResult
) -> None:
    model_id, store = spec.model.unique_id, ctx.store
    result.rows_in_model, duplicate = profile_keys(
        ctx.warehouse, store.dialect, relation, spec.event_id_column, "each event id"
    )
    if duplicate:
        refuse(result, duplicate)
        return
    if not store.is_known(model_id):
        if not spec.backfill:
            store.mark_known(model_id, GROUP, ctx.run_id, seen_from=relation, id_column=spec.event_id_column)
            result.notes.append(
                f"backfill: false: first sync marked the {result.rows_in_model} existing events as seen "
                "without sending them; rows added from now on will be sent"
            )
            return
        store.mark_known(model_id, GROUP, ctx.run_id)
    window, before = spec.backfill_window, None
    if window is not None:
        first_sync = store.first_synced(model_id)
        before = epoch_ms(window.start(first_sync))  # older events are not sent
    diff = event_diff_sql(spec, relation, store.schema, store.dialect, column_types)
    oversized = [0]
    size = min(ctx.batch_size, COMMIT_EVERY)
    todo = max(result.rows_in_model - store.count_keys(model_id, GROUP), 0)  # the events not in state yet
    batches = (_batch(spec, ctx, rows, oversized, before) for rows in ctx.warehouse.stream(diff, size=size))
    BatchSender(ctx, model_id, result, urgent=True).run(
        batches, endpoints=[TRACK_ENDPOINT], todo=todo, unit="events"
    )
    if oversized[0]:
        result.notes.append(oversized_note(oversized[0]))
    if window is not None and result.unsent:
        result.notes.append(window_note(window.describe(first_sync), result.unsent))


def _batch(
    spec: EventSpec, ctx: RunContext, rows: list[tuple[Any, ...]], oversized: list[int], before: int | None
) -> Batch:
    """Prepared events -> tasks of up to EVENTS_PER_TASK requests; rows rejected here, and rows older than
    the backfill window (recorded as seen, never sent), are settled at once."""
    prepared = prepare_events(spec, rows, before)
    oversized[0] += prepared.oversized
    batch = Batch(rows=prepared.rows, sending=prepared.sending)
    batch.unkeyed.extend(prepared.unkeyed)
    for rejection in prepared.rejected:
        batch.settle(GROUP, rejection.key, REJECTED, reason=rejection.reason)
    for _, key, _ in prepared.nothing_to_send:
        batch.settle(GROUP, key, UNSENT)
    payloads = prepared.payloads[GROUP]
    for start in range(0, len(payloads), EVENTS_PER_TASK):
        task = payloads[start : start + EVENTS_PER_TASK]
        ids = [p.key for p in task]
        batch.requests.append(Request(GROUP, ids, [None] * len(ids), _sender(ctx, task)))
    return batch


def _sender(ctx: RunContext, task: list[Payload]) -> Any:
    """The task's events sent one after another; returns those Pendo did not receive."""

    def send() -> list[RowOutcome]:
        outcomes = (ctx.client.post_track(p.key, p.body) for p in task)
        return [outcome for outcome in outcomes if outcome is not None]

    return send
