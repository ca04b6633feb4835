"""The SQL we render: quoting, injective value encoding, and the diff's shape."""

from __future__ import annotations

from decimal import Decimal

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from pendo_sync import diffs
from pendo_sync import state_sql as sql
from pendo_sync.capabilities import capabilities_for
from pendo_sync.coercion import to_float
from pendo_sync.field_plan import EXACT_DOUBLE_DIGITS
from pendo_sync.state_writes import TOMBSTONE

D = sql.Dialect(quote=lambda name: '"' + name.replace('"', '""') + '"')


def encoded(*values: str | None) -> str:
    """Evaluate the row encoding in a real SQL engine (DuckDB, in memory)."""
    row = ", ".join(f"{sql.literal(v) if v is not None else 'null'} as c{i}" for i, v in enumerate(values))
    expression = " || '|' || ".join(D.encode(f"c{i}") for i in range(len(values)))
    return str(duckdb.connect().execute(f"select {expression} from (select {row})").fetchall()[0][0])


def test_null_empty_and_the_word_null_differ() -> None:
    assert len({encoded(None), encoded(""), encoded("null"), encoded("n")}) == 4


def test_separator_cannot_shift_between_columns() -> None:
    assert encoded("a|", "b") != encoded("a", "|b")


# Warehouse text is valid UTF-8: no NUL (DuckDB ends strings there), no lone surrogates (no UTF-8 form).
TEXT = st.none() | st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=6
)


@given(st.lists(TEXT, min_size=2, max_size=2), st.lists(TEXT, min_size=2, max_size=2))
def test_encoding_is_injective(a: list[str | None], b: list[str | None]) -> None:
    assert (encoded(*a) == encoded(*b)) == (a == b)


# One typed row: each value as a SQL literal of its warehouse type (None: a NULL of that type).
TYPED = st.tuples(
    st.none() | TEXT.map(lambda v: None if v is None else sql.literal(v)),
    st.none() | st.integers(-(2**63), 2**63 - 1).map(str),
    st.none() | st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"{f!r}::double"),
    st.none() | st.decimals(-(10**6), 10**6, places=2).map(lambda d: f"{d}::decimal(18,2)"),
    st.none() | st.datetimes().map(lambda t: f"timestamp '{t.isoformat(sep=' ')}'"),
    st.none() | st.booleans().map(str),
)
SQL_TYPES = ("varchar", "bigint", "double", "decimal(18,2)", "timestamp", "boolean")


@given(TYPED)
def test_concat_hash_is_the_chained_hash(values: tuple[str | None, ...]) -> None:
    """DuckDB's faster concat() form must hash exactly what `||` hashed: state written before stays valid."""
    row = ", ".join(
        f"cast({v if v is not None else 'null'} as {t}) as c{i}"
        for i, (v, t) in enumerate(zip(values, SQL_TYPES))
    )
    columns = [f"c{i}" for i in range(len(values))]
    chained = D.row_hash("v1;fp", columns)
    concat = sql.Dialect(D.quote, concat=True).row_hash("v1;fp", columns)
    assert concat != chained  # two different expressions...
    got = duckdb.connect().execute(f"select {chained}, {concat} from (select {row})").fetchall()[0]
    assert got[0] == got[1]  # ...of one text


DUCKDB = sql.dialect_for(capabilities_for("duckdb"), D.quote)


@given(st.data())
def test_duckdb_casts_narrow_decimals_to_the_float_coercion_makes(data: st.DataObject) -> None:
    """Why a DECIMAL(p <= 15, s) column mapped to a float field may be fetched as a double."""
    precision = data.draw(st.integers(1, EXACT_DOUBLE_DIGITS))
    scale = data.draw(st.integers(0, precision))
    unscaled = data.draw(st.integers(-(10**precision) + 1, 10**precision - 1))
    value = Decimal(unscaled).scaleb(-scale)
    query = f"select cast('{value:f}'::decimal({precision},{scale}) as {DUCKDB.double_type})"
    got = duckdb.connect().execute(query).fetchall()[0][0]
    assert type(got) is float and got == to_float(value)


