"""Golden files of every statement family as each dialect receives it (tests/unit/golden/<dialect>/).

A change that alters what a warehouse is sent shows in review as a diff of these files; a change that
breaks a dialect fails here. `UPDATE_GOLDEN=1 pytest tests/unit/test_golden_sql.py` rewrites them.
Each file must also parse back with sqlglot in its own dialect.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from pendo_sync import diffs, segment_sql
from pendo_sync import state_sql as sql
from pendo_sync import verify_sql as vsql
from pendo_sync.capabilities import capabilities_for
from pendo_sync.plan import NO_STATE, against_empty_state
from pendo_sync.sql_render import render

GOLDEN = Path(__file__).parent / "golden"
ADAPTERS = ("duckdb", "postgres", "bigquery", "snowflake", "redshift", "spark", "databricks", "trino")
# dbt-snowflake quotes no part of a relation by default (its quote policy): the package's tables are
# named bare there, and Snowflake folds them to upper case as dbt's own do.
UNQUOTED_RELATIONS = ("snowflake",)
RUN_ID, MODEL_ID = "run-1", "model.shop.dim_users"
NOW = datetime(2026, 12, 7, 17, 15, 7, 123456)
SEQ = 1796663707123456  # state.next_seq(): microseconds of the clock


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dialect(adapter: str) -> tuple[sql.Dialect, str]:
    """The adapter's Dialect and its state schema, named as dbt would build it."""
    bare = adapter in UNQUOTED_RELATIONS
    own: Callable[[str], str] = (lambda name: name) if bare else quote
    return sql.dialect_for(capabilities_for(adapter), quote, own), own("analytics_pendo_sync")


USERS, EVENTS = '"analytics"."dim_users"', '"analytics"."fct_events"'
COLUMNS = ("user_id", "first_name", "plan", "signed_up_at", "seats")
GROUPS = (
    diffs.GroupHash("agent", "v1;visitor;agent;nulls=skip;firstname=first_name", ("first_name",)),
    diffs.GroupHash(
        "custom",
        "v1;visitor;custom;nulls=skip;plan=plan,seats=seats,signed_up=signed_up_at",
        ("plan", "signed_up_at", "seats"),
        count_nulls=True,
    ),
)
EVENT_COLUMNS = ("event_id", "user_id", "event", "occurred_at")


def statements(adapter: str) -> dict[str, list[tuple[str, list[Any]]]]:
    """Every statement family, as canonical SQL with its parameters."""
    d, schema = dialect(adapter)
    state = f"{schema}.{d.own(sql.STATE)}"
    diff = diffs.metadata_diff(
        USERS, schema, MODEL_ID, "user_id", COLUMNS, GROUPS, d, {"seats"}, {"signed_up_at": "timestamp"}
    )
    events = diffs.event_diff(EVENTS, schema, "model.shop.fct_events", "event_id", EVENT_COLUMNS, d)
    columns = ("model_id", "pendo_group", "synced_at", "run_id", "seq", "record_key", "row_hash")
    constants = [MODEL_ID, "custom", NOW, RUN_ID, SEQ]
    staging = f"{schema}.{d.own(vsql.staging_name(RUN_ID, 0))}"

    def plain(*texts: str) -> list[tuple[str, list[Any]]]:
        return [(t, []) for t in texts]

    segment_forget = sql.forget(schema, MODEL_ID, SEQ, d, segment_sql.other_segments_where("seg-1"))
    return {
        "create_tables": plain(*sql.create_tables(schema, d), vsql.differences_table(schema, d)),
        "metadata_diff": plain(diff),
        "plan_metadata_diff": plain(
            against_empty_state(
                diffs.metadata_diff(USERS, NO_STATE, MODEL_ID, "user_id", COLUMNS, GROUPS, d), d
            )
        ),
        "event_diff": plain(events),
        "bulk_insert": sql.bulk_insert(state, columns, constants, [["u1", "it's"], ["h1", "h2"]], d),
        "state_history": [
            *plain(sql.add_seq(schema, d), sql.max_seq(schema, d), sql.compact(schema, MODEL_ID, d)),
            *plain(sql.compactable(schema, MODEL_ID, d)),
            (sql.forget(schema, MODEL_ID, SEQ, d), [NOW]),
        ],
        "lease": [
            (sql.take_lease(schema, d), ["runner-1", "token-1", NOW, NOW, SEQ, NOW, "token-1"]),
            (sql.lease_holder(schema, d), [NOW]),
            (sql.release_lease(schema, d), ["runner-1", "token-1", NOW, NOW, SEQ]),
        ],
        "counts": plain(
            sql.key_profile(USERS, "user_id", d),
            sql.duplicate_example(USERS, "user_id", d),
            sql.state_coverage(USERS, schema, MODEL_ID, "user_id", d),
            sql.records_left(USERS, schema, MODEL_ID, "user_id", d),
            sql.row_count(events),
        ),
        "mark_all_seen": [
            (sql.mark_all_seen(EVENTS, schema, "model.shop.fct_events", "event_id", RUN_ID, SEQ, d), [NOW])
        ],
        "verify": [
            *plain(
                *vsql.create_staging(staging, 2, d),
                vsql.sample_keys(USERS, "user_id", 10, d),
                vsql.comparison(USERS, staging, "user_id", COLUMNS[1:], 2, d, {"seats"}, ["u1", "u'2"]),
            ),
            (sql.forget(schema, MODEL_ID, SEQ, d, vsql.drifted_where(schema, RUN_ID, MODEL_ID, d)), [NOW]),
            *sql.bulk_insert(staging, vsql.staging_columns(2), [], [["u1"], ['"Ann"'], ["null"]], d),
        ],
        "segments": [
            *plain(
                segment_sql.segment_diff(USERS, schema, MODEL_ID, "user_id", "seg-1", d),
                segment_sql.null_count(USERS, "user_id", d),
                segment_sql.other_segments(schema, MODEL_ID, "seg-1", d),
            ),
            (segment_forget, [NOW]),
        ],
    }


