"""Sync one segment model: its visitor ids become the membership pendo-dbt keeps in one Pendo segment.

The warehouse diffs the model against state (segment_sql.py): visitors to add, and visitors pendo-dbt
added that left the model, to remove. Visitors pendo-dbt never sent are never removed, so members put in
the segment some other way stay. Requests go one at a time: Pendo answers 409 to a patch of a segment
while an earlier one runs, so concurrent patches would only wait on each other.
Before an add is sent its visitors are recorded as pending; an acknowledged add records them as members,
an acknowledged remove deletes them: a kill at any point leaves state that the next run converges from.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from pendo_sync import segment_sql
from pendo_sync.errors import ConfigError, Problem, UnknownSegmentError
from pendo_sync.key_profile import profile_keys, refuse
from pendo_sync.pendo.segments import ADD, MAX_VISITORS, REMOVE
from pendo_sync.report import ModelResult, RowProblem, plural
from pendo_sync.row_outcome import FAILED, REJECTED, RowOutcome
from pendo_sync.state_writes import PENDING, Gate, StateWrite

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pendo_sync.config import SegmentSpec
    from pendo_sync.run_context import RunContext

GROUP = segment_sql.GROUP


def sync_segment_model(spec: SegmentSpec, ctx: RunContext, relation: str, result: ModelResult) -> None:
    warehouse, dialect, schema = ctx.warehouse, ctx.store.dialect, ctx.store.schema
    model_id = spec.model.unique_id
    result.rows_in_model, duplicate = profile_keys(
        warehouse, dialect, relation, spec.visitor_id_column, "each visitor"
    )
    if duplicate:
        refuse(result, duplicate)
        return
    _reject_nulls(spec, ctx, relation, result)
    if int(warehouse.query(segment_sql.other_segments(schema, model_id, spec.segment_id, dialect))[0][0]):
        ctx.store.forget(model_id, segment_sql.other_segments_where(spec.segment_id))
        result.notes.append(
            f"segment_id changed to '{spec.segment_id}': visitors pendo-dbt added to the segment named "
            "before stay in it (pendo-dbt no longer manages that one)"
        )
    diff = segment_sql.segment_diff(
        relation, schema, model_id, spec.visitor_id_column, spec.segment_id, dialect
    )
    added = removed = 0
    try:
        for rows in warehouse.stream(diff, size=MAX_VISITORS):
            done = _send(spec, ctx, rows, result)
            added, removed = added + done[0], removed + done[1]
    except UnknownSegmentError as exc:
        raise ConfigError(
            [
                Problem(
                    spec.model.name,
                    "segment_id",
                    f"{exc}; its visitors not yet acknowledged are sent again next run",
                    "copy the id from the segment's URL in Pendo (Segments > the segment), and check the "
                    "integration key belongs to that subscription",
                )
            ]
        ) from None
    finally:
        ctx.writer.finish(spec.model.unique_id)
    if added or removed:
        result.notes.append(
            f"segment '{spec.segment_id}': {plural(added, 'visitor')} added, {plural(removed, 'visitor')} removed"
        )


def _reject_nulls(spec: SegmentSpec, ctx: RunContext, relation: str, result: ModelResult) -> None:
    """A NULL visitor id cannot be a member: each such row is rejected alone, the rest go on."""
    nulls = int(
        ctx.warehouse.query(segment_sql.null_count(relation, spec.visitor_id_column, ctx.store.dialect))[0][0]
    )
    for _ in range(nulls):
        result.count(REJECTED)
        result.problems.append(
            RowProblem(None, "*", REJECTED, f"'{spec.visitor_id_column}' is NULL: no visitor to add")
        )


def _send(
    spec: SegmentSpec, ctx: RunContext, rows: Sequence[tuple[Any, ...]], result: ModelResult
) -> tuple[int, int]:
    """One PATCH of at most MAX_VISITORS visitors, and what its answer leaves in state; how many
    visitors Pendo acknowledged adding and removing."""
    adds = [str(key) for key, op in rows if op == ADD]
    removes = [str(key) for key, op in rows if op == REMOVE]
    model_id, run_id = spec.model.unique_id, ctx.run_id
    if adds:  # pending first: an add that reaches Pendo unacknowledged is still removed later
        gate = Gate()
        pending: list[tuple[str, str | None]] = [(key, PENDING + spec.segment_id) for key in adds]
        ctx.writer.submit(StateWrite(model_id, run_id, {GROUP: pending}, {GROUP: set(adds)}, {}, [gate]))
        gate.wait()
    result.changed += len(rows)
    result.sent += len(rows)
    try:
        outcomes = ctx.client.patch_segment(spec.segment_id, [(ADD, adds), (REMOVE, removes)])
    except BaseException as exc:  # the run stops (Pendo unusable, Ctrl-C): these visitors are reported
        if not isinstance(exc, UnknownSegmentError):
            reason = (
                f"not answered before the run stopped ({str(exc) or type(exc).__name__}); sent again next run"
            )
            failed = [RowOutcome(str(key), FAILED, reason) for key, _ in rows]
            _count(result, failed)
            with contextlib.suppress(Exception):  # the writer may be what failed; state stays behind
                ctx.writer.submit(StateWrite(model_id, run_id, {}, {}, {GROUP: failed}))
        raise
    refused = {o.record_id for o in outcomes}
    added = [key for key in adds if key not in refused]
    removed = {key for key in removes if key not in refused}
    ctx.writer.submit(
        StateWrite(
            model_id,
            run_id,
            {GROUP: [(key, spec.segment_id) for key in added]},
            {GROUP: set(added) | removed},
            {GROUP: list(outcomes)},
        )
    )
    result.updated += len(added) + len(removed)
    _count(result, outcomes)
    return len(added), len(removed)


def _count(result: ModelResult, outcomes: Sequence[RowOutcome]) -> None:
    for outcome in outcomes:
        result.count(outcome.outcome)
        result.problems.append(RowProblem(outcome.record_id, GROUP, outcome.outcome, outcome.reason))
