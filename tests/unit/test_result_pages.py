"""BigQuery's result pages through dbt-bigquery's connection manager: rows leave in lists of `size`, and
the query's iterator (which fetches a page per step) is never drained ahead of the caller.

No BigQuery engine runs here: `raw_execute_with_comment` stands in for dbt-bigquery's (same signature
and return: the query job and a RowIterator whose rows have `values()`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.capabilities import CAPABILITIES
from pendo_sync.dbt_bridge.dbt_driver import DbtDriver


class _Row:
    def __init__(self, values: tuple[Any, ...]) -> None:
        self._values = values

    def values(self) -> tuple[Any, ...]:
        return self._values


class _Connections:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows, self.taken, self.sql = rows, 0, ""

    def raw_execute_with_comment(self, sql: str) -> tuple[None, Iterator[_Row]]:
        self.sql = sql
        return None, self._iterate()

    def _iterate(self) -> Iterator[_Row]:
        for values in self.rows:
            self.taken += 1
            yield _Row(values)


class _Adapter:
    def __init__(self, connections: _Connections) -> None:
        self.connections = connections


@given(count=st.integers(0, 60), size=st.integers(1, 9))
def test_result_pages_leave_in_lists_of_size_without_reading_ahead(count: int, size: int) -> None:
    connections = _Connections([(f"k{i}", i) for i in range(count)])
    capabilities = CAPABILITIES["bigquery"]
    assert capabilities.streaming == "pages"
    driver = DbtDriver(capabilities, _Adapter(connections), lambda: None, lambda name: name, lambda: None)
    seen: list[tuple[Any, ...]] = []
    for chunk in driver.stream("select k, v from t", size):
        assert 0 < len(chunk) <= size
        assert connections.taken - len(seen) <= size  # at most the chunk in hand was read
        seen.extend(chunk)
    assert seen == connections.rows
    assert connections.sql.lower().startswith("select k, v from t")  # rendered for BigQuery
