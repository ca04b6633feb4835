"""Diff rows -> what would go to Pendo, before any I/O: the one code path `sync` sends and `plan` shows.

Pure: takes rows as the diff SQL returns them (see state_sql.py for their layout) and the model's spec,
returns payloads per Pendo group plus the rows decided without Pendo (rejected here, or with nothing to
send). `metadata_sync`/`event_sync` turn the payloads into requests; `plan` counts and samples them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from pendo_sync.coercion import to_time
from pendo_sync.payloads import (
    PROPERTIES_DISPLAY_LIMIT,
    Body,
    RowRejected,
    mapped_field,
    metadata_entry,
    metadata_values,
    record_id,
    track_event,
)

if TYPE_CHECKING:
    from pendo_sync.config import EventSpec, MetadataSpec

EVENT_GROUP = "event"
FieldTypes = Mapping[tuple[str, str], str]  # (group, Pendo field) -> Pendo type


class Payload(NamedTuple):  # a tuple: one is made per row and group, and a dataclass costs 3x to make
    """One record's body for one Pendo group (a bulk-metadata entry, or a whole Track event): built here,
    or its JSON text as the warehouse rendered it (json_sql.py)."""

    key: str
    body: Body
    row_hash: str | None  # what state records once Pendo acknowledged it (None for events)


@dataclass(frozen=True)
class Rejection:
    group: str
    key: str
    reason: str


@dataclass
class Prepared:
    """One fetched chunk of diff rows, ready to send."""

    rows: int
    payloads: dict[str, list[Payload]] = field(default_factory=dict)  # by Pendo group, in row order
    rejected: list[Rejection] = field(default_factory=list)
    nothing_to_send: list[tuple[str, str, str | None]] = field(default_factory=list)  # group, key, hash
    unkeyed: list[str] = field(default_factory=list)  # reasons of rows with a null or blank id
    replaced: dict[str, set[str]] = field(default_factory=dict)  # by group: keys whose state row is replaced
    sending: int = 0  # rows with at least one payload
    oversized: int = 0  # events whose properties exceed Pendo's display limit
    nulls_skipped: int = 0  # NULL values left out of what is sent (`nulls: skip`: Pendo keeps its value)


def prepare_metadata(spec: MetadataSpec, types: FieldTypes, rows: Sequence[Sequence[Any]]) -> Prepared:
    """Diff rows (key, mapped columns, then hash, change and rendered entry per group, then NULLs per
    group) -> entries per group.

    Only the groups whose hash changed are sent for a row; a group is the unit of change because state
    keeps one hash per group, so a changed row resends every mapped field of that group. An entry the
    warehouse rendered is sent as it is; the others are built from the row's values here.
    """
    width = len(spec.columns)
    position = {column: 1 + i for i, column in enumerate(spec.columns)}
    prepared = Prepared(rows=len(rows))
    plan = []  # per group: where its hash sits in the row, its fields, and where its payloads go
    n_groups = len(spec.groups)
    for index, group in enumerate(spec.groups):
        fields = [
            mapped_field(f.field, f.column, types[(group, f.field)], position[f.column])
            for f in spec.group_fields(group)
        ]
        at, nulls_at = 1 + width + 3 * index, 1 + width + 3 * n_groups + index
        plan.append((group, at, nulls_at, fields, prepared.payloads.setdefault(group, [])))
    kind, nulls = spec.kind, spec.nulls
    for row in rows:
        key = _key(row, spec.id_column, prepared)
        if key is None:
            continue
        sending = False
        for group, at, nulls_at, fields, payloads in plan:
            change = row[at + 1]
            if not change:
                continue
            if change == "changed":
                prepared.replaced.setdefault(group, set()).add(key)
            entry = row[at + 2]  # rendered by the warehouse (json_sql.py), or None: built here
            if entry is not None:
                payloads.append(Payload(key, entry, row[at]))
                prepared.nulls_skipped += row[nulls_at]
                sending = True
                continue
            try:
                values = metadata_values(row, fields, nulls)
            except RowRejected as exc:
                prepared.rejected.append(Rejection(group, key, str(exc)))
                continue
            prepared.nulls_skipped += row[nulls_at]
            if not values:
                prepared.nothing_to_send.append((group, key, row[at]))
                continue
            payloads.append(Payload(key, metadata_entry(kind, key, values), row[at]))
            sending = True
        prepared.sending += sending
    return prepared


def nulls_note(count: int, planned: bool = False) -> str:
    """What `nulls: skip` did to the NULLs of the rows sent: said on every sync and plan that has some,
    because a value set to NULL in the model then stays in Pendo (docs/decisions/0012-nulls-skip.md)."""
    values = "1 NULL value" if count == 1 else f"{count} NULL values"
    verb = "would be" if planned else "was" if count == 1 else "were"
    return (
        f"{values} {verb} left out (nulls: skip): Pendo keeps what it holds for those fields, so a value "
        "set to NULL in the model stays in Pendo. Set `nulls: clear` to clear them"
    )


def prepare_events(spec: EventSpec, rows: Sequence[Sequence[Any]], before: int | None = None) -> Prepared:
    """Diff rows (event id, spec.columns, then the event's JSON, its properties' size in bytes and its
    timestamp in epoch ms if the warehouse rendered it) -> one Track event each. An event whose timestamp
    is below `before` (epoch ms: a backfill window's start) is not sent: it goes to `nothing_to_send`."""
    prepared = Prepared(rows=len(rows), payloads={EVENT_GROUP: []})
    payloads, width = prepared.payloads[EVENT_GROUP], len(spec.columns)
    for row in rows:
        key = _key(row, spec.event_id_column, prepared)
        if key is None:
            continue
        rendered = row[width + 1]  # by the warehouse (json_sql.py), or None: built here
        if before is not None and _older(row, width, spec, before):
            prepared.nothing_to_send.append((EVENT_GROUP, key, None))
            continue
        if rendered is not None:
            prepared.oversized += row[width + 2] > PROPERTIES_DISPLAY_LIMIT
            payloads.append(Payload(key, rendered, None))
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
            prepared.rejected.append(Rejection(EVENT_GROUP, key, str(exc)))
            continue
        properties = json.dumps(event["properties"], separators=(",", ":"), ensure_ascii=False)
        prepared.oversized += len(properties.encode()) > PROPERTIES_DISPLAY_LIMIT  # its size as sent
        payloads.append(Payload(key, event, None))
    prepared.sending = len(payloads)
    return prepared


def _older(row: Sequence[Any], width: int, spec: EventSpec, before: int) -> bool:
    """Is the event's timestamp below `before`? A timestamp that cannot be read is not: the row goes on
    to be rejected with its reason, like any other."""
    if row[width + 1] is not None:
        return int(row[width + 3]) < before
    raw = row[1 + spec.columns.index(spec.timestamp_column)]
    try:
        return raw is not None and to_time(raw) < before
    except ValueError:
        return False


def _key(row: Sequence[Any], column: str, prepared: Prepared) -> str | None:
    """The row's id (the diff puts it first), or None once the reason it has none is noted."""
    try:
        return record_id(row[0], column)
    except RowRejected as exc:
        prepared.unkeyed.append(str(exc))
        return None


def oversized_note(count: int) -> str:
    return (
        f"{count} events have a properties object over Pendo's {PROPERTIES_DISPLAY_LIMIT}-byte display "
        "limit; Pendo accepts them but shows 'event properties JSON too large'"
    )


def window_note(window: str, count: int) -> str:
    return f"{count} {window} were marked as seen without sending them"
