"""Keyset pages: a result read in bounded pages where no cursor streams it.

Some drivers hold a whole result in memory (redshift_connector, dbt's agate tables, which are the only
way to BigQuery and Spark through dbt). There the query is read as pages ordered by its first column:
`where key > last order by key limit n`, so the process never holds more than one page. Every query we
stream returns its record key first and has one row per key (duplicate keys are refused before a diff
is read). Each page reruns the query on the warehouse: a price paid only where nothing streams.
Rows whose key is null (reported as rejected, never sent) are read last, in one query, since null keys
cannot be ordered.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

ALIAS = "pendo_sync__page"
Rows = list[tuple[Any, ...]]
# Runs one canonical statement (`?` markers) and returns the result's column names and rows.
Fetch = Callable[[str, Sequence[Any]], tuple[list[str], Rows]]


def columns_sql(sql: str) -> str:
    return f"select * from ({sql}) {ALIAS} limit 0"


def page_sql(sql: str, key: str, rows: int, *, after: bool) -> str:
    where = f"{key} is not null" + (f" and {key} > ?" if after else "")
    return f"select * from ({sql}) {ALIAS} where {where} order by {key} limit {int(rows)}"


def nulls_sql(sql: str, key: str) -> str:
    return f"select * from ({sql}) {ALIAS} where {key} is null"


def keyset_pages(
    fetch: Fetch, sql: str, size: int, page_rows: int, quote: Callable[[str], str]
) -> Generator[Rows, None, None]:
    """Lists of at most `size` rows of `sql`, from pages of at most `page_rows` rows."""
    names, _ = fetch(columns_sql(sql), ())
    if not names:
        return
    key = quote(names[0])
    last: tuple[Any, ...] = ()
    while True:
        _, page = fetch(page_sql(sql, key, page_rows, after=bool(last)), last)
        yield from _chunks(page, size)
        if len(page) < page_rows:
            break
        last = (page[-1][0],)
        del page  # the next page replaces this one rather than joining it
    yield from _chunks(fetch(nulls_sql(sql, key), ())[1], size)


def _chunks(rows: Rows, size: int) -> Generator[Rows, None, None]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
