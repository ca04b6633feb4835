"""sql_render.render: canonical SQL to each driver's dialect, markers and (where nothing binds) literals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest
import sqlglot
from hypothesis import given
from hypothesis import strategies as st
from sqlglot import exp

from pendo_sync import sql_render
from pendo_sync.capabilities import capabilities_for
from pendo_sync.sql_render import canonical_relation, render, value_literal

# Warehouse text is valid UTF-8: no NUL, no lone surrogates.
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


def test_duckdb_gets_the_text_as_is() -> None:
    sql = "select ? from t where x = '?'"
    out, params = render(sql, ("a",), capabilities_for("duckdb"))
    assert out is sql and params == ["a"]


def test_postgres_swaps_markers_only_outside_literals_and_names() -> None:
    sql = """select '?%', "a?b" from t where x like 'a%' and y = ? and z = ?"""
    out, params = render(sql, [1, 2], capabilities_for("postgres"))
    assert out == """select '?%%', "a?b" from t where x like 'a%%' and y = %s and z = %s"""
    assert params == [1, 2]
    assert render("select '%' from t", [], capabilities_for("postgres"))[0] == "select '%' from t"


@pytest.mark.parametrize(("adapter", "marker"), [("snowflake", "%s"), ("redshift", "%s"), ("trino", "?")])
def test_drivers_that_bind_get_their_own_marker(adapter: str, marker: str) -> None:
    out, params = render("insert into t (a, b) values (?, ?)", ["x", None], capabilities_for(adapter))
    assert out == f"INSERT INTO t (a, b) VALUES ({marker}, {marker})"
    assert params == ["x", None]


def test_pyformat_doubles_a_percent_of_the_statement() -> None:
    out, _ = render("select 'a%' from t where y = ?", [1], capabilities_for("snowflake"))
    assert out == "SELECT 'a%%' FROM t WHERE y = %s"


def test_drivers_that_bind_nothing_get_literals() -> None:
    out, params = render(
        "insert into t values (?, ?, ?, ?, ?)",
        ["it's", datetime(2026, 1, 2, 3, 4, 5, 6), None, 7, Decimal("1.50")],
        capabilities_for("spark"),
    )
    assert params == []
    assert out == (
        "INSERT INTO t VALUES ('it\\'s', CAST('2026-01-02 03:04:05.000006' AS TIMESTAMP), NULL, 7, 1.50)"
    )


def test_transpiled_text_is_cached_by_sql() -> None:
    sql_render._transpiled.cache_clear()
    caps = capabilities_for("bigquery")
    for key in ("a", "b", "c"):
        render("select x from t where k = ?", [key], caps)
    info = sql_render._transpiled.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_a_marker_count_that_does_not_match_is_a_bug() -> None:
    with pytest.raises(AssertionError):
        render("select ? from t", [], capabilities_for("bigquery"))


def test_a_question_mark_in_a_literal_is_no_marker() -> None:
    out, _ = render("select '?' from t where k = ?", ["a"], capabilities_for("bigquery"))
    assert out == "SELECT '?' FROM t WHERE k = 'a'"


@given(TEXT)
def test_any_string_round_trips_through_a_duckdb_literal(text: str) -> None:
    assert duckdb.connect().execute(f"select {value_literal(text, 'duckdb')}").fetchone() == (text,)


@pytest.mark.parametrize("adapter", ["bigquery", "spark", "databricks", "athena"])
@given(text=TEXT)
def test_no_string_breaks_out_of_its_literal(adapter: str, text: str) -> None:
    dialect = capabilities_for(adapter).sqlglot_dialect
    out, _ = render("select x from t where k = ?", [text], capabilities_for(adapter))
    where = sqlglot.parse_one(out, read=dialect).args["where"].this
    assert isinstance(where, exp.EQ)
    assert isinstance(where.expression, exp.Literal) and where.expression.is_string
    assert where.expression.this == text


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
)
def test_numbers_are_exact(number: float, whole: int, decimal: Decimal) -> None:
    assert float(value_literal(number, "bigquery")) == number
    assert int(value_literal(whole, "bigquery")) == whole
    assert Decimal(value_literal(decimal, "bigquery")) == decimal


def test_datetimes_and_dates_are_typed_literals() -> None:
    back = (
        duckdb.connect()
        .execute(
            f"select {value_literal(datetime(2026, 1, 2, 3, 4, 5, 6), 'duckdb')}, {value_literal(date(2026, 1, 2), 'duckdb')}"
        )
        .fetchone()
    )
    assert back == (datetime(2026, 1, 2, 3, 4, 5, 6), date(2026, 1, 2))


def test_relations_keep_their_quoting_across_dialects() -> None:
    caps = capabilities_for("bigquery")
    canonical = canonical_relation("`my-project`.`ds`.`t`", caps)
    assert canonical == '"my-project"."ds"."t"'
    assert render(f"select * from {canonical}", [], caps)[0] == "SELECT * FROM `my-project`.`ds`.`t`"
    snowflake = capabilities_for("snowflake")
    assert (
        canonical_relation("DB.dev_pendo_sync.pendo_sync_state", snowflake)
        == "DB.dev_pendo_sync.pendo_sync_state"
    )


@pytest.mark.parametrize("adapter", ["bigquery", "spark", "athena", "snowflake", "trino"])
@given(text=TEXT)
def test_string_literals_are_sqlglots(adapter: str, text: str) -> None:
    dialect = capabilities_for(adapter).sqlglot_dialect
    assert value_literal(text, dialect) == exp.Literal.string(text).sql(dialect=dialect)


@given(TEXT)
def test_postgres_markers_survive_the_drivers_formatting(text: str) -> None:
    """psycopg2 formats the whole statement with `%`: a literal holding `%` or `?` must come out as
    written, and only the markers take values."""
    sql = f'select {value_literal(text, "postgres")}, "a?%" from t where k = ?'
    out, _ = render(sql, ["v"], capabilities_for("postgres"))
    assert out % ("'v'",) == sql.replace("k = ?", "k = 'v'")
