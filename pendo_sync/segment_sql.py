"""SQL of a segment model's diff against state, rendered for one warehouse dialect.

Pure, like state_sql.py. A segment's state rows live in the state table under the group `segment`, one per
visitor pendo-dbt sent to the segment: `row_hash` holds the segment id once Pendo acknowledged the add,
and PENDING + the segment id from just before an add is sent until it is acknowledged. So a visitor whose
add may have reached Pendo (killed, answer lost) is still removed when it leaves the model.
"""

from __future__ import annotations

from pendo_sync.sql_render import literal
from pendo_sync.state_sql import KEY, Dialect, latest_state
from pendo_sync.state_writes import PENDING

GROUP = "segment"


def segment_diff(
    relation: str, schema: str, model_id: str, visitor_column: str, segment_id: str, d: Dialect
) -> str:
    """(visitor id, 'add' | 'remove'): model visitors not acknowledged in the segment, then visitors
    state holds for it (acknowledged or pending) that the model no longer holds. NULL ids are left out
    (see null_count)."""
    state, key = latest_state(schema, model_id, d, GROUP), d.text(d.quote(visitor_column))
    held = f"s.row_hash in ({literal(segment_id)}, {literal(PENDING + segment_id)})"
    return (
        f"select m.{KEY}, 'add' as op from (select distinct {key} as {KEY} from {relation} "
        f"where {d.quote(visitor_column)} is not null) m\n"
        f"where not exists (select 1 from {state} s where s.row_hash = {literal(segment_id)} "
        f"and s.record_key = m.{KEY})\n"
        f"union all\n"
        f"select distinct s.record_key, 'remove' as op from {state} s where {held}\n"
        f"and not exists (select 1 from {relation} r where {d.text(f'r.{d.quote(visitor_column)}')} = s.record_key)"
    )


def null_count(relation: str, visitor_column: str, d: Dialect) -> str:
    return f"select count(*) from {relation} where {d.quote(visitor_column)} is null"


def other_segments(schema: str, model_id: str, segment_id: str, d: Dialect) -> str:
    """State rows of this model for another segment id: left from before its segment_id changed."""
    return f"select count(*) from {latest_state(schema, model_id, d, GROUP)} l where {other_segments_where(segment_id)}"


def other_segments_where(segment_id: str) -> str:
    """Over the latest state rows `l` (StateStore.forget): those of another segment id."""
    return (
        f"l.pendo_group = {literal(GROUP)} and l.row_hash not in "
        f"({literal(segment_id)}, {literal(PENDING + segment_id)})"
    )
