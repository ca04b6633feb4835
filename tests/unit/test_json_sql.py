"""The JSON DuckDB renders (json_sql.py) is exactly what coercion.py makes, wherever its guard holds.

The property that keeps rows honest: if the guard holds, Python's coercion accepts the value and its JSON
equals the rendered JSON, in type as well as value (1 is not 1.0, True is not 1). Outside the guard
nothing is rendered and Python decides, rejections and their reasons included.
"""

from __future__ import annotations

import json
import math
from datetime import timezone
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import event as event_label
from hypothesis import given, settings
from hypothesis import strategies as st

from pendo_sync import json_sql
from pendo_sync.coercion import STRING_MAX, coercer, json_value
from pendo_sync.config import EventSpec
from pendo_sync.diffs import event_parts
from pendo_sync.json_sql import EVENT_VALUE, Member, metadata_entry_sql, object_sql, rendering
from pendo_sync.manifest import ModelNode
from pendo_sync.payloads import RowRejected, mapped_field, metadata_entry, metadata_values
from pendo_sync.prepare import prepare_events

TARGETS = ("string", "integer", "number", "float", "boolean", "time", "", EVENT_VALUE)
DB = duckdb.connect()

# Warehouse text is valid UTF-8: no NUL (DuckDB ends strings there), no lone surrogates (no UTF-8 form).
CHARS = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
TEXT = st.text(CHARS, max_size=20) | st.integers(STRING_MAX - 3, STRING_MAX + 3).map(lambda n: "é" * n)
MS_EDGE = st.sampled_from(["1969-12-31 23:59:59.998999", "1970-01-01 00:00:00.000999", "0001-01-01"])
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "VARCHAR": TEXT,
    "TINYINT": st.integers(-128, 127),
    "SMALLINT": st.integers(-(2**15), 2**15 - 1),
    "INTEGER": st.integers(-(2**31), 2**31 - 1),
    "BIGINT": st.integers(-(2**63), 2**63 - 1),
    "UTINYINT": st.integers(0, 255),
    "USMALLINT": st.integers(0, 2**16 - 1),
    "UINTEGER": st.integers(0, 2**32 - 1),
    "UBIGINT": st.integers(0, 2**64 - 1),
    "HUGEINT": st.integers(-(2**127), 2**127 - 1),
    "DOUBLE": st.floats(),
    "FLOAT": st.floats(width=32),
    "BOOLEAN": st.booleans(),
    "TIMESTAMP": st.datetimes().map(str) | MS_EDGE,
    "TIMESTAMP WITH TIME ZONE": st.datetimes(timezones=st.just(timezone.utc)).map(str) | MS_EDGE,
    "DATE": st.dates().map(str),
}
for precision in (4, 12, 15, 18):
    VALUES[f"DECIMAL({precision},2)"] = st.integers(-(10**precision) + 1, 10**precision - 1).map(
        lambda n: Decimal(n).scaleb(-2)
    )


def python_json(value: Any, target: str) -> Any:
    """What pendo-dbt sends for `value` when Python converts it (raises ValueError to reject it)."""
    return json_value(value) if target == EVENT_VALUE else coercer(target)(value)


def same(a: Any, b: Any) -> bool:
    """Equal in JSON type and value: 1 vs 1.0 and True vs 1 differ, and so do 0.0 and -0.0."""
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and repr(a) == repr(b)
    return type(a) is type(b) and a == b


def rendered(column_type: str, target: str, raw: Any) -> tuple[Any, str | None, bool]:
    """DuckDB's value as Python fetches it, its rendered JSON text, and whether the guard holds."""
    how = rendering(column_type, target)
    assert how is not None
    text, guard = how.apply("v")
    row = DB.execute(
        f"select v, {text}, {guard or 'true'} from (select cast(? as {column_type}) as v)", [raw]
    ).fetchone()
    assert row is not None
    return row[0], row[1], bool(row[2])


PAIRS = [(c, t) for c in VALUES for t in TARGETS if rendering(c, t) is not None]


