"""SQL for sync state and the diff, rendered for one warehouse dialect.

Pure: takes quoted names and a Dialect, returns SQL text, so it is unit-testable without a database.
The diff runs in the warehouse: only rows whose hash over the mapped columns differs from the stored
hash (or whose key has no state yet) come back to Python, so a 100M-row model costs the runner only
its changed rows. Hashes are computed and compared by the warehouse only, never recomputed in Python
(text renderings of the same value differ across warehouses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pendo_sync.sql_render import literal
from pendo_sync.state_writes import PENDING, TOMBSTONE

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pendo_sync.capabilities import Capabilities

STATE, RUNS, OUTCOMES, MODELS, LEASE = (
    "pendo_sync_state",
    "pendo_sync_runs",
    "pendo_sync_row_outcomes",
    "pendo_sync_models",
    "pendo_sync_lease",
)
KEY = "pendo_sync__key"
PARAM = "?"  # the canonical parameter marker; sql_render.render gives the driver its own
STATE_COLUMNS = ("model_id", "pendo_group", "record_key", "row_hash", "synced_at", "run_id", "seq")


@dataclass(frozen=True)
class Dialect:
    """What must differ when the canonical SQL is built (the rest is sqlglot's, at render time), read
    from the adapter's capabilities (dialect_for)."""

    quote: Callable[[str], str]  # a column of a model, as it is stored
    text_type: str = "varchar"  # holds a run summary or a long reason (Redshift: varchar(65535))
    timestamp_type: str = "timestamp"
    # PostgreSQL: an index on the state key keeps per-batch deletes and the diff join fast.
    indexes: bool = False
    # "duckdb" | "postgres": bind whole lists, one parameter per column (see bulk_insert).
    arrays: str | None = None
    # Build the hashed text with one variadic concat() per row instead of a chain of `||`, each of which
    # makes an intermediate string: the same text (so the same hashes), hashed in less time on DuckDB.
    concat: bool = False
    # Columns in metadata_diff's `doubles` are selected as `double`: only where the cast is exact (DuckDB;
    # see field_plan.py exact_as_double). Elsewhere they come back as the model holds them.
    double_type: str | None = None
    # The warehouse renders the JSON of entries whose values need no conversion (json_sql.py): DuckDB.
    renders_json: bool = False
    # A date or timestamp cast to text follows session settings: hashes format them explicitly (value_text).
    session_text: bool = False
    # A table of the package's own, named as dbt names it in this project (its identifier quoting policy);
    # None: quoted like a column.
    own_table: Callable[[str], str] | None = None

    def own(self, table: str) -> str:
        return (self.own_table or self.quote)(table)

    # Bound parameters one statement may carry (capabilities.py); multi-row inserts are cut to fit.
    max_params: int | None = None

    def text(self, expression: str) -> str:
        return f"cast({expression} as {self.text_type})"

    def value_text(self, expression: str, kind: str | None = None) -> str:
        """A hashed value as text. Where a cast of a date or time to text depends on the session, its
        `kind` (json_sql.temporal_kind) picks a fixed format, in UTC, so a changed session setting
        does not resend every row. Elsewhere the plain cast, whose hashes are in state already."""
        if not self.session_text or kind is None:
            return self.text(expression)
        if kind == "date":
            return f"strftime(cast({expression} as date), '%Y-%m-%d')"
        utc = f"{expression} at time zone 'UTC'" if kind == "timestamptz" else expression
        return f"strftime(cast({utc} as {self.timestamp_type}), '%Y-%m-%d %H:%M:%S.%f')"

    def encode(self, expression: str, kind: str | None = None) -> str:
        """Injective text form of a value: length-prefixed, so no separator can shift; NULL distinct."""
        text = self.value_text(expression, kind)
        return f"coalesce('s' || {self.text(f'length({text})')} || ':' || {text}, 'n')"

    def row_hash(self, fingerprint: str, expressions: Sequence[str], kinds: Sequence[str | None] = ()) -> str:
        """md5 (lower-case hex on every dialect) of the fingerprint and each value's encoding, separated
        by '|'. `kinds` holds each expression's temporal kind, where known."""
        kinds = [*kinds, *[None] * (len(expressions) - len(kinds))]
        if not self.concat:
            parts = " || '|' || ".join(
                [literal(fingerprint), *(self.encode(e, k) for e, k in zip(expressions, kinds))]
            )
            return f"md5({parts})"
        pieces = [literal(fingerprint)]
        for e, k in zip(expressions, kinds):  # the same text as encode(): 's<length>:<text>', or 'n' for NULL
            text = self.value_text(e, k)
            pieces += [
                "'|'",
                f"case when {e} is null then 'n' else concat('s', length({text}), ':', {text}) end",
            ]
        return f"md5(concat({', '.join(pieces)}))"


def dialect_for(
    capabilities: Capabilities, quote: Callable[[str], str], own_table: Callable[[str], str] | None = None
) -> Dialect:
    c = capabilities
    return Dialect(
        quote,
        own_table=own_table,
        text_type=c.text_type,
        indexes=c.state_index,
        arrays=c.list_binding,
        concat=c.variadic_concat,
        double_type="double" if c.exact_double else None,
        renders_json=c.renders_json,
        session_text=c.session_text,
        max_params=c.max_params,
    )


def create_tables(schema: str, d: Dialect) -> list[str]:
    """Idempotent DDL for the state schema; every column is text or timestamp so any warehouse has it."""
    t, ts = d.text_type, d.timestamp_type
    return [
        f"create schema if not exists {schema}",
        f"create table if not exists {schema}.{d.own(STATE)} (model_id {t}, pendo_group {t}, record_key {t}, "
        f"row_hash {t}, synced_at {ts}, run_id {t}, seq bigint)",
        f"create table if not exists {schema}.{d.own(RUNS)} (run_id {t}, command {t}, started_at {ts}, "
        f"finished_at {ts}, status {t}, summary {t})",
        f"create table if not exists {schema}.{d.own(OUTCOMES)} (run_id {t}, model_id {t}, pendo_group {t}, "
        f"record_key {t}, outcome {t}, reason {t}, recorded_at {ts})",
        f"create table if not exists {schema}.{d.own(MODELS)} (model_id {t}, pendo_object {t}, first_synced_at {ts}, "
        f"run_id {t})",
        f"create table if not exists {schema}.{d.own(LEASE)} (holder {t}, token {t}, taken_at {ts}, "
        f"expires_at {ts}, seq bigint)",
    ] + (
        [
            f"create index if not exists pendo_sync_state_key on {schema}.{d.own(STATE)} (model_id, pendo_group, record_key)"
        ]
        if d.indexes
        else []
    )


def add_seq(schema: str, d: Dialect) -> str:
    """State tables of pendo-dbt before append-only state have no `seq`: their rows (one per key) rank
    below every row written since (see latest_state)."""
    return f"alter table {schema}.{d.own(STATE)} add column seq bigint"


def latest_state(schema: str, model_id: str, d: Dialect, group: str | None = None) -> str:
    """A relation of the model's state as readers see it: the latest row per (group, key), without the
    keys whose latest row is a tombstone. Every reader of state goes through this."""
    where = f"model_id = {literal(model_id)}"
    if group is not None:
        where += f" and pendo_group = {literal(group)}"
    columns = "model_id, pendo_group, record_key, row_hash, synced_at, run_id"
    return (
        f"(select {columns} from (select {columns}, row_number() over (partition by pendo_group, record_key "
        f"order by coalesce(seq, -1) desc) as pendo_sync__rank from {schema}.{d.own(STATE)} st where {where}) "
        f"ranked where pendo_sync__rank = 1 and (row_hash is null or row_hash <> {literal(TOMBSTONE)}))"
    )


def forget(schema: str, model_id: str, seq: int, d: Dialect, where: str = "") -> str:
    """Append a tombstone for every key of the model state holds (those `where`, over the latest rows `l`,
    selects): one INSERT ... SELECT, so forgetting needs no DELETE. The one parameter is synced_at."""
    latest = latest_state(schema, model_id, d)
    return (
        f"insert into {schema}.{d.own(STATE)} ({', '.join(STATE_COLUMNS)}) "
        f"select l.model_id, l.pendo_group, l.record_key, {literal(TOMBSTONE)}, {PARAM}, l.run_id, "
        f"{int(seq)} from {latest} l" + (f" where {where}" if where else "")
    )


def compact(schema: str, model_id: str, d: Dialect) -> str:
    """Where DELETE works: drop the model's superseded rows and its tombstones (a tombstone's key then has
    no row: the same "send again"), so the table stays about one row per key. One statement: atomic even
    where statements do not share transactions."""
    table = f"{schema}.{d.own(STATE)}"
    return (
        f"delete from {table} where model_id = {literal(model_id)} and (row_hash = {literal(TOMBSTONE)} "
        f"or exists (select 1 from {table} n where n.model_id = {literal(model_id)} "
        f"and n.pendo_group = {d.own(STATE)}.pendo_group and n.record_key = {d.own(STATE)}.record_key "
        f"and coalesce(n.seq, -1) > coalesce({d.own(STATE)}.seq, -1)))"
    )


def compactable(schema: str, model_id: str, d: Dialect) -> str:
    """One row if the model's state may hold superseded rows. A row is superseded only by a tombstone or
    a later row written after one (a changed row, --full-refresh, --repair), or by a segment member's
    acknowledgement after its pending row; compaction deletes each tombstone and pending row together with
    what it supersedes. So without either there is nothing to compact (a first sync, a run that only added
    rows), and this filtered scan spares the compaction's join over every row of the model."""
    return (
        f"select 1 from {schema}.{d.own(STATE)} where model_id = {literal(model_id)} "
        f"and (row_hash = {literal(TOMBSTONE)} or row_hash like {literal(PENDING + '%')}) limit 1"
    )


def max_seq(schema: str, d: Dialect) -> str:
    return f"select max(seq) from {schema}.{d.own(STATE)}"


def finished_runs(schema: str, d: Dialect, limit: int) -> str:
    """The latest runs that ended, newest first: each run's row with a summary (where the warehouse cannot
    UPDATE, a run's end is a row of its own, after its start row; see StateStore.finish_run)."""
    return (
        f"select run_id, started_at, status, summary from {schema}.{d.own(RUNS)} "
        f"where summary is not null order by started_at desc limit {int(limit)}"
    )


def _live_leases(schema: str, d: Dialect) -> str:
    """Each lease token's latest row (renewals and the release append rows), where it expires after the
    bound `now`: the leases in force."""
    table = f"{schema}.{d.own(LEASE)}"
    columns = "holder, token, taken_at, expires_at"
    return (
        f"(select {columns} from (select {columns}, row_number() over (partition by token order by seq desc) "
        f"as pendo_sync__rank from {table}) ranked where pendo_sync__rank = 1 and expires_at > {PARAM})"
    )


def take_lease(schema: str, d: Dialect) -> str:
    """Append a lease row unless another token's lease is in force, in one statement. Parameters: holder,
    token, taken_at, expires_at, seq, now, token. Who holds the lease is then read back (lease_holder): two
    runs racing past the check both append, and both read the same winner."""
    p = PARAM
    return (
        f"insert into {schema}.{d.own(LEASE)} (holder, token, taken_at, expires_at, seq) "
        f"select {p}, {p}, {p}, {p}, {p} from (select 1 as one) one where not exists "
        f"(select 1 from {_live_leases(schema, d)} live where live.token <> {p})"
    )


def lease_holder(schema: str, d: Dialect) -> str:
    """The lease in force taken first (ties by token): holder, token, taken_at, expires_at. Parameter: now."""
    return f"select holder, token, taken_at, expires_at from {_live_leases(schema, d)} live order by taken_at, token"


def release_lease(schema: str, d: Dialect) -> str:
    """Parameters: holder, token, taken_at, expires_at (now: no longer in force), seq."""
    p = PARAM
    return (
        f"insert into {schema}.{d.own(LEASE)} (holder, token, taken_at, expires_at, seq) "
        f"values ({p}, {p}, {p}, {p}, {p})"
    )


def key_profile(relation: str, id_column: str, d: Dialect) -> str:
    """Row count and how many non-null keys repeat: one scan the warehouse does before any row is sent."""
    key = d.text(d.quote(id_column))
    return f"select count(*), count({key}) - count(distinct {key}) from {relation}"


def duplicate_example(relation: str, id_column: str, d: Dialect) -> str:
    key = d.text(d.quote(id_column))
    return f"select {key} from {relation} where {key} is not null group by {key} having count(*) > 1 limit 1"


def state_coverage(relation: str, schema: str, model_id: str, id_column: str, d: Dialect) -> str:
    """Per Pendo group of a model: its state rows whose key the model still holds, and the latest sync."""
    key = d.text(d.quote(id_column))
    return (
        f"select s.pendo_group, count(*), max(s.synced_at)\nfrom {latest_state(schema, model_id, d)} s "
        f"join (select distinct {key} as k from {relation}) m on m.k = s.record_key\n"
        f"group by s.pendo_group"
    )


def records_left(relation: str, schema: str, model_id: str, id_column: str, d: Dialect) -> str:
    """How many keys state holds for a model that the model no longer holds: records that left it (Pendo
    keeps them: nothing deletes them)."""
    key = d.text(f"m.{d.quote(id_column)}")
    return (
        f"select count(distinct s.record_key) from {latest_state(schema, model_id, d)} s\n"
        f"where not exists "
        f"(select 1 from {relation} m where {key} = s.record_key)"
    )


def row_count(query: str) -> str:
    """How many rows `query` returns (what a sync would send, for `status`)."""
    return f"select count(*) from ({query}) counted"


def mark_all_seen(
    relation: str, schema: str, model_id: str, id_column: str, run_id: str, seq: int, d: Dialect
) -> str:
    """Record every current event id as sent, without sending: `backfill: false` on a first sync. The
    one parameter is synced_at (bound UTC, the runner's clock like every other timestamp)."""
    key = d.text(d.quote(id_column))
    return (
        f"insert into {schema}.{d.own(STATE)} ({', '.join(STATE_COLUMNS)}) "
        f"select distinct {literal(model_id)}, 'event', {key}, cast(null as {d.text_type}), {PARAM}, "
        f"{literal(run_id)}, {int(seq)} from {relation} where {key} is not null"
    )


Statement = tuple[str, list[Any]]
# Parameters per multi-row insert where the driver states no limit: a statement of this many values stays
# a few MB of SQL text, and a 50,000-row chunk still goes in a handful of statements.
UNBOUNDED_PARAMS = 65_536


def bulk_insert(
    table: str, columns: Sequence[str], constants: Sequence[Any], lists: Sequence[list[Any]], d: Dialect
) -> list[Statement]:
    """Insert rows made of `constants` (the same in every row) then `lists` (one value per row per column).

    Binding each column as one list parameter (DuckDB, PostgreSQL) costs the driver one parameter per
    column instead of one per value, so state writes stay off the critical path (docs/performance.md). Other warehouses get multi-row VALUES statements.
    """
    p, names = PARAM, ", ".join(columns)
    if d.arrays == "duckdb":
        bound = [duckdb_list(values, p) for values in lists]
        values = ", ".join([p] * len(constants) + [f"unnest({expression})" for expression, _ in bound])
        return [
            (f"insert into {table} ({names}) select {values}", [*constants, *(param for _, param in bound)])
        ]
    if d.arrays == "postgres":
        cols = [f"u.c{i}" for i in range(len(lists))]
        arrays = ", ".join([f"{p}::text[]"] * len(lists))
        return [
            (
                f"insert into {table} ({names}) select {', '.join([p] * len(constants) + cols)} "
                f"from unnest({arrays}) as u({', '.join(f'c{i}' for i in range(len(lists)))})",
                [*constants, *lists],
            )
        ]
    rows = list(zip(*lists))
    per_statement = max(1, (d.max_params or UNBOUNDED_PARAMS) // (len(constants) + len(lists)))
    statements = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        statements.append(
            (
                f"insert into {table} ({names}) values {values_placeholders(len(chunk), len(columns), p)}",
                [v for row in chunk for v in (*constants, *row)],
            )
        )
    return statements


SEPARATOR = "\x1f"  # ASCII unit separator


def duckdb_list(values: list[Any], placeholder: str) -> tuple[str, Any]:
    """A DuckDB list expression of `values` and its parameter. Texts free of the separator go as one
    string split in SQL: the driver copies one string instead of converting each element. Anything else (NULLs, the separator itself) binds as a list."""
    try:
        joined = SEPARATOR.join(values)
    except TypeError:  # a None (an event's hash) or a non-text value
        return placeholder, values
    if values and joined.count(SEPARATOR) == len(values) - 1:
        return f"string_split({placeholder}, chr(31))", joined
    return placeholder, values


def values_placeholders(rows: int, width: int, placeholder: str) -> str:
    row = "(" + ", ".join([placeholder] * width) + ")"
    return ", ".join([row] * rows)
