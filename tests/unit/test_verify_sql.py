"""verify's SQL, run in a real SQL engine (DuckDB, in memory): the join of a model with Pendo's staged
pages, and the state --repair forgets."""

from __future__ import annotations

from typing import Any

import duckdb

from pendo_sync import state_sql as sql
from pendo_sync import verify_sql as vsql
from pendo_sync.capabilities import capabilities_for

D = sql.dialect_for(capabilities_for("duckdb"), lambda name: '"' + name.replace('"', '""') + '"')


def database() -> Any:
    db = duckdb.connect()
    db.execute("create table model (id integer, email varchar, amount decimal(12,2))")
    db.execute(
        "insert into model values (1, 'a@x', 1.50), (2, 'b@x', null), (3, 'c@x', 2.25), (null, 'n@x', 0)"
    )
    for statement in vsql.create_staging("staged", 2, D):
        db.execute(statement)
    # record 1 paged twice (a record added while paging shifts the pages), 2 present, 3 not in Pendo
    db.execute(
        """insert into staged values ('1', '"a@x"', '1.5'), ('1', '"a@x"', '1.5'), ('2', null, null)"""
    )
    return db


def test_each_model_row_once_with_pendos_values_and_whether_pendo_has_it() -> None:
    db = database()
    query = vsql.comparison("model", "staged", "id", ["id", "email", "amount"], 2, D, doubles={"amount"})
    rows = sorted(db.execute(query).fetchall())
    assert rows == [
        ("1", 1, "a@x", 1.5, 1, '"a@x"', "1.5"),
        ("2", 2, "b@x", None, 1, None, None),
        ("3", 3, "c@x", 2.25, 0, None, None),
    ]  # the row without an id is left out: sync never sends it
    assert isinstance(rows[0][3], float)  # fetched as a double, as sync's diff fetches it


def test_a_sample_compares_only_its_keys() -> None:
    db = database()
    query = vsql.comparison("model", "staged", "id", ["id", "email"], 2, D, keys=["3", "it's"])
    assert [r[0] for r in db.execute(query).fetchall()] == ["3"]
    assert len(db.execute(vsql.sample_keys("model", "id", 2, D)).fetchall()) == 2


def test_the_partitions_of_the_ids_together_are_the_whole_comparison_each_row_once() -> None:
    db = database()
    db.execute("insert into model select i, 'x' || i, i from range(10, 200) t(i)")
    db.execute(
        """insert into staged select cast(i as varchar), '"x' || i || '"', null from range(10, 150) t(i)"""
    )
    whole = sorted(db.execute(vsql.comparison("model", "staged", "id", ["id", "email"], 2, D)).fetchall())

    parts = [
        db.execute(vsql.comparison("model", "staged", "id", ["id", "email"], 2, D, part=(i, 7))).fetchall()
        for i in range(7)
    ]

    assert sorted(row for part in parts for row in part) == whole
    assert len(whole) == 193 and all(parts)  # every partition has rows: the ids are spread over them
    assert [r[3] for r in whole if r[0] in ("1", "149", "150")] == [1, 1, 0]


def test_repair_forgets_exactly_the_drifted_groups_of_this_run_and_model() -> None:
    db = duckdb.connect()
    schema = '"s"'
    for statement in sql.create_tables(schema, D):
        db.execute(statement)
    db.execute(vsql.differences_table(schema, D))
    state = [(m, g, k) for m in ("m1", "m2") for g in ("agent", "custom") for k in ("1", "2")]
    db.executemany(
        f'insert into {schema}."{sql.STATE}" (model_id, pendo_group, record_key) values (?, ?, ?)', state
    )
    differences = [
        ("run", "m1", "custom", "1", "differ"),
        ("run", "m1", "agent", "2", "missing"),
        ("run", "m1", "custom", "2", "rejected"),  # never sent: nothing to forget
        ("run", "m2", "agent", "1", "differ"),  # another model
        ("old", "m1", "agent", "1", "differ"),  # another run
    ]
    db.executemany(
        f'insert into {schema}."{vsql.DIFFERENCES}" (run_id, model_id, pendo_group, record_key, outcome) '
        "values (?, ?, ?, ?, ?)",
        differences,
    )
    db.execute(vsql.forget_differences(schema, "run", "m1", D))

    left = db.execute(f'select model_id, pendo_group, record_key from {schema}."{sql.STATE}"').fetchall()
    assert sorted(set(state) - set(left)) == [("m1", "agent", "2"), ("m1", "custom", "1")]
