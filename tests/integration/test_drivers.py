"""The warehouse's drivers on real engines: dbt's adapter API alone (what BigQuery and Spark get), forced
onto DuckDB and PostgreSQL through the capability table; keyset pages that never hold more than a page;
a cursor declared in SQL (Redshift's way to stream); transactions as the capability table says."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pendo_sync.capabilities import CAPABILITIES
from pendo_sync.dbt_bridge.dbt_driver import DbtDriver
from pendo_sync.dbt_bridge.paging import Rows, keyset_pages
from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.errors import WarehouseError
from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project, environ
from tests.integration.test_metadata_sync import assert_pendo_holds_visitors

EVENTS = ("--select", "pendo_events")


def _override(monkeypatch: pytest.MonkeyPatch, adapter: str, **changes: Any) -> None:
    monkeypatch.setitem(CAPABILITIES, adapter, replace(CAPABILITIES[adapter], **changes))


@pytest.fixture
def warehouse(project: Project) -> Iterator[Warehouse]:
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, project.target)) as opened:
        yield opened


def _table(warehouse: Warehouse, columns: str) -> str:
    table = f"{warehouse.target_schema}.t_{uuid.uuid4().hex[:8]}"
    warehouse.execute([(f"create table {table} ({columns})", ())])
    return table


def test_a_sync_through_dbts_adapter_api_alone_is_exact(
    project: Project, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BigQuery's and Spark's path: every statement through `adapter.execute` (or `add_query` where a
    value is still bound), reads in keyset pages of 3 rows."""
    page_rows = 3
    _override(monkeypatch, project.target, driver="dbt", streaming="buffered", page_rows=page_rows)
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse:
        assert isinstance(warehouse._driver, DbtDriver)

    first = project.sync(emulator)
    assert first.exit_code == 0, first.output
    assert "[10 rows, 10 changed, 10 sent: 10 updated, 0 missing, 0 rejected, 0 failed" in first.output
    assert_pendo_holds_visitors(project, emulator)
    events = project.sync(emulator, *EVENTS)
    assert events.exit_code == 0, events.output
    assert "[6 rows, 6 changed, 6 sent: 6 accepted" in events.output
    assert len(emulator.events) == 6
    assert len({(e["event"], e["timestamp"], e["visitorId"]) for e in emulator.events}) == 6

    rows = project.seed_rows("visitors")
    for row in rows[2:5]:
        row["plan"] = "scale"
    project.write_seed("visitors", rows)
    project.rebuild()
    again = project.sync(emulator)
    assert again.exit_code == 0, again.output
    assert "[10 rows, 3 changed, 3 sent" in again.output
    assert "[6 rows, 0 changed, 0 sent" in project.sync(emulator, *EVENTS).output
    assert_pendo_holds_visitors(project, emulator)


_KEYS = st.lists(st.text(st.characters(blacklist_characters="\x00"), max_size=6), unique=True, max_size=40)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=_KEYS, nulls=st.integers(0, 3), page_rows=st.integers(1, 7), size=st.integers(1, 5))
def test_keyset_pages_return_every_row_once_and_hold_at_most_a_page(
    warehouse: Warehouse, keys: list[str], nulls: int, page_rows: int, size: int
) -> None:
    table = _table(warehouse, "k varchar, v integer")
    p = "?"  # canonical: sql_render turns it into the driver's marker
    values = [(key, i) for i, key in enumerate(keys)] + [(None, -i) for i in range(1, nulls + 1)]
    if values:
        warehouse.execute([(f"insert into {table} values ({p}, {p})", row) for row in values])
    fetched: list[int] = []

    def fetch(sql: str, params: Any) -> tuple[list[str], Rows]:
        names, rows = warehouse._driver.fetch(sql, params)
        fetched.append(len(rows))
        return names, rows

    chunks = list(keyset_pages(fetch, f"select k, v from {table}", size, page_rows, warehouse.quote))
    assert Counter(row for chunk in chunks for row in chunk) == Counter(values)
    columns, *pages, null_keys = fetched
    assert columns == 0 and all(len_ <= page_rows for len_ in pages)
    assert null_keys == nulls  # rows whose key is null cannot be ordered: they come in one query
    assert all(0 < len(chunk) <= size for chunk in chunks)


