"""Statements through dbt's adapter API alone, for adapters whose handle is not a PEP 249 connection.

dbt-bigquery's handle is a `google.cloud.bigquery.Client` (no cursor, no commit); dbt-spark's session
handle has no fetchmany and substitutes parameters by text. What every adapter implements is
`adapter.execute(sql, fetch=True)`, which returns an agate table of the whole result: so reads go in
keyset pages (paging.py), except where the adapter streams another way: BigQuery's result pages, and a
local SparkSession (dbt-spark's `session` method) read partition by partition. Parameters arrive inlined as literals on these adapters (capabilities.placeholder is
None); where some are still bound (a DB-API adapter forced onto this driver), dbt's `add_query` binds them.
Column types come from `adapter.get_columns_in_relation`, as dbt itself names them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from pendo_sync.dbt_bridge.paging import Rows, keyset_pages
from pendo_sync.sql_render import render

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Sequence

    from pendo_sync.capabilities import Capabilities


class DbtDriver:
    def __init__(
        self,
        capabilities: Capabilities,
        adapter: Any,
        connect: Callable[[], Any],
        quote: Callable[[str], str],
        load_macros: Callable[[], None],
    ):
        self.capabilities = capabilities
        self._adapter = adapter
        self._connect = connect  # names (and opens) this thread's dbt connection
        self._quote = quote
        self._load_macros = load_macros  # what dbt's macro-backed calls need, loaded on first use
        if capabilities.streaming == "session":
            _quiet_pyspark()

    def fetch(self, sql: str, params: Sequence[Any]) -> tuple[list[str], Rows]:
        with self._transaction(reads=True):
            table = self._execute(sql, params, fetch=True)
        return [str(name) for name in table.column_names], [tuple(row) for row in table.rows]

    def run(self, statements: Sequence[tuple[str, Sequence[Any]]], *, atomic: bool = True) -> None:
        """All statements in one transaction where the adapter has transactions; with "none" each one
        commits alone, and a failure leaves those before it in place. Not `atomic`: no begin/commit sent
        as SQL (as for a read)."""
        with self._transaction(reads=not atomic):
            for sql, params in statements:
                self._execute(sql, params, fetch=False)

    def stream(self, sql: str, size: int) -> Generator[Rows, None, None]:
        streaming = self.capabilities.streaming
        session = self._spark_session() if streaming == "session" else None
        if session is not None:
            return _partitions(session, render(sql, (), self.capabilities)[0], size)
        if streaming == "pages":
            return self._result_pages(render(sql, (), self.capabilities)[0], size)
        return keyset_pages(self.fetch, sql, size, self.capabilities.page_rows, self._quote)

    def describe(self, relation: str) -> list[tuple[str, str]]:
        """(name, type as dbt names it) of each column; empty when the relation is missing."""
        self._connect()
        self._load_macros()
        try:
            found = self._adapter.get_columns_in_relation(self._relation(relation))
        finally:  # dbt's macros begin a transaction (`statement` blocks auto-begin): end it, it only read
            self._adapter.connections.rollback_if_open()
        return [(str(column.name), str(column.data_type)) for column in found]

    def _result_pages(self, sql: str, size: int) -> Generator[Rows, None, None]:
        """dbt-bigquery's `raw_execute_with_comment` returns the query's RowIterator, which fetches one
        result page at a time as it is iterated (dbt's `execute` would make one agate table of all)."""
        self._connect()
        _, iterator = self._adapter.connections.raw_execute_with_comment(sql)
        rows: Rows = []
        for row in iterator:
            rows.append(tuple(row.values()))
            if len(rows) == size:
                yield rows
                rows = []
        if rows:
            yield rows

    def _execute(self, sql: str, params: Sequence[Any], *, fetch: bool) -> Any:
        sql, bound = render(sql, params, self.capabilities)
        self._connect()
        if not bound:
            return self._adapter.execute(sql, auto_begin=False, fetch=fetch)[1]
        connections = self._adapter.connections
        _, cursor = connections.add_query(sql, auto_begin=False, bindings=bound)
        return connections.get_result_from_cursor(cursor, None) if fetch else None

    @contextlib.contextmanager
    def _transaction(self, *, reads: bool) -> Iterator[None]:
        """Where the driver has transactions ("dbapi") it opens one itself: end it with the handle's
        commit/rollback, so a batch is all or nothing and a read holds no locks (dbt's SQL-level
        begin/commit does not reset psycopg2's own transaction state). Where the connection is in
        autocommit ("statements") a batch is wrapped in begin/commit as SQL."""
        mode = self.capabilities.transactions
        handle = self._connect()
        if mode == "statements" and not reads:
            self._adapter.execute("begin transaction")
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                if mode == "dbapi":
                    handle.rollback()
                elif mode == "statements" and not reads:
                    self._adapter.execute("rollback")
            raise
        if mode == "dbapi":
            handle.commit()
        elif mode == "statements" and not reads:
            self._adapter.execute("commit")

    def _relation(self, rendered: str) -> Any:
        *prefix, identifier = split_relation(rendered, str(self._adapter.quote(""))[:1] or '"')
        database, schema = [None, None, *prefix][-2:]
        return self._adapter.Relation.create(database=database, schema=schema, identifier=identifier)

    def _spark_session(self) -> Any:
        """The SparkSession dbt-spark's `session` method runs in this process, or None (other methods
        reach a remote cluster)."""
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            return None
        self._connect()
        return SparkSession.getActiveSession()


def _quiet_pyspark() -> None:
    """pyspark logs every failed query with its Java stack trace on stderr; the failure reaches the user
    as our WarehouseError (and a relation that is not built yet is an expected probe, not an error)."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _partitions(session: Any, sql: str, size: int) -> Generator[Rows, None, None]:
    """A DataFrame's rows, one partition at a time on the driver (`toLocalIterator`), `size` per list."""
    rows: Rows = []
    for row in session.sql(sql).toLocalIterator():
        rows.append(tuple(row))
        if len(rows) == size:
            yield rows
            rows = []
    if rows:
        yield rows


def split_relation(rendered: str, mark: str) -> list[str]:
    """`"db"."schema"."table"` (or unquoted parts) -> its parts, unquoted; a doubled mark inside quotes
    is one mark."""
    parts, part, quoted, i = [], "", False, 0
    while i < len(rendered):
        char = rendered[i]
        if quoted and char == mark and rendered[i + 1 : i + 2] == mark:
            part, i = part + mark, i + 2
            continue
        if char == mark:
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append(part)
            part = ""
        else:
            part += char
        i += 1
    return [*parts, part]
