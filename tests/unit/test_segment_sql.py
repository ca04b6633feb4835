"""A segment model's diff against state, run on an in-memory DuckDB: what is added and what removed."""

from __future__ import annotations

import duckdb

from pendo_sync import segment_sql
from pendo_sync import state_sql as sql
from pendo_sync.capabilities import capabilities_for

D = sql.dialect_for(capabilities_for("duckdb"), lambda name: f'"{name}"')
MODEL = "model.p.seg"


def database(members: list[str | None], state: list[tuple[str, str, str]]) -> duckdb.DuckDBPyConnection:
    """A model table `m` of visitor ids, and state rows (model_id, record_key, row_hash) of group segment."""
    con = duckdb.connect()
    for statement in sql.create_tables('"st"', D):
        con.execute(statement)
    con.execute("create table m (user_id varchar)")
    con.executemany("insert into m values (?)", [[v] for v in members])
    for row in state:
        con.execute(
            "insert into st.pendo_sync_state (model_id, pendo_group, record_key, row_hash) values (?, 'segment', ?, ?)",
            list(row),
        )
    return con


def diff(con: duckdb.DuckDBPyConnection, segment: str = "s1") -> set[tuple[str, str]]:
    query = segment_sql.segment_diff("m", '"st"', MODEL, "user_id", segment, D)
    return {(str(k), str(op)) for k, op in con.execute(query).fetchall()}


def test_new_visitors_are_added_and_nulls_left_out() -> None:
    con = database(["a", "b", None], [])
    assert diff(con) == {("a", "add"), ("b", "add")}
    assert con.execute(segment_sql.null_count("m", "user_id", D)).fetchall() == [(1,)]


def test_members_are_not_sent_again_and_those_that_left_are_removed() -> None:
    con = database(["a", "c"], [(MODEL, "a", "s1"), (MODEL, "b", "s1")])
    assert diff(con) == {("b", "remove"), ("c", "add")}


def test_a_pending_add_is_sent_again_while_in_the_model_and_removed_once_it_left() -> None:
    pending = segment_sql.PENDING + "s1"
    con = database(["a"], [(MODEL, "a", pending), (MODEL, "b", pending)])
    assert diff(con) == {("a", "add"), ("b", "remove")}


def test_state_of_another_model_or_segment_is_not_this_segments() -> None:
    con = database(["a"], [("model.p.other", "z", "s1"), (MODEL, "y", "s0")])
    assert diff(con) == {("a", "add")}
    assert con.execute(segment_sql.other_segments('"st"', MODEL, "s1", D)).fetchall() == [(1,)]
    con.execute(segment_sql.forget_other_segments('"st"', MODEL, "s1", D))
    assert con.execute("select record_key from st.pendo_sync_state").fetchall() == [("z",)]
