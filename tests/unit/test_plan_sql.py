"""plan runs sync's diff SQL; without state it swaps the state table for an empty one (run in DuckDB)."""

from __future__ import annotations

import duckdb
import pytest

from pendo_sync import event_sync, metadata_sync
from pendo_sync import state_sql as sql
from pendo_sync.config import EventSpec, FieldMapping, MetadataSpec
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


def test_without_state_every_row_of_a_metadata_model_is_changed(db: duckdb.DuckDBPyConnection) -> None:
    spec = MetadataSpec(
        NODE,
        "visitor",
        "user_id",
        (FieldMapping("agent", "email", "email"), FieldMapping("custom", "seats", "seats")),
    )
    query = against_empty_state(metadata_sync.diff_sql(spec, "m", NO_STATE, DIALECT), DIALECT)
    assert NO_STATE not in query
    rows = sorted(db.execute(query).fetchall())
    assert [r[0] for r in rows] == ["u1", "u2"]
    assert all(r[5] == "new" and r[7] == "new" for r in rows)  # change_agent, change_custom


def test_without_state_every_event_is_new(db: duckdb.DuckDBPyConnection) -> None:
    spec = EventSpec(NODE, "user_id", "user_id", "seats", event_name="x")
    query = against_empty_state(event_sync.diff_sql(spec, "m", NO_STATE, DIALECT), DIALECT)
    assert sorted(r[0] for r in db.execute(query).fetchall()) == ["u1", "u2"]


def test_a_diff_that_no_longer_reads_the_state_table_is_caught() -> None:
    with pytest.raises(AssertionError, match="no longer reads"):
        against_empty_state("select 1", DIALECT)
