"""Statements through the PEP 249 connection dbt opened (DuckDB, PostgreSQL, Redshift, Snowflake, Trino).

The fast path: rows come from `fetchmany` on the handle's own cursor, never through agate. How a batch of
statements shares a transaction and how a result streams are read from the capability table, since the
same DB-API calls mean different things per driver (Snowflake's connector runs in autocommit, so
`commit()` groups nothing there; redshift_connector buffers a whole result, psycopg2 too unless the
cursor is named). Every statement is canonical SQL rendered for the adapter here.
"""

from __future__ import annotations

import contextlib
import itertools
from typing import TYPE_CHECKING, Any

from pendo_sync.dbt_bridge.paging import Rows, keyset_pages
from pendo_sync.sql_render import render

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Sequence

    from pendo_sync.capabilities import Capabilities

_cursor_names = itertools.count()
# Rows one FETCH of a server-side cursor brings (PostgreSQL's named cursor, Redshift's declared one): a few
# MB in one round trip, handed on `size` rows at a time, so a distant warehouse costs a round trip per page.
SERVER_PAGE_ROWS = 20_000


class DbapiDriver:
    def __init__(self, capabilities: Capabilities, connect: Callable[[], Any], quote: Callable[[str], str]):
        self.capabilities = capabilities
        self._connect = connect  # this thread's dbt connection's handle
        self._quote = quote

    def fetch(self, sql: str, params: Sequence[Any]) -> tuple[list[str], Rows]:
        """Column names and all rows of one statement (then committed: it may have been a `set`)."""
        sql, bound = render(sql, params, self.capabilities)
        handle = self._connect()
        cursor = handle.cursor()
        try:
            cursor.execute(sql, bound or None)
            names = [str(d[0]) for d in cursor.description or ()]
            return names, [tuple(r) for r in cursor.fetchall()] if names else []
        finally:
            self._end(handle, cursor, commit=True)

    def run(self, statements: Sequence[tuple[str, Sequence[Any]]], *, atomic: bool = True) -> None:
        """All statements in one transaction, except where the capability table says there is none; not
        `atomic`: no begin/commit sent as SQL, each statement committed (by autocommit, or by `commit()`)."""
        handle = self._connect()
        cursor = handle.cursor()
        mode = self.capabilities.transactions
        if mode == "statements" and not atomic:
            mode = "none"
        try:
            if mode == "statements":
                cursor.execute("begin transaction")
            for sql, params in statements:
                sql, bound = render(sql, params, self.capabilities)
                cursor.execute(sql, bound or None)
            if mode == "statements":
                cursor.execute("commit")
            elif mode == "dbapi":
                handle.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                cursor.execute("rollback") if mode == "statements" else handle.rollback()
            raise
        finally:
            self._end(handle, cursor, commit=not atomic)

    def stream(self, sql: str, size: int) -> Generator[Rows, None, None]:
        streaming = self.capabilities.streaming
        if streaming in ("cursor", "server_cursor"):
            return self._fetchmany(sql, size, named=streaming == "server_cursor")
        if streaming == "declare":
            return self._declared(sql, size)
        return keyset_pages(self.fetch, sql, size, self.capabilities.page_rows, self._quote)

    def describe(self, relation: str) -> list[tuple[str, str]]:
        """(name, the driver's type) of each column; raises when the relation is missing."""
        handle = self._connect()
        cursor = handle.cursor()
        try:
            cursor.execute(render(f"select * from {relation} where 1 = 0", (), self.capabilities)[0])
            return [(str(d[0]), str(d[1])) for d in cursor.description]
        finally:
            self._end(handle, cursor, commit=False)

    def _fetchmany(self, sql: str, size: int, *, named: bool) -> Generator[Rows, None, None]:
        """psycopg2 holds a whole result unless the cursor is named (server-side); others stream as is."""
        handle = self._connect()
        page = max(size, SERVER_PAGE_ROWS) if named else size
        if named:
            cursor = handle.cursor(name=f"pendo_sync_{next(_cursor_names)}")
            cursor.itersize = page
        else:
            cursor = handle.cursor()
        try:
            cursor.execute(render(sql, (), self.capabilities)[0])
            rows = cursor.fetchmany(page)
            while rows:
                rows = rows if type(rows[0]) is tuple else [tuple(r) for r in rows]  # DuckDB's: no copy
                yield from _in_parts(rows, size)
                rows = cursor.fetchmany(page)
        finally:
            self._end(handle, cursor, commit=False)

    def _declared(self, sql: str, size: int) -> Generator[Rows, None, None]:
        """A cursor declared in SQL holds the result on the server, which hands `size` rows per FETCH;
        Redshift allows it inside a transaction only."""
        name = f"pendo_sync_{next(_cursor_names)}"
        handle = self._connect()
        cursor = handle.cursor()
        try:
            cursor.execute("begin transaction")
            cursor.execute(f"declare {name} cursor for {render(sql, (), self.capabilities)[0]}")
            while True:
                cursor.execute(f"fetch forward {max(int(size), SERVER_PAGE_ROWS)} from {name}")
                rows = cursor.fetchall()
                if not rows:
                    break
                yield from _in_parts([tuple(r) for r in rows], size)
            cursor.execute(f"close {name}")
        finally:
            with contextlib.suppress(Exception):
                cursor.execute("rollback")  # it only read
            self._end(handle, cursor, commit=False)

    def _end(self, handle: Any, cursor: Any, *, commit: bool) -> None:
        """End a statement: close its cursor (unless closing it closes the connection) and the driver's
        implicit transaction, so no read holds locks or a snapshot."""
        if self.capabilities.shared_cursor:
            return
        with contextlib.suppress(Exception):
            cursor.close()
            handle.commit() if commit else handle.rollback()


def _in_parts(rows: Rows, size: int) -> Iterator[Rows]:
    """A fetched page handed on `size` rows at a time (the page itself when it fits)."""
    if len(rows) <= size:
        yield rows
        return
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
