"""JSON the warehouse renders itself, for values whose Pendo form needs no conversion in Python.

Converting values in Python (coercion.py) and encoding them as JSON is most of a metadata row's CPU;
DuckDB renders the same JSON in a fraction of that time on threads of its own (docs/performance.md,
decision 0009). So for the pairs of column type and target below, the diff selects each entry's JSON
text, and Python only joins entries into a request body.

A pair is listed only where the warehouse's rendering is exactly what coercion.py makes of the value,
inside a guard: a row outside its guard (a text over Pendo's length, a NaN, a time outside the years 1
to 9999, an integer beyond 64 bits) gets no rendered entry, and Python converts it, or rejects it with its
reason, as before. tests/unit/test_json_sql.py proves the equality with hypothesis against coercion.py on DuckDB.
Pure: SQL text for DuckDB's dialect; other warehouses render nothing and convert in Python.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pendo_sync.coercion import MS_MAX, MS_MIN, STRING_MAX
from pendo_sync.sql_render import literal

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

EVENT_VALUE = "event"  # the target of a Track event's property or context value: coercion.json_value

_INT64 = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_WIDE_INT = ("UBIGINT", "HUGEINT", "UHUGEINT")  # whole numbers that may exceed 64 bits
_DOUBLES = ("DOUBLE", "FLOAT")  # FLOAT is DuckDB's 4-byte REAL: Python sees it widened to a double
_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE")
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*\d+\)")
# Decimals of at most 15 digits cast to double exactly as float(Decimal) rounds (field_plan.py
# exact_as_double); of at most 18, their whole values fit a BIGINT.
_EXACT_DOUBLE_DIGITS, _BIGINT_DIGITS = 15, 18


@dataclass(frozen=True)
class Rendering:
    """SQL templates over one value, `{}` standing for its expression: its JSON text, and the condition
    under which that text is exactly coercion's ("" when there is none)."""

    json: str
    guard: str = ""

    def apply(self, expression: str) -> tuple[str, str]:
        return self.json.replace("{}", expression), self.guard.replace("{}", expression)


_JSON = Rendering("to_json({})")  # text and booleans, whose JSON is DuckDB's to_json exactly
_SHORT_TEXT = Rendering("to_json({})", f"length({{}}) <= {STRING_MAX}")
_AS_TEXT = Rendering("to_json(cast({} as varchar))")
_NUMBER = Rendering("cast({} as varchar)")
_INT64_RANGE = Rendering("cast({} as varchar)", "{} between -9223372036854775808 and 9223372036854775807")
_FINITE = Rendering("to_json(cast({} as double))", "isfinite({})")
_AS_DOUBLE = Rendering("to_json(cast({} as double))")
_WHOLE_OR_DOUBLE = Rendering(
    "case when {} = trunc({}) then cast(cast({} as bigint) as varchar) else to_json(cast({} as double)) end"
)
_WHOLE = Rendering("cast(cast({} as bigint) as varchar)", "{} = trunc({})")
# coercion floors to the millisecond; DuckDB's epoch_ms rounds and its `//` truncates, so: floor in integers.
_EPOCH_MS = Rendering(
    "cast(case when epoch_us({}) < 0 then (epoch_us({}) - 999) // 1000 else epoch_us({}) // 1000 end as varchar)",
    f"epoch_us({{}}) between {MS_MIN * 1000} and {MS_MAX * 1000 + 999}",
)
_DATE_MS = Rendering(
    "cast(epoch_ms(cast({} as timestamp)) as varchar)", "{} between date '0001-01-01' and date '9999-12-31'"
)