def test_columns_fetched_as_doubles_are_hashed_as_the_model_holds_them() -> None:
    groups = [diffs.GroupHash("custom", "fp", ("arr",))]
    plain = diffs.metadata_diff("m", "s", "model.p.m", "id", ["arr"], groups, DUCKDB)
    doubles = diffs.metadata_diff("m", "s", "model.p.m", "id", ["arr"], groups, DUCKDB, doubles={"arr"})
    db = duckdb.connect()
    db.execute("create table m as select 'v1' as id, 12.50::decimal(12,2) as arr")
    db.execute("create schema s")
    for statement in sql.create_tables("s", DUCKDB):
        db.execute(statement)
    (key, raw, row_hash, _, _, _), (_, fetched, same_hash, _, _, _) = (
        db.execute(q).fetchall()[0] for q in (plain, doubles)
    )
    assert (key, raw, fetched) == ("v1", Decimal("12.50"), 12.5) and type(fetched) is float
    assert row_hash == same_hash
    other = diffs.metadata_diff("m", "s", "model.p.m", "id", ["arr"], groups, D, doubles={"arr"})
    assert "double" not in other  # only where the cast was proven exact


ODD_TEXT = st.sampled_from(["", "\x1f", "a\x1fb", "\x1f\x1f"]) | TEXT


KEY_TEXT = ODD_TEXT.filter(lambda v: v is not None)  # a key is never null (prepare rejects the row)


@given(st.lists(st.tuples(KEY_TEXT, ODD_TEXT), min_size=1, unique_by=lambda r: r[0]))
def test_duckdb_bulk_insert_keeps_every_value_and_tombstones_supersede(
    rows: list[tuple[str, str | None]],
) -> None:
    """Whichever way a column is bound (one split string, or a list), every value lands as it was; keys
    given a later tombstone leave the latest state, the others keep their hash."""
    db = duckdb.connect()
    db.execute("create schema s")
    for statement in sql.create_tables("s", DUCKDB)[1:2]:
        db.execute(statement)
    keys, hashes = [r[0] for r in rows], [r[1] for r in rows]
    columns = ("model_id", "pendo_group", "seq", "record_key", "row_hash")
    for seq, (written, values) in enumerate([(keys, hashes), (keys[1:], [TOMBSTONE] * len(keys[1:]))]):
        for statement, params in sql.bulk_insert("s.t", columns, ["m", "g", seq], [written, values], DUCKDB):
            db.execute(statement.replace("s.t", 's."pendo_sync_state"'), params)
    assert (
        db.execute('select record_key, row_hash from s."pendo_sync_state" where seq = 0').fetchall() == rows
    )
    latest = sql.latest_state("s", "m", DUCKDB, "g")
    assert db.execute(f"select record_key, row_hash from {latest} l").fetchall() == [rows[0]]


def test_texts_free_of_the_separator_are_bound_as_one_string() -> None:
    assert sql.duckdb_list(["a", "", "b"], "?") == ("string_split(?, chr(31))", "a\x1f\x1fb")
    assert sql.duckdb_list(["a\x1fb"], "?") == ("?", ["a\x1fb"])
    assert sql.duckdb_list(["a", None], "?") == ("?", ["a", None])


def test_identifiers_from_meta_are_quoted_never_executed() -> None:
    hostile = 'x"; drop table y; --'
    diff = diffs.metadata_diff(
        '"db"."main"."m"',
        '"s"',
        "model.p.m",
        hostile,
        [hostile],
        [diffs.GroupHash("agent", "fp", (hostile,))],
        D,
    )
    assert '"x""; drop table y; --"' in diff
    assert 'x"; drop' not in diff.replace('"x""; drop', "")


def test_literals_escape_quotes() -> None:
    assert sql.literal("it's") == "'it''s'"
    assert "model.p.it''s" in diffs.event_diff('"r"', '"s"', "model.p.it's", "id", ["a"], D)


def test_records_that_left_the_model_are_counted_once_whatever_groups_they_had() -> None:
    db = duckdb.connect()
    db.execute("create table m as select 'u1' as id")
    db.execute("create schema s")
    for statement in sql.create_tables("s", DUCKDB):
        db.execute(statement)
    for key, group in (
        ("u1", "agent"),
        ("u1", "custom"),
        ("u2", "agent"),
        ("u3", "custom"),
        ("u2", "custom"),
    ):
        db.execute(
            f"insert into s.pendo_sync_state values ('model.p.m', '{group}', '{key}', 'h', now(), 'r', 1)"
        )
    db.execute("insert into s.pendo_sync_state values ('model.p.other', 'agent', 'u9', 'h', now(), 'r', 1)")
    args = ("m", "s", "model.p.m", "id", DUCKDB)
    assert db.execute(sql.records_left(*args)).fetchall() == [(2,)]
    assert sorted((g, n) for g, n, _ in db.execute(sql.state_coverage(*args)).fetchall()) == [
        ("agent", 1),
        ("custom", 1),
    ]