def test_a_batch_is_all_or_nothing_where_the_adapter_has_transactions(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    for driver in ("dbapi", "dbt"):
        _override(monkeypatch, project.target, driver=driver)
        with (
            environ(project.env),
            Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse,
        ):
            table = _table(warehouse, "k integer")
            with pytest.raises(WarehouseError, match="pendo_sync_no_such_table"):
                warehouse.execute(
                    [
                        (f"insert into {table} values (1)", ()),
                        ("insert into pendo_sync_no_such_table values (2)", ()),
                    ]
                )
            assert warehouse.query(f"select count(*) from {table}") == [(0,)], driver
            warehouse.execute(
                [(f"insert into {table} values (1)", ()), (f"insert into {table} values (2)", ())]
            )
            assert warehouse.query(f"select count(*) from {table}") == [(2,)], driver


def test_without_transactions_each_statement_stands_alone(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract of execute() under transactions "none" (BigQuery, Spark): what ran before a failure
    stays. DuckDB commits each statement alone outside a transaction, as those engines do."""
    if project.target != "duckdb":
        pytest.skip("PostgreSQL's driver opens a transaction itself")
    for driver in ("dbapi", "dbt"):
        _override(monkeypatch, "duckdb", driver=driver, transactions="none")
        with (
            environ(project.env),
            Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse,
        ):
            table = _table(warehouse, "k integer")
            with pytest.raises(WarehouseError):
                warehouse.execute(
                    [
                        (f"insert into {table} values (1)", ()),
                        ("insert into pendo_sync_no_such_table values (2)", ()),
                    ]
                )
            assert warehouse.query(f"select count(*) from {table}") == [(1,)], driver


def test_columns_through_dbts_adapter_api_match_the_cursors(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = DbtTarget(project.path, project.path, project.target)
    with environ(project.env), Warehouse(target) as warehouse:
        relation = warehouse.relation(None, warehouse.target_schema, "visitors")
        missing = warehouse.relation(None, warehouse.target_schema, "pendo_sync_never_built")
        by_cursor = warehouse.column_types(relation)
        assert warehouse.column_types(missing) is None
    _override(monkeypatch, project.target, driver="dbt")
    with environ(project.env), Warehouse(target) as warehouse:
        by_dbt = warehouse.column_types(relation)
        assert warehouse.column_types(missing) is None
        with pytest.raises(WarehouseError, match="pendo_sync_never_built") as refused:
            warehouse.query(f"select * from {missing}")
    assert by_cursor is not None and by_dbt is not None
    assert [name for name, _ in by_dbt] == [name for name, _ in by_cursor]
    assert dict(by_dbt)["seats"].lower() in ("integer", "bigint")  # dbt's name, not a driver's type code
    assert "Traceback" not in str(refused.value)


@pytest.mark.postgres
def test_a_cursor_declared_in_sql_streams_and_a_sync_through_it_is_exact(
    project: Project, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redshift's way (its driver buffers whole results), on PostgreSQL, which declares cursors alike."""
    if project.target != "postgres":
        pytest.skip("DuckDB has no DECLARE ... CURSOR")
    _override(monkeypatch, "postgres", streaming="declare", transactions="statements")
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse:
        chunks = list(warehouse.stream("select i from generate_series(1, 25) s(i) order by i", size=10))
        assert [len(chunk) for chunk in chunks] == [10, 10, 5]
        assert [row[0] for chunk in chunks for row in chunk] == list(range(1, 26))
        with pytest.raises(WarehouseError, match="pendo_sync_no_such_table"):
            list(warehouse.stream("select * from pendo_sync_no_such_table", size=10))
        assert warehouse.query("select 1") == [(1,)]  # the failed stream's transaction is gone
    first = project.sync(emulator)
    assert first.exit_code == 0, first.output
    assert "[10 rows, 10 changed, 10 sent: 10 updated" in first.output
    assert "[10 rows, 0 changed, 0 sent" in project.sync(emulator).output