_ANY_NUMBER = ("number", "", EVENT_VALUE)  # targets that take an int as int and a fraction as a double
# Per kind of column, per target (a Pendo field type, "" for an untyped field, or EVENT_VALUE).
_RENDERINGS: dict[str, dict[str, Rendering]] = {
    "int64": {
        "string": _AS_TEXT,
        "float": _AS_DOUBLE,
        "integer": _NUMBER,
        **dict.fromkeys(_ANY_NUMBER, _NUMBER),
    },
    "wide int": {
        "string": _AS_TEXT,
        "integer": _INT64_RANGE,
        "number": _INT64_RANGE,
        "": _NUMBER,
        EVENT_VALUE: _NUMBER,
    },
    "text": {"string": _SHORT_TEXT, "": _SHORT_TEXT, EVENT_VALUE: _JSON},
    "boolean": {"string": _AS_TEXT, **dict.fromkeys(("boolean", "", EVENT_VALUE), _JSON)},
    "double": dict.fromkeys(("float", *_ANY_NUMBER), _FINITE),
    "timestamp": dict.fromkeys(("time", "", EVENT_VALUE), _EPOCH_MS),
    "date": dict.fromkeys(("time", "", EVENT_VALUE), _DATE_MS),
    "narrow decimal": {
        "float": _AS_DOUBLE,
        "integer": _WHOLE,
        **dict.fromkeys(_ANY_NUMBER, _WHOLE_OR_DOUBLE),
    },
    "decimal": {"integer": _WHOLE},
}


_KINDS = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "DATE": "date",
    **dict.fromkeys(_INT64, "int64"),
    **dict.fromkeys(_WIDE_INT, "wide int"),
    **dict.fromkeys(_DOUBLES, "double"),
    **dict.fromkeys(_TIMESTAMPS, "timestamp"),
}


_TEMPORAL = {
    "date": ("date", "1082"),
    "timestamp": (
        *("timestamp", "datetime", "timestamp_ntz", "timestampntz", "timestamp without time zone"),
        *("timestamp_s", "timestamp_ms", "timestamp_ns", "1114"),
    ),
    "timestamptz": (
        *("timestamptz", "timestamp with time zone", "timestamp_tz", "timestamp_ltz", "timestampltz"),
        "1184",
    ),
}
_TEMPORAL_OF = {name: kind for kind, names in _TEMPORAL.items() for name in names}


def temporal_kind(warehouse_type: str) -> str | None:
    """'date', 'timestamp' or 'timestamptz' for a column of that type, else None: the columns whose
    text a warehouse may render by session settings (state_sql.Dialect.value_text)."""
    return _TEMPORAL_OF.get(re.sub(r"\(.*?\)", "", warehouse_type).strip().lower())


def rendering(column_type: str, target: str) -> Rendering | None:
    """How DuckDB renders a value of `column_type` (as its cursor names it: 'VARCHAR', 'DECIMAL(12,2)')
    for `target`: a Pendo field type (coercion.coercer's), "" for an untyped field, or EVENT_VALUE."""
    return _RENDERINGS.get(_column_kind(column_type.strip().upper()), {}).get(target)


def _column_kind(column_type: str) -> str:
    if column_type in _KINDS:
        return _KINDS[column_type]
    match = _DECIMAL.fullmatch(column_type)
    digits = int(match.group(1)) if match else None
    if digits is not None and digits <= _EXACT_DOUBLE_DIGITS:
        return "narrow decimal"
    return "decimal" if digits is not None and digits <= _BIGINT_DIGITS else ""


# An id or name Python would not find blank (str.strip() removes Unicode spaces too): it has a visible
# ASCII character. Others (blank, or only non-ASCII) go through Python, which decides.
_VISIBLE_TEXT = Rendering("to_json({})", "regexp_matches({}, '[!-~]')")
_INT_TEXT = Rendering("to_json(cast({} as varchar))", "{} is not null")


def identifier(column_type: str) -> Rendering | None:
    """How DuckDB renders an id or event name (payloads.record_id: the value as text, never blank); its
    guard is false for NULL."""
    column_type = column_type.strip().upper()
    if column_type == "VARCHAR":
        return _VISIBLE_TEXT
    return _INT_TEXT if column_type in _INT64 else None


@dataclass(frozen=True)
class Member:
    """One member of a JSON object: its name, its value's SQL expression, and how that is rendered."""

    name: str
    value: str
    rendering: Rendering

    def over(self, ref: Callable[[str], str]) -> Member:
        return Member(self.name, ref(self.value), self.rendering)


