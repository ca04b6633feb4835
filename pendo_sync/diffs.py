"""The diff SQL of each kind of model: the rows whose hash (metadata) or id (events) state does not hold.

One text for sync's pipelines, which send what it returns, and for plan and status, which only count
and sample it: what they report is what a sync would send, by construction (decision 0005).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from pendo_sync import state_sql as sql
from pendo_sync.config import EventSpec, MetadataSpec
from pendo_sync.field_plan import FieldCheck, temporal_kind
from pendo_sync.json_sql import EVENT_VALUE, EventParts, Member, Rendering, identifier, rendering
from pendo_sync.payloads import ID_FIELD


def metadata_diff_sql(check: FieldCheck, relation: str, state_schema: str, dialect: sql.Dialect) -> str:
    """The rows of a metadata model whose hash differs from state, per group; where the
    dialect can, with each group's entries rendered by the warehouse (json_sql.py)."""
    spec = check.spec
    groups = [
        sql.GroupHash(
            g,
            _fingerprint(spec, g),
            tuple(f.column for f in spec.group_fields(g)),
            _entry_plan(check, g) if dialect.renders_json else None,
            count_nulls=spec.nulls == "skip",
        )
        for g in spec.groups
    ]
    return sql.metadata_diff(
        relation,
        state_schema,
        spec.model.unique_id,
        spec.id_column,
        spec.columns,
        groups,
        dialect,
        check.doubles,
        temporal_kinds(check.column_types),
    )


def metadata_pending_sql(
    spec: MetadataSpec,
    relation: str,
    state_schema: str,
    dialect: sql.Dialect,
    column_types: Mapping[str, str] = {},
) -> str:
    """How many rows the next sync will find changed: sync's diff, counted. Field names are taken
    lowercased, as Pendo stores them (sync hashes them as Pendo's schema spells them); `column_types`
    are needed where the dialect formats dates and times in hashes (Dialect.session_text)."""
    lowered = replace(spec, fields=tuple(replace(f, field=f.field.lower()) for f in spec.fields))
    groups = [
        sql.GroupHash(g, _fingerprint(lowered, g), tuple(f.column for f in lowered.group_fields(g)))
        for g in lowered.groups
    ]
    diff = sql.metadata_diff(
        relation,
        state_schema,
        spec.model.unique_id,
        spec.id_column,
        spec.columns,
        groups,
        dialect,
        kinds=temporal_kinds(column_types),
    )
    return sql.row_count(diff)


def temporal_kinds(column_types: Mapping[str, str]) -> dict[str, str]:
    """The temporal kind of each column that has one (field_plan.temporal_kind)."""
    return {c: kind for c, t in column_types.items() if (kind := temporal_kind(t))}


def _entry_plan(check: FieldCheck, group: str) -> sql.EntryPlan | None:
    """The warehouse renders a group's entries when it can render every field of it exactly."""
    fields = []
    for f in check.spec.group_fields(group):
        how = rendering(check.column_types.get(f.column, ""), check.types[(group, f.field)])
        if how is None:
            return None
        fields.append((f.field, f.column, how))
    return sql.EntryPlan(ID_FIELD[check.spec.kind], check.spec.nulls, tuple(fields))


def _fingerprint(spec: MetadataSpec, group: str) -> str:
    mapping = ",".join(
        f"{f.field}={f.column}" for f in sorted(spec.group_fields(group), key=lambda f: f.field)
    )
    return f"v1;{spec.kind};{group};nulls={spec.nulls};{mapping}"


def event_diff_sql(
    spec: EventSpec, relation: str, state_schema: str, dialect: sql.Dialect, column_types: Mapping[str, str]
) -> str:
    """The event rows whose id state does not hold yet; where the dialect can, with
    each event's JSON rendered by the warehouse (json_sql.py)."""
    parts = event_parts(spec, column_types) if dialect.renders_json else None
    return sql.event_diff(
        relation, state_schema, spec.model.unique_id, spec.event_id_column, spec.columns, dialect, parts
    )


class _NotRendered(Exception):
    """A part of the model's events the warehouse cannot render exactly: Python builds all of them."""


def event_parts(spec: EventSpec, column_types: Mapping[str, str]) -> EventParts | None:
    """The parts of the model's events, each with its rendering; None unless the warehouse can render
    every one exactly (json_sql.py)."""

    def part(column: str, how: Callable[[str], Rendering | None]) -> tuple[str, Rendering]:
        found = how(column_types.get(column, ""))
        if found is None:
            raise _NotRendered(column)
        return column, found

    def members(pairs: tuple[tuple[str, str], ...]) -> tuple[Member, ...]:
        return tuple(
            Member(name, *part(column, lambda t: rendering(t, EVENT_VALUE))) for name, column in pairs
        )

    try:
        return EventParts(
            part(spec.event_name_column, identifier) if spec.event_name_column else str(spec.event_name),
            part(spec.visitor_id_column, identifier),
            part(spec.timestamp_column, lambda t: rendering(t, "time")),
            part(spec.account_id_column, identifier) if spec.account_id_column else None,
            members(spec.properties),
            members(spec.context),
        )
    except _NotRendered:
        return None
