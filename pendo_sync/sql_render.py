"""SQL written once, rendered for the warehouse it runs on.

Builders (state_sql, json_sql, verify_sql, segment_sql) write one canonical SQL text with `?` markers:
SQL that DuckDB and PostgreSQL run as written. This module turns it into the adapter's dialect and
parameter style (docs/decisions/0021-sql-rendered-by-sqlglot.md). DuckDB takes it as is and PostgreSQL
only swaps markers: both are the measured hot paths, so neither pays a parse. Every other dialect is
transpiled by sqlglot, once per distinct text (statements repeat with the same shape).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlglot.generator import Generator

    from pendo_sync.capabilities import Capabilities

CANONICAL = "duckdb"  # the dialect sqlglot reads canonical SQL as
PARAM = "?"  # the canonical parameter marker
_SENTINEL = "pendo_sync__param__"  # stands for a marker in sqlglot's output until it is replaced
# PostgreSQL's lexical units that may hold a `?` or a `%` that is not ours: string literals, quoted names.
_PG_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


def literal(text: str) -> str:
    """A SQL string literal (quotes doubled): the one way every module writes a string into SQL."""
    return "'" + text.replace("'", "''") + "'"


def render(sql: str, params: Sequence[Any], capabilities: Capabilities) -> tuple[str, list[Any]]:
    """The statement and parameters to send to this adapter's driver."""
    adapter = capabilities.adapter
    if adapter == "duckdb":
        return sql, list(params)
    if adapter == "postgres":
        return (_pyformat(sql) if params else sql), list(params)
    pieces = _transpiled(sql, capabilities.sqlglot_dialect)
    if len(pieces) - 1 != len(params):
        raise AssertionError(f"{len(params)} parameters for {len(pieces) - 1} markers in: {sql}")
    marker = capabilities.placeholder
    if marker is None:
        dialect = capabilities.sqlglot_dialect
        values = [value_literal(value, dialect) for value in params]
        return pieces[0] + "".join(v + piece for v, piece in zip(values, pieces[1:])), []
    if marker == "%s" and params:  # pyformat: a `%` of the statement itself is doubled
        pieces = tuple(piece.replace("%", "%%") for piece in pieces)
    return marker.join(pieces), list(params)


@functools.lru_cache(maxsize=1024)
def _pyformat(sql: str) -> str:
    """`?` markers (outside literals and quoted names) as psycopg2's `%s`, and every `%` doubled: the
    driver formats the whole text, literals included."""
    return _PG_TOKENS.sub(lambda m: "%s" if m[0] == "?" else m[0].replace("%", "%%"), sql)


@functools.lru_cache(maxsize=1024)
def _transpiled(sql: str, dialect: str) -> tuple[str, ...]:
    """The statement in `dialect`, split at its parameter markers."""
    sentinel = _SENTINEL
    while sentinel in sql:
        sentinel += "_"
    try:
        tree = sqlglot.parse_one(sql, read=CANONICAL)
    except sqlglot.errors.ParseError as exc:
        raise AssertionError(f"canonical SQL that sqlglot cannot read ({exc}): {sql}") from None
    tree = tree.transform(lambda node: exp.var(sentinel) if isinstance(node, exp.Placeholder) else node)
    return tuple(tree.sql(dialect=dialect).split(sentinel))


def value_literal(value: Any, dialect: str) -> str:
    """`value` as a SQL literal of `dialect`, for drivers that bind nothing: strings escaped as the
    dialect reads them (sqlglot's generator), datetimes as typed timestamp literals, numbers exact."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, decimal.Decimal)):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no SQL literal: state holds finite numbers only")
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return _string(value, dialect)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        head, tail = _typed(dialect, "timestamp")
        return f"{head}{value.isoformat(sep=' ', timespec='microseconds')}{tail}"
    if isinstance(value, dt.date):
        head, tail = _typed(dialect, "date")
        return f"{head}{value.isoformat()}{tail}"
    raise TypeError(f"no SQL literal for a {type(value).__name__}")


def _string(text: str, dialect: str) -> str:
    """What sqlglot writes for a string literal (exp.Literal.string(text).sql(dialect)); through the
    dialect's generator directly where that writes the same (a state chunk renders thousands of them)."""
    generator = _fast_strings(dialect)
    if generator is None:
        return str(exp.Literal.string(text).sql(dialect=dialect))
    quote = generator.dialect.QUOTE_START, generator.dialect.QUOTE_END
    return str(quote[0] + generator.escape_str(text) + quote[1])


_PROBE = "'\\\n\r\t\x00\x7f%?\"`é"  # what any dialect may escape


@functools.cache
def _fast_strings(dialect: str) -> Generator | None:
    """The dialect's generator if its escape_str is what its literals use (Athena's are Trino's, while its
    generator is Hive's for DDL), else None."""
    generator = Dialect.get_or_raise(dialect).generator()
    quote = generator.dialect.QUOTE_START, generator.dialect.QUOTE_END
    fast = quote[0] + generator.escape_str(_PROBE) + quote[1]
    return generator if fast == exp.Literal.string(_PROBE).sql(dialect=dialect) else None


@functools.cache
def _typed(dialect: str, type_name: str) -> tuple[str, str]:
    """The text before and after an ISO value in `dialect`'s typed literal: CAST('...' AS TIMESTAMP)."""
    head, tail = exp.cast(exp.Literal.string("0"), type_name).sql(dialect=dialect).split("0", 1)
    return head, tail


def canonical_relation(relation_name: str, capabilities: Capabilities) -> str:
    """A relation name as dbt renders it for the adapter (`project-1`.`ds`.`t` on BigQuery) in canonical
    SQL ("project-1"."ds"."t"), its quoting kept: quoted parts stay quoted, bare parts stay bare."""
    if capabilities.adapter in ("duckdb", "postgres"):
        return relation_name
    try:
        table = exp.to_table(relation_name, dialect=capabilities.sqlglot_dialect)
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"not a relation name ({exc}): {relation_name}") from None
    return table.sql(dialect=CANONICAL)