def object_sql(members: Sequence[Member], nulls: str = "skip") -> tuple[str, str]:
    """A JSON object of `members` as SQL, and the condition under which it is exactly Python's.

    With `nulls: skip` a member whose value is NULL is left out; with `clear` it is sent as null
    (payloads.metadata_values does the same). Members keep their order, as in Python.
    """
    parts, guards = [], []
    for m in members:
        value, guard = m.rendering.apply(m.value)
        name = literal(json.dumps(m.name, ensure_ascii=False) + ":")
        parts.append(f"{name} || coalesce({value}, 'null')" if nulls == "clear" else f"{name} || {value}")
        if guard:
            guards.append(f"({m.value} is null or {guard})")
    body = f"concat_ws(',', {', '.join(parts)})" if parts else "''"
    return f"'{{' || {body} || '}}'", " and ".join(guards)


def metadata_entry_sql(kind_id: str, key: str, members: Sequence[Member], nulls: str) -> str:
    """One bulk-metadata entry (`{"<kind_id>": key, "values": {...}}`, payloads.metadata_entry) as SQL,
    NULL where Python must build it instead: outside a guard, or with nothing to send (every value NULL
    under `nulls: skip`, which Python records without sending)."""
    values, guard = object_sql(members, nulls)
    conditions = [guard] if guard else []
    if nulls == "skip":
        conditions.append("(" + " or ".join(f"{m.value} is not null" for m in members) + ")")
    head, middle = literal("{" + json.dumps(kind_id) + ":"), literal(',"values":')
    entry = f"{head} || to_json({key}) || {middle} || {values} || '}}'"
    return f"case when {' and '.join(conditions)} then {entry} end" if conditions else entry


@dataclass(frozen=True)
class EventParts:
    """A Track event's parts as SQL over one row: each an expression and its rendering (or a literal name)."""

    name: tuple[str, Rendering] | str  # a column's, or the literal `event_name`
    visitor: tuple[str, Rendering]
    timestamp: tuple[str, Rendering]
    account: tuple[str, Rendering] | None
    properties: tuple[Member, ...]
    context: tuple[Member, ...]

    def over(self, ref: Callable[[str], str]) -> EventParts:
        """The same parts over other expressions: `ref` maps each one (e.g. a model column to its alias)."""
        name = self.name if isinstance(self.name, str) else (ref(self.name[0]), self.name[1])
        account = None if self.account is None else (ref(self.account[0]), self.account[1])
        return EventParts(
            name,
            (ref(self.visitor[0]), self.visitor[1]),
            (ref(self.timestamp[0]), self.timestamp[1]),
            account,
            tuple(m.over(ref) for m in self.properties),
            tuple(m.over(ref) for m in self.context),
        )


def event_sql(parts: EventParts) -> tuple[str, str]:
    """The Track event as payloads.track_event builds it, as SQL (NULL where Python must build it), and
    the size in bytes of its properties object as sent."""
    guards = []
    if isinstance(parts.name, str):
        name = literal(json.dumps(parts.name, ensure_ascii=False))
    else:
        name, guard = parts.name[1].apply(parts.name[0])
        guards.append(guard)
    visitor, guard = parts.visitor[1].apply(parts.visitor[0])
    timestamp, timestamp_guard = parts.timestamp[1].apply(parts.timestamp[0])
    guards += [guard, timestamp_guard]
    account = "''"
    if parts.account is not None:
        expression, how = parts.account
        text, guard = how.apply(expression)
        member = literal(',"accountId":')
        account = f"case when {expression} is null then '' else {member} || {text} end"
        guards.append(f"({expression} is null or {guard})")
    properties, guard = object_sql(parts.properties)
    context, context_guard = object_sql(parts.context)
    guards += [g for g in (guard, context_guard) if g]
    event = " || ".join(
        [
            literal('{"type":"track","event":'),
            name,
            literal(',"visitorId":'),
            visitor,
            literal(',"timestamp":'),
            timestamp,
            account,
            literal(',"properties":'),
            properties,
            literal(',"context":'),
            context,
            "'}'",
        ]
    )
    condition = " and ".join(f"({g})" for g in guards)
    return (
        f"case when {condition} then {event} end",
        f"case when {condition} then strlen({properties}) end",
    )
