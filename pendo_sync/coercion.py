"""Warehouse value -> the JSON a Pendo field of a given type holds. Pure: ValueError says why not.

Pendo does not document what it does with a value of the wrong type, so it would only be found by
looking in Pendo afterwards. Coercing here, to the type Pendo's schema declares, turns it into a row
rejected now, with a reason.

Dates and timestamps become integer epoch milliseconds (naive timestamps are taken as UTC), which is
how Pendo stores them. An untyped field (`ANY`) gets the value's natural JSON form.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

ANY = ""  # Pendo's schema type for an untyped field; also ours for a type we do not know
STRING_MAX = 1500  # Pendo: "keep string values under 1,500 characters"
INT_LIMIT = 2**63  # Pendo's integers are 64-bit: -2**63 <= n < 2**63
EPOCH_SECONDS_BELOW = Decimal(10) ** 11  # 1e11 s is the year 5138; 1e11 ms is 1973
MS_MIN = -62_135_596_800_000  # 0001-01-01T00:00:00Z
MS_MAX = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MS_LIMIT = Decimal(10) ** 15  # beyond any epoch in range, seconds or milliseconds
_MAX_EXPONENT = 308  # the largest float is 1.8e308
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_MILLISECOND = timedelta(milliseconds=1)
_NUMERIC = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def coercer(pendo_type: str) -> Callable[[Any], Any]:
    """The conversion of a value (never None) to the JSON a field of `pendo_type` holds, raising ValueError
    if it has no faithful form. Looked up once per field rather than once per value."""
    return _COERCERS.get(pendo_type, to_any)


def to_any(value: Any) -> Any:
    """For untyped fields: the value's natural JSON form, strings within Pendo's length."""
    converted = json_value(value)
    for text in converted if isinstance(converted, list) else [converted]:
        if isinstance(text, str):
            _check_length(text)
    return converted


def to_string(value: Any) -> str:
    """Anything as text: dates ISO-8601, booleans `true`/`false`, lists and objects as JSON."""
    if type(value) is str:  # the common case first: this runs for every text value of every row
        return _check_length(value)
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("bytes that are not UTF-8 text") from None
    if isinstance(value, str):
        text = value
    elif isinstance(value, Decimal):
        text = format(_finite_decimal(value), "f")  # exactly as the warehouse holds it, scale included
    elif isinstance(value, (list, tuple, dict)):
        text = json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
    else:
        plain = _plain(value)
        text = json.dumps(plain) if isinstance(plain, bool) else str(plain)
    return _check_length(text)


def to_boolean(value: Any) -> bool:
    """Booleans, 0 and 1, and the usual spellings: true/false, t/f, yes/no, y/n, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    if _is_number(value) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    raise ValueError("not a boolean (true/false, yes/no, 1/0)")


def to_number(value: Any) -> int | float:
    """A finite number; whole decimals within 64 bits become integers, so `12.00` is sent as 12.

    Floats stay floats: a large whole float is not exactly the integer its digits suggest.
    """
    if type(value) is int and -INT_LIMIT <= value < INT_LIMIT:
        return value
    number = _decimal(value)
    if isinstance(value, float):
        return value
    if number == number.to_integral_value() and -INT_LIMIT <= number < INT_LIMIT:
        return int(number)
    return _finite_float(number)


def to_integer(value: Any) -> int:
    if type(value) is int and -INT_LIMIT <= value < INT_LIMIT:
        return value
    number = _decimal(value)
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    if not -INT_LIMIT <= number < INT_LIMIT:
        raise ValueError("outside the 64-bit integer range")
    return int(number)


def to_float(value: Any) -> float:
    if type(value) is float and math.isfinite(value):
        return value
    return _finite_float(_decimal(value))


def to_time(value: Any) -> int:
    """Epoch milliseconds from a timestamp (with or without time zone), a date, epoch seconds or
    milliseconds (numbers or numeric text), or ISO-8601 text. Sub-millisecond parts are floored."""
    if isinstance(value, datetime):
        ms = epoch_ms(value)
    elif isinstance(value, date):
        ms = epoch_ms(datetime(value.year, value.month, value.day))
    elif isinstance(value, str) and not _NUMERIC.fullmatch(value.strip()):
        ms = epoch_ms(_parse_iso(value))
    else:
        ms = _epoch_number(value)
    if not MS_MIN <= ms <= MS_MAX:
        raise ValueError("outside the years 1 to 9999")
    return ms


def to_list(value: Any) -> list[Any]:
    """Arrays, or text holding a JSON array; elements keep their natural JSON form."""
    items = value
    if isinstance(value, str):
        try:
            items = json.loads(value)
        except ValueError:
            raise ValueError("not a JSON array") from None
    if not isinstance(items, (list, tuple)):
        raise ValueError("not a list or a JSON array")
    return [to_any(item) for item in items]


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
    """Integer milliseconds since 1970 UTC, floored, exact for any year (no float round trip)."""
    return (value - (_EPOCH_NAIVE if value.tzinfo is None else _EPOCH)) // _MILLISECOND


def _decimal(value: Any) -> Decimal:
    """A finite number from ints, floats, Decimals or numeric text; booleans are not numbers."""
    if isinstance(value, bool):
        raise ValueError("a boolean, not a number")
    if isinstance(value, (int, float)):
        value = Decimal(value)  # exact
    elif isinstance(value, str) and _NUMERIC.fullmatch(value.strip()):
        value = Decimal(value.strip())
    if not isinstance(value, Decimal):
        raise ValueError("not a number")
    return _finite_decimal(value)


def _finite_decimal(value: Decimal) -> Decimal:
    """Refuse NaN, infinities and magnitudes no float holds (arithmetic on those would overflow)."""
    if not value.is_finite():
        raise ValueError("NaN and infinity cannot be sent to Pendo")
    if value and value.adjusted() > _MAX_EXPONENT:
        raise ValueError("too large for a number")
    return value


def _is_number(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_float(number: Decimal) -> float:
    converted = float(number)
    if not math.isfinite(converted):
        raise ValueError("too large for a floating-point number")
    return converted


def _epoch_number(value: Any) -> int:
    """Float seconds are read as written (1.001 s is 1001 ms), not as their binary value (1000.99... ms)."""
    try:
        number = _decimal(Decimal(repr(value)) if isinstance(value, float) else value)
    except ValueError:
        raise ValueError("not a timestamp, date, epoch number or ISO-8601 text") from None
    if abs(number) > MS_LIMIT:
        raise ValueError("outside the years 1 to 9999")
    ms = number * 1000 if abs(number) < EPOCH_SECONDS_BELOW else number
    return int(ms.to_integral_value(rounding=ROUND_FLOOR))


def _parse_iso(text: str) -> datetime:
    cleaned = text.strip()
    if cleaned[-1:] in ("Z", "z"):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError("not ISO-8601 date or timestamp text") from None


def _plain(value: Any) -> Any:
    """JSON-able form for rendering text: dates ISO-8601 (not epoch), decimals as numbers."""
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, Decimal)):
        return json_value(value)
    return value if isinstance(value, (bool, int, str)) or value is None else str(value)


def _check_length(text: str) -> str:
    if len(text) > STRING_MAX:
        raise ValueError(f"{len(text)} characters; Pendo keeps at most {STRING_MAX:,}")
    return text


_COERCERS: dict[str, Callable[[Any], Any]] = {
    "string": to_string,
    "boolean": to_boolean,
    "number": to_number,
    "integer": to_integer,
    "float": to_float,
    "time": to_time,
    "list": to_list,
}
