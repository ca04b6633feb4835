"""What each dbt adapter's warehouse and driver can do: the one place adapter differences live, as data.

Everything that differs between warehouses (how parameters are bound, whether statements share a
transaction, how unquoted names fold, which text type holds a long reason, whether a table can DELETE,
whether the driver streams a result) is read from here; the SQL itself is written once (docs/decisions).
A field states a fact about the engine or its driver and says where it comes from when that is not obvious.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Transactions = Literal["statements", "dbapi", "none"]
Streaming = Literal["cursor", "server_cursor", "declare", "session", "pages", "buffered"]
Driver = Literal["dbapi", "dbt"]
Lock = Literal["advisory", "file", "lease"]


@dataclass(frozen=True)
class Capabilities:
    adapter: str  # dbt's adapter type
    sqlglot_dialect: str  # the dialect SQL is rendered into
    # The DB-API paramstyle marker ("?" or "%s"), or None when values are rendered as SQL literals (drivers
    # that substitute parameters by text without escaping, or that have no DB-API cursor at all).
    placeholder: str | None
    max_params: int | None  # bound parameters one statement may carry (None: no limit we rely on)
    # "statements": begin/commit sent as SQL (DuckDB; Snowflake's connector runs in autocommit);
    # "dbapi": the connection's commit()/rollback(); "none": each statement commits alone.
    transactions: Transactions
    text_type: str  # a text column that holds a run summary or a long reason
    fold: Literal["lower", "upper", "none"]  # how an unquoted identifier is stored
    # DELETE and UPDATE work on the tables the state lives in (else every state write appends a row).
    delete: bool
    # "server_cursor": a named DB-API cursor streams (psycopg2); "cursor": fetchmany streams; "declare": a
    # cursor declared in SQL and read with FETCH FORWARD inside a transaction (the driver itself buffers
    # results); "session": a local SparkSession reads partition by partition (else keyset pages);
    # "pages": dbt-bigquery's query iterator, one result page at a time (not run here: no BigQuery engine);
    # "buffered": nothing streams, so reads go in keyset pages of `page_rows` (docs/decisions/0024).
    streaming: Streaming
    lock: Lock  # how one sync at a time is enforced: the engine's own lock, or a lease row in state
    # Casting a date or timestamp to text follows session settings (Snowflake's TIMESTAMP_OUTPUT_FORMAT and
    # TIMEZONE, Redshift's DateStyle): row hashes render such columns with an explicit format instead.
    session_text: bool = False
    # What only our own engines do (state_sql.Dialect): bind a whole list as one parameter, render entries'
    # JSON (json_sql.py), hash with one variadic concat(), fetch exact decimals as doubles, index state keys.
    list_binding: Literal["duckdb", "postgres"] | None = None
    renders_json: bool = False
    variadic_concat: bool = False
    exact_double: bool = False
    state_index: bool = False
    # "dbapi": the handle dbt opens is a PEP 249 connection (cursor, fetchmany, commit); "dbt": only dbt's
    # adapter API (`adapter.execute`) reaches the warehouse (BigQuery's handle is a bigquery.Client;
    # dbt-spark's session handle has no fetchmany and substitutes parameters by text).
    driver: Driver = "dbapi"
    shared_cursor: bool = False  # the handle hands out its one cursor: closing it closes the connection
    page_rows: int = 50_000  # rows one keyset page holds where nothing streams


CAPABILITIES: dict[str, Capabilities] = {
    c.adapter: c
    for c in (
        Capabilities(
            "duckdb",
            "duckdb",
            "?",
            None,
            "statements",
            "varchar",
            "lower",
            True,
            "cursor",
            "file",
            list_binding="duckdb",
            renders_json=True,
            variadic_concat=True,
            exact_double=True,
            shared_cursor=True,
        ),
        Capabilities(
            "postgres",
            "postgres",
            "%s",
            65535,
            "dbapi",
            "varchar",
            "lower",
            True,
            "server_cursor",
            "advisory",
            list_binding="postgres",
            state_index=True,
        ),
        # varchar without a length is varchar(256) on Redshift; dbt-redshift connects in autocommit, and
        # redshift_connector buffers every result (Redshift declares cursors in SQL, within a transaction).
        Capabilities(
            "redshift",
            "redshift",
            "%s",
            32767,
            "statements",
            "varchar(65535)",
            "lower",
            True,
            "declare",
            "lease",
            session_text=True,
        ),
        Capabilities(
            "snowflake",
            "snowflake",
            "%s",
            16384,
            "statements",
            "varchar",
            "upper",
            True,
            "cursor",
            "lease",
            session_text=True,
        ),
        # dbt-bigquery's handle is a google.cloud.bigquery.Client: no DB-API cursor.
        Capabilities(
            "bigquery",
            "bigquery",
            None,
            None,
            "none",
            "string",
            "none",
            True,
            "pages",
            "lease",
            driver="dbt",
        ),
        # dbt-spark's session handle substitutes %s by text without escaping; plain tables cannot DELETE.
        Capabilities(
            "spark", "spark", None, None, "none", "string", "none", False, "session", "lease", driver="dbt"
        ),
        Capabilities(
            "databricks", "databricks", None, None, "none", "string", "none", True, "cursor", "lease"
        ),
        Capabilities("trino", "trino", "?", None, "none", "varchar", "lower", False, "cursor", "lease"),
        Capabilities("athena", "athena", None, None, "none", "varchar", "lower", False, "buffered", "lease"),
    )
}


def capabilities_for(adapter: str) -> Capabilities:
    """The adapter's entry; an adapter we do not know is treated as a DB-API driver with standard SQL and
    no lock of its own, which is the common case (the README's support table says what is tested)."""
    found = CAPABILITIES.get(adapter)
    if found is not None:
        return found
    return Capabilities(adapter, "", "%s", 1000, "dbapi", "varchar", "lower", True, "buffered", "lease")