@pytest.mark.parametrize(("column_type", "target"), PAIRS)
@given(data=st.data())
def test_inside_its_guard_the_rendering_is_the_coercion(
    column_type: str, target: str, data: st.DataObject
) -> None:
    value, text, guarded = rendered(column_type, target, data.draw(VALUES[column_type]))
    if not guarded:
        return  # Python converts or rejects it
    assert text is not None
    expected = python_json(value, target)  # raises if Python would reject what the warehouse rendered
    assert same(json.loads(text), expected), (value, text, expected)


@pytest.mark.parametrize(
    ("column_type", "target", "raw"),
    [
        ("VARCHAR", "string", "x" * (STRING_MAX + 1)),
        ("DOUBLE", "float", math.nan),
        ("DOUBLE", "number", math.inf),
        ("TIMESTAMP", "time", "10000-01-01 00:00:00"),
        ("UBIGINT", "integer", 2**63),
        ("DECIMAL(12,2)", "integer", Decimal("1.50")),
    ],
)
def test_values_python_rejects_or_rounds_otherwise_are_left_to_python(
    column_type: str, target: str, raw: Any
) -> None:
    assert not rendered(column_type, target, raw)[2]


@pytest.mark.parametrize(
    ("column_type", "target", "raw", "expected"),
    [
        ("VARCHAR", "string", 'say "hi"\n', 'say "hi"\n'),
        ("BIGINT", "float", 3, 3.0),
        ("DECIMAL(12,2)", "number", Decimal("12.00"), 12),
        ("DECIMAL(12,2)", "float", Decimal("12.50"), 12.5),
        ("TIMESTAMP", "time", "2026-01-02 03:04:05.678901", 1767323045678),
        ("TIMESTAMP", "time", "1969-12-31 23:59:59.998999", -2),
        ("BOOLEAN", "string", True, "true"),
    ],
)
def test_common_values_are_rendered(column_type: str, target: str, raw: Any, expected: Any) -> None:
    _, text, guarded = rendered(column_type, target, raw)
    assert guarded and text is not None and same(json.loads(text), expected)


def test_pairs_that_need_parsing_or_have_no_exact_rendering_are_not_rendered() -> None:
    assert rendering("VARCHAR", "integer") is None  # numeric text is parsed in Python
    assert rendering("DOUBLE", "integer") is None
    assert rendering("DOUBLE", "string") is None  # DuckDB prints doubles unlike Python's repr
    assert rendering("HUGEINT", "float") is None
    assert rendering("DECIMAL(18,2)", "float") is None  # beyond 15 digits the cast may round otherwise
    assert rendering("INTEGER[]", "list") is None
    assert rendering("TIMESTAMP_NS", "time") is None


FIELDS = (("email", "VARCHAR", "string"), ("seats", "INTEGER", "integer"), ("since", "DATE", "time"))
ROW = st.tuples(st.none() | TEXT, st.none() | VALUES["INTEGER"], st.none() | VALUES["DATE"])


@pytest.mark.parametrize("nulls", ["skip", "clear"])
@given(row=ROW)
def test_an_entry_is_the_entry_python_builds(nulls: str, row: tuple[Any, ...]) -> None:
    members = [Member(name, f"c{i}", rendering(t, target)) for i, (name, t, target) in enumerate(FIELDS)]  # type: ignore[arg-type]
    entry = metadata_entry_sql("visitorId", "k", members, nulls)
    columns = ", ".join(f"cast(? as {t}) as c{i}" for i, (_, t, _) in enumerate(FIELDS))
    got = DB.execute(f"select {entry}, * from (select 'v-1' as k, {columns})", list(row)).fetchone()
    assert got is not None
    fields = [mapped_field(name, f"c{i}", target, 2 + i) for i, (name, _, target) in enumerate(FIELDS)]
    try:
        values = metadata_values(got, fields, nulls)
    except RowRejected:
        assert got[0] is None  # Python rejects it: the warehouse rendered nothing
        return
    if not values:
        assert got[0] is None  # nothing to send: Python records it without sending
        return
    if got[0] is not None:
        assert json.loads(got[0]) == metadata_entry("visitor", "v-1", values)