def rendered(adapter: str, name: str) -> str:
    caps = capabilities_for(adapter)
    parts = []
    for text, params in statements(adapter)[name]:
        out, bound = render(text, params, caps)
        parts.append(out + ";" + (f"\n-- params: {bound!r}" if bound else ""))
    return "\n\n".join(parts) + "\n"


CASES = [(adapter, name) for adapter in ADAPTERS for name in statements(adapter)]


@pytest.mark.parametrize(("adapter", "name"), CASES)
def test_rendered_sql_matches_its_golden_file(adapter: str, name: str) -> None:
    path = GOLDEN / adapter / f"{name}.sql"
    text = rendered(adapter, name)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs: review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize(("adapter", "name"), CASES)
def test_golden_file_parses_in_its_dialect(adapter: str, name: str) -> None:
    caps = capabilities_for(adapter)
    lines = (GOLDEN / adapter / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.startswith("-- params: "))
    if caps.placeholder == "%s":  # pyformat markers are the driver's, not SQL: parse them as values
        text = text.replace("%%", "%").replace("%s", "NULL")
    trees = [t for t in sqlglot.parse(text, read=caps.sqlglot_dialect) if t is not None]
    assert len(trees) == len(statements(adapter)[name])


def test_duckdb_and_postgres_hash_sql_is_unchanged() -> None:
    """Their users' state holds hashes of exactly this text: a change would resend every row."""
    for adapter in ("duckdb", "postgres"):
        d, _ = dialect(adapter)
        # a timestamp column: Dialect.value_text formats it explicitly only where the session decides
        h = render(d.row_hash("fp", ["c0", "c1"], ["timestamp", None]), [], capabilities_for(adapter))[0]
        if adapter == "duckdb":
            assert h == (
                "md5(concat('fp', '|', case when c0 is null then 'n' else concat('s', length(cast(c0 as "
                "varchar)), ':', cast(c0 as varchar)) end, '|', case when c1 is null then 'n' else "
                "concat('s', length(cast(c1 as varchar)), ':', cast(c1 as varchar)) end))"
            )
        else:
            assert h == (
                "md5('fp' || '|' || coalesce('s' || cast(length(cast(c0 as varchar)) as varchar) || ':' "
                "|| cast(c0 as varchar), 'n') || '|' || coalesce('s' || cast(length(cast(c1 as varchar)) "
                "as varchar) || ':' || cast(c1 as varchar), 'n'))"
            )


@pytest.mark.parametrize("adapter", ["snowflake", "redshift"])
def test_session_dependent_casts_are_formatted(adapter: str) -> None:
    d, _ = dialect(adapter)
    h = render(
        d.row_hash("fp", ["c0", "c1", "c2"], ["timestamp", "timestamptz", "date"]),
        [],
        capabilities_for(adapter),
    )[0]
    for column in ("c0", "c1", "c2"):
        assert f"CAST({column} AS VARCHAR" not in h
    assert h.count("TO_CHAR(") == 6  # each value: its text and its length


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_md5_is_lower_case_hex_everywhere(adapter: str) -> None:
    d, _ = dialect(adapter)
    h = render(d.row_hash("fp", ["c0"]), [], capabilities_for(adapter))[0].upper()
    expected = {"bigquery": "TO_HEX(MD5(", "trino": "LOWER(TO_HEX(MD5(TO_UTF8("}.get(adapter, "MD5(")
    assert h.startswith(expected)
