"""plan runs sync's diff SQL; without state it swaps the state table for an empty one (run in DuckDB)."""

from __future__ import annotations

import duckdb
import pytest

from pendo_sync import diffs
from pendo_sync import state_sql as sql
from pendo_sync.capabilities import capabilities_for
from pendo_sync.config import EventSpec, FieldMapping, MetadataSpec
from pendo_sync.field_plan import FieldCheck
from pendo_sync.manifest import ModelNode
from pendo_sync.plan import NO_STATE, against_empty_state

DIALECT = sql.Dialect(lambda name: '"' + name.replace('"', '""') + '"')
NODE = ModelNode("model.p.m", "m", None, "main", "m", {})


@pytest.fixture
def db() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("create table m (user_id varchar, email varchar, seats integer)")
    connection.execute("insert into m values ('u1', 'a@x.io', 1), ('u2', null, 2)")
    return connection


SPEC = MetadataSpec(
    NODE,
    "visitor",
    "user_id",
    (FieldMapping("agent", "email", "email"), FieldMapping("custom", "seats", "seats")),
)
TYPED = FieldCheck(
    SPEC,
    {("agent", "email"): "string", ("custom", "seats"): "integer"},
    column_types={"email": "VARCHAR", "seats": "INTEGER"},
)


def test_without_state_every_row_of_a_metadata_model_is_changed(db: duckdb.DuckDBPyConnection) -> None:
    query = against_empty_state(diffs.metadata_diff_sql(TYPED, "m", NO_STATE, DIALECT), DIALECT)
    assert NO_STATE not in query
    rows = sorted(db.execute(query).fetchall())
    assert [r[0] for r in rows] == ["u1", "u2"]
    assert all(r[5] == "new" and r[8] == "new" for r in rows)  # change_agent, change_custom
    assert [r[1:4] for r in rows] == [(None, "a@x.io", 1), (None, None, 2)]  # the key column: not read
    assert all(r[6] is None and r[9] is None for r in rows)  # entries: built in Python here


def test_duckdb_renders_entries_and_returns_values_only_where_python_builds_one(
    db: duckdb.DuckDBPyConnection,
) -> None:
    db.execute("insert into m values ('u3', repeat('x', 1501), 3)")  # longer than Pendo keeps
    duck = sql.dialect_for(capabilities_for("duckdb"), DIALECT.quote)
    rows = sorted(
        db.execute(against_empty_state(diffs.metadata_diff_sql(TYPED, "m", NO_STATE, duck), duck)).fetchall()
    )
    entries = [(r[6], r[9]) for r in rows]
    assert entries == [
        ('{"visitorId":"u1","values":{"email":"a@x.io"}}', '{"visitorId":"u1","values":{"seats":1}}'),
        (None, '{"visitorId":"u2","values":{"seats":2}}'),  # no value to send: Python records it unsent
        (None, '{"visitorId":"u3","values":{"seats":3}}'),
    ]
    assert [r[1:4] for r in rows] == [(None, None, None), (None, None, None), (None, "x" * 1501, None)]


def test_without_state_every_event_is_new(db: duckdb.DuckDBPyConnection) -> None:
    spec = EventSpec(NODE, "user_id", "user_id", "seats", event_name="x")
    query = against_empty_state(diffs.event_diff_sql(spec, "m", NO_STATE, DIALECT, {}), DIALECT)
    assert sorted(r[0] for r in db.execute(query).fetchall()) == ["u1", "u2"]


def test_duckdb_renders_events_and_returns_values_only_where_python_builds_one() -> None:
    db = duckdb.connect()
    db.execute("create table ev (id varchar, visitor varchar, ts timestamp, amount decimal(12,2))")
    db.execute(
        "insert into ev values ('e1', 'u1', '1970-01-01 00:00:01', 2.50), ('e2', null, '1970-01-01', 1), "
        "('e3', ' ', '1970-01-01', 1)"  # no visitor id, a blank one: Python decides (and rejects)
    )
    spec = EventSpec(NODE, "id", "visitor", "ts", event_name="Paid", properties=(("amount", "amount"),))
    types = {"id": "VARCHAR", "visitor": "VARCHAR", "ts": "TIMESTAMP", "amount": "DECIMAL(12,2)"}
    assert diffs.event_parts(spec, {**types, "ts": "VARCHAR"}) is None  # text as a time: Python parses it
    duck = sql.dialect_for(capabilities_for("duckdb"), DIALECT.quote)
    query = against_empty_state(diffs.event_diff_sql(spec, "ev", NO_STATE, duck, types), duck)
    rows = sorted(db.execute(query).fetchall())
    event = '{"type":"track","event":"Paid","visitorId":"u1","timestamp":1000,"properties":{"amount":2.5},"context":{}}'
    assert rows[0] == ("e1", None, None, None, None, event, 14, "1000")  # its timestamp: for a window
    assert [r[1:3] for r in rows[1:]] == [("e2", None), ("e3", " ")]
    assert [r[5:] for r in rows[1:]] == [(None, None, None), (None, None, None)]


def test_a_diff_that_no_longer_reads_the_state_table_is_caught() -> None:
    with pytest.raises(AssertionError, match="no longer reads"):
        against_empty_state("select 1", DIALECT)