def test_field_names_are_escaped_in_json_and_in_sql() -> None:
    members = [Member('it\'s "odd"', "v", json_sql.rendering("VARCHAR", "string"))]  # type: ignore[arg-type]
    text, guard = object_sql(members)
    assert json.loads(DB.execute(f"select {text} from (select 'x' as v)").fetchone()[0]) == {
        'it\'s "odd"': "x"
    }  # type: ignore[index]
    assert guard == "(v is null or length(v) <= 1500)"


def test_no_members_is_an_empty_object() -> None:
    assert DB.execute(f"select {object_sql([])[0]}").fetchone() == ("{}",)


def same_json(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    return same(a, b)


WORD = st.from_regex(r"[a-z0-9_.@-]{1,12}", fullmatch=True)  # most ids and names look like this
EVENT_COLUMNS = (  # name, type, values
    ("visitor", "VARCHAR", st.none() | WORD | TEXT),
    ("visitor_n", "BIGINT", st.none() | VALUES["BIGINT"]),
    ("name", "VARCHAR", st.none() | WORD | TEXT),
    ("ts", "TIMESTAMP", st.none() | VALUES["TIMESTAMP"]),
    ("day", "DATE", st.none() | VALUES["DATE"]),
    ("account", "VARCHAR", st.none() | WORD | TEXT | st.sampled_from(["", " ", "\u00a0"])),
    ("plan", "VARCHAR", st.none() | TEXT),
    ("amount", "DECIMAL(12,2)", st.none() | VALUES["DECIMAL(12,2)"]),
    ("ratio", "DOUBLE", st.none() | VALUES["DOUBLE"]),
    ("admin", "BOOLEAN", st.none() | st.booleans()),
    ("big", "HUGEINT", st.none() | VALUES["HUGEINT"]),
)
EVENT_TYPES = {name: t for name, t, _ in EVENT_COLUMNS}


@pytest.mark.parametrize(
    ("visitor", "name", "timestamp"), [("visitor", "name", "ts"), ("visitor_n", None, "day")]
)
@settings(max_examples=400)  # most rows fall outside some guard; this keeps ~40 or more rendered
@given(row=st.tuples(*(values for _, _, values in EVENT_COLUMNS)))
def test_an_event_is_the_event_python_builds(
    visitor: str, name: str | None, timestamp: str, row: tuple[Any, ...]
) -> None:
    spec = EventSpec(
        ModelNode("model.p.e", "e", None, "main", "e", {}),
        "visitor",  # any column: this test renders events, it does not diff them
        visitor,
        timestamp,
        event_name_column=name,
        event_name=None if name else "Signed Up",
        account_id_column="account",
        properties=(
            ("plan", "plan"),
            ("amount", "amount"),
            ("ratio", "ratio"),
            ("admin", "admin"),
            ("big", "big"),
        ),
        context=(("ip", "plan"),),
    )
    parts = event_parts(spec, EVENT_TYPES)
    assert parts is not None
    alias = {column: f"c{i}" for i, column in enumerate(EVENT_TYPES)}
    event, size = json_sql.event_sql(parts.over(alias.__getitem__))
    columns = ", ".join(f"cast(? as {t}) as {alias[c]}" for c, t in EVENT_TYPES.items())
    got = DB.execute(f"select {event}, {size}, * from (select {columns})", list(row)).fetchone()
    assert got is not None
    fetched = dict(zip(EVENT_TYPES, got[2:]))
    python_row = ("k", *(fetched[c] for c in spec.columns), None, None)
    prepared = prepare_events(spec, [python_row])
    event_label("rendered" if got[0] is not None else "left to Python")
    if got[0] is None:
        return  # left to Python, which builds or rejects it
    assert not prepared.rejected, prepared.rejected  # the warehouse never renders what Python rejects
    (payload,) = prepared.payloads["event"]
    assert same_json(json.loads(got[0]), payload.body), (got[0], payload.body)
