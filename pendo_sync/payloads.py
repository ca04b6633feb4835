"""Warehouse row -> Pendo request body. Pure: a bad row raises RowRejected and only that row is dropped.

Metadata values are coerced to the type of their Pendo field (see coercion.py); Track events carry
JSON-native values: dates and timestamps as integer epoch milliseconds (naive timestamps are taken as
UTC), decimals as numbers, everything else as-is or text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Union

from pendo_sync.coercion import coercer, json_value, to_time
from pendo_sync.kinds import ID_FIELD

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

Body = Union[dict[str, Any], str]  # a request body built here, or its JSON text as the warehouse rendered it


class RowRejected(ValueError):
    """This row (for this group) cannot be sent; the message is the reason shown to the user."""


def record_id(raw: Any, column: str) -> str:
    if raw is None:
        raise RowRejected(f"id column '{column}' is null")
    text = str(raw)
    if not text.strip():
        raise RowRejected(f"id column '{column}' is empty")
    return text


class MappedField(NamedTuple):
    """One Pendo field of a group: where its value sits in a diff row, and its conversion (found once)."""

    field: str
    column: str
    pendo_type: str
    position: int  # of its value in a diff row
    convert: Callable[[Any], Any]


def mapped_field(field: str, column: str, pendo_type: str, position: int) -> MappedField:
    return MappedField(field, column, pendo_type, position, coercer(pendo_type))


def metadata_values(row: Sequence[Any], fields: Sequence[MappedField], nulls: str) -> dict[str, Any]:
    """`values` of one record: each field's value taken from `row` and converted to its Pendo type.

    A null is left out with `nulls: skip` (Pendo keeps what it has) and sent as JSON null with
    `nulls: clear` (Pendo clears the field). Any other value is coerced to the field's type.
    """
    values: dict[str, Any] = {}
    for field, column, pendo_type, position, convert in fields:
        raw = row[position]
        if raw is None:
            if nulls == "clear":
                values[field] = None
            continue
        try:
            values[field] = convert(raw)
        except ValueError as exc:
            raise RowRejected(
                f"column '{column}' value {_show(raw)} rejected for Pendo {pendo_type or 'untyped'} "
                f"field '{field}': {exc}"
            ) from None
    return values


def metadata_entry(kind: str, record: str, values: dict[str, Any]) -> dict[str, Any]:
    return {ID_FIELD[kind]: record, "values": values}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


PROPERTIES_DISPLAY_LIMIT = 512  # bytes of the properties JSON Pendo displays; larger shows "too large"


def track_event(
    event: Any,
    visitor: Any,
    account: Any,
    timestamp: Any,
    properties: Sequence[tuple[str, str, Any]],
    context: Sequence[tuple[str, str, Any]],
    *,
    visitor_column: str,
    timestamp_column: str,
) -> dict[str, Any]:
    """One Track event body as Pendo documents it; the column names go into rejection reasons."""
    if event is None or not str(event).strip():
        raise RowRejected("event name is null or empty")
    body: dict[str, Any] = {
        "type": "track",
        "event": str(event),
        "visitorId": record_id(visitor, visitor_column),
        "timestamp": timestamp_ms(timestamp, timestamp_column),
    }
    if account is not None and str(account).strip():
        body["accountId"] = str(account)
    body["properties"] = _object(properties)
    body["context"] = _object(context)
    return body


def timestamp_ms(raw: Any, column: str) -> int:
    """Epoch milliseconds, read as a metadata `time` field is (coercion.to_time): a timestamp, a date,
    epoch seconds or milliseconds, or ISO-8601 text, within the years 1 to 9999. An event is sent once,
    so a value out of that range (epoch micro- or nanoseconds, say) is rejected, never sent as a date."""
    if raw is None:
        raise RowRejected(f"timestamp column '{column}' is null")
    try:
        return to_time(raw)
    except ValueError as exc:
        raise RowRejected(f"timestamp column '{column}' value {_show(raw)}: {exc}") from None


def _object(pairs: Sequence[tuple[str, str, Any]]) -> dict[str, Any]:
    out = {}
    for name, column, raw in pairs:
        if raw is None:
            continue
        try:
            out[name] = json_value(raw)
        except ValueError as exc:
            raise RowRejected(f"column '{column}' value {_show(raw)}: {exc}") from None
    return out
