"""The diff SQL of each kind of model: the rows whose hash (metadata) or id (events) state does not hold.

One text for sync's pipelines, which send what it returns, and for plan and status, which only count
and sample it: what they report is what a sync would send, by construction (decision 0005).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pendo_sync import state_sql as sql
from pendo_sync.json_sql import (
    EVENT_VALUE,
    EventParts,
    Member,
    Rendering,
    event_sql,
    identifier,
    metadata_entry_sql,
    rendering,
    temporal_kind,
)
from pendo_sync.kinds import ID_FIELD

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

    from pendo_sync.config import EventSpec, MetadataSpec
    from pendo_sync.field_plan import FieldCheck


def metadata_diff_sql(check: FieldCheck, relation: str, state_schema: str, dialect: sql.Dialect) -> str:
    """The rows of a metadata model whose hash differs from state, per group; where the
    dialect can, with each group's entries rendered by the warehouse (json_sql.py)."""
    spec = check.spec
    groups = [
        GroupHash(
            g,
            _fingerprint(spec, g),
            tuple(f.column for f in spec.group_fields(g)),
            _entry_plan(check, g) if dialect.renders_json else None,
            count_nulls=spec.nulls == "skip",
        )
        for g in spec.groups
    ]
    return metadata_diff(
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
        GroupHash(g, _fingerprint(lowered, g), tuple(f.column for f in lowered.group_fields(g)))
        for g in lowered.groups
    ]
    diff = metadata_diff(
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
    """The temporal kind of each column that has one (json_sql.temporal_kind)."""
    return {c: kind for c, t in column_types.items() if (kind := temporal_kind(t))}


def _entry_plan(check: FieldCheck, group: str) -> EntryPlan | None:
    """The warehouse renders a group's entries when it can render every field of it exactly."""
    fields = []
    for f in check.spec.group_fields(group):
        how = rendering(check.column_types.get(f.column, ""), check.types[(group, f.field)])
        if how is None:
            return None
        fields.append((f.field, f.column, how))
    return EntryPlan(ID_FIELD[check.spec.kind], check.spec.nulls, tuple(fields))


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
    return event_diff(
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


@dataclass(frozen=True)
class EntryPlan:
    """How the warehouse renders one group's bulk-metadata entries (json_sql.py)."""

    id_field: str  # visitorId or accountId
    nulls: str
    fields: tuple[tuple[str, str, Rendering], ...]  # (Pendo field, model column, rendering)


@dataclass(frozen=True)
class GroupHash:
    """One Pendo group of a metadata model: its mapped columns and a fingerprint of the mapping itself;
    `entry` when the warehouse renders its entries."""

    group: str
    fingerprint: str
    columns: tuple[str, ...]
    entry: EntryPlan | None = None
    count_nulls: bool = False  # `nulls: skip`: count the row's NULLs in this group, which are not sent


def metadata_diff(
    relation: str,
    schema: str,
    model_id: str,
    id_column: str,
    columns: Sequence[str],
    groups: Sequence[GroupHash],
    d: sql.Dialect,
    doubles: Collection[str] = (),
    kinds: Mapping[str, str] = {},
) -> str:
    """Changed rows: key, the mapped columns (in `columns` order), then per group its hash, its change:
    'new' (no state yet), 'changed' (state holds another hash) or NULL (unchanged), and its entry's JSON
    when the warehouse rendered it (NULL when Python is to build it); last, per group, how many of its
    mapped values are NULL where `count_nulls` (with `nulls: skip` they are left out: Pendo keeps its
    value), else 0.

    The fingerprint (field names, columns, null handling) is hashed with the values, so editing the
    mapping makes every row differ for the edited group and resends it. Columns in `doubles` come back
    cast to the dialect's `double_type`, if it has one; they are hashed as the model holds them, so state
    does not depend on it. `kinds` holds the temporal kind of columns that have one (Dialect.value_text).
    A column comes back only where Python needs it: NULL when no group maps it,
    and, when only rendered groups do, in rows with a changed group left to Python.
    """
    q = d.quote
    alias = {c: f"c{i}" for i, c in enumerate(columns)}
    inner = ", ".join([f"{d.text(q(id_column))} as {sql.KEY}", *(f"{q(c)} as {alias[c]}" for c in columns)])
    hashes = [
        f"{d.row_hash(g.fingerprint, [alias[c] for c in g.columns], [kinds.get(c) for c in g.columns])} as h_{g.group}"
        for g in groups
    ]
    joins, selects, changed = [], [], []
    for g in groups:
        s = f"s_{g.group}"
        joins.append(
            f"left join {sql.latest_state(schema, model_id, d, g.group)} {s} on {s}.record_key = src.{sql.KEY}"
        )
        flag = f"({s}.row_hash is null or {s}.row_hash <> src.h_{g.group})"
        change = f"case when {s}.row_hash is null then 'new' when {s}.row_hash <> src.h_{g.group} then 'changed' end"
        selects += [
            f"src.h_{g.group}",
            f"{change} as change_{g.group}",
            f"{_entry(g, alias, d)} as e_{g.group}",
            f"{_null_count(g, alias)} as n_{g.group}",
        ]
        changed.append(flag)
    body = ", ".join([sql.KEY, *alias.values(), *hashes])
    values = [
        f"cast(src.{a} as {d.double_type}) as {a}" if d.double_type and c in doubles else f"src.{a}"
        for c, a in alias.items()
    ]
    diff = (
        f"select src.{sql.KEY}, {', '.join(values)}, {', '.join(selects)}\n"
        f"from (select {body} from (select {inner} from {relation}) raw) src\n"
        + "\n".join(joins)
        + f"\nwhere {' or '.join(changed)}"
    )
    needed = [_needed(c, a, groups) for c, a in alias.items()]
    per_group = [f"{x}_{g.group}" for g in groups for x in ("h", "change", "e")]
    per_group += [f"n_{g.group}" for g in groups]
    return f"select {sql.KEY}, {', '.join([*needed, *per_group])}\nfrom ({diff}) d"


def _entry(group: GroupHash, alias: dict[str, str], d: sql.Dialect) -> str:
    plan = group.entry
    if plan is None:
        return f"cast(null as {d.text_type})"
    members = [Member(field, f"src.{alias[column]}", how) for field, column, how in plan.fields]
    return metadata_entry_sql(plan.id_field, f"src.{sql.KEY}", members, plan.nulls)


def _null_count(group: GroupHash, alias: dict[str, str]) -> str:
    if not group.count_nulls:
        return "0"
    return (
        "(" + " + ".join(f"case when src.{alias[c]} is null then 1 else 0 end" for c in group.columns) + ")"
    )


def _needed(column: str, a: str, groups: Sequence[GroupHash]) -> str:
    """A mapped column as the outer select returns it: only for rows where Python reads it."""
    using = [g for g in groups if column in g.columns]
    if not using:
        return f"null as {a}"
    if any(g.entry is None for g in using):
        return a
    python = " or ".join(f"(change_{g.group} is not null and e_{g.group} is null)" for g in using)
    return f"case when {python} then {a} end as {a}"


def event_diff(
    relation: str,
    schema: str,
    model_id: str,
    id_column: str,
    columns: Sequence[str],
    d: sql.Dialect,
    parts: EventParts | None = None,
) -> str:
    """Event rows whose id has no state yet (insert-only): key, then `columns` in order, then the event's
    JSON, its properties' size in bytes and its timestamp in epoch milliseconds (text) when the warehouse
    rendered it (`parts`, over model columns; NULL where Python is to build the event, and only then do
    the columns come back). The timestamp is what a backfill window is checked against (backfill.py)."""
    q = d.quote
    alias = {c: f"c{i}" for i, c in enumerate(columns)}
    inner = ", ".join([f"{d.text(q(id_column))} as {sql.KEY}", *(f"{q(c)} as {a}" for c, a in alias.items())])
    if parts is None:
        event, size, values = f"cast(null as {d.text_type})", "cast(null as integer)", list(alias.values())
        timestamp = f"cast(null as {d.text_type})"
    else:
        over = parts.over(lambda column: f"src.{alias[column]}")
        event, size = event_sql(over)
        timestamp = over.timestamp[1].apply(over.timestamp[0])[0]
        values = [f"case when e is null then {a} end as {a}" for a in alias.values()]
    new = (
        f"select src.*, {event} as e, {size} as e_bytes, {timestamp} as e_ms "
        f"from (select {inner} from {relation}) src\n"
        f"where not exists (select 1 from {sql.latest_state(schema, model_id, d, 'event')} s "
        f"where s.record_key = src.{sql.KEY})"
    )
    e_ms = "case when e is null then null else e_ms end as e_ms"
    return f"select {sql.KEY}, {', '.join([*values, 'e', 'e_bytes', e_ms])}\nfrom ({new}) d"
