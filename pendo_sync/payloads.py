"""Warehouse row -> Pendo request body. Pure: a bad row raises RowRejected and only that row is dropped.

Values are made JSON-native the way Pendo stores them: dates and timestamps as integer epoch
milliseconds (naive timestamps are taken as UTC), decimals as numbers, everything else as-is or text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

ID_FIELD = {"visitor": "visitorId", "account": "accountId"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class RowRejected(ValueError):
    """This row (for this group) cannot be sent; the message is the reason shown to the user."""


def record_id(raw: Any, column: str) -> str:
    if raw is None:
        raise RowRejected(f"id column '{column}' is null")
    text = str(raw)
    if not text.strip():
        raise RowRejected(f"id column '{column}' is empty")
    return text


def metadata_values(fields: Sequence[tuple[str, str, Any]], nulls: str) -> dict[str, Any]:
    """`values` of one record: (pendo field, column, raw value) -> JSON; nulls skipped or cleared."""
    values: dict[str, Any] = {}
    for field, column, raw in fields:
        if raw is None:
            if nulls == "clear":
                values[field] = None
            continue
        try:
            values[field] = json_value(raw)
        except ValueError as exc:
            raise RowRejected(f"column '{column}' value {_show(raw)}: {exc}") from None
    return values


def metadata_entry(kind: str, record: str, values: dict[str, Any]) -> dict[str, Any]:
    return {ID_FIELD[kind]: record, "values": values}


def json_value(value: Any) -> Any:
    """A warehouse value as the JSON Pendo expects; ValueError for what has no faithful form."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinity cannot be sent to Pendo")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("NaN and infinity cannot be sent to Pendo")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return epoch_ms(value)
    if isinstance(value, date):
        return epoch_ms(datetime(value.year, value.month, value.day))
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return str(value)


def epoch_ms(value: datetime) -> int:
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    delta = aware - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
