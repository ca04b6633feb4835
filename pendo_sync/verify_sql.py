"""SQL for `verify`, rendered for one warehouse dialect. Pure, like state_sql.py.

Pendo's pages are staged in a table of the state schema (one per model and run, dropped when the model
is done), and the warehouse joins the model to it: the runner holds one page and one fetched chunk at a
time, whatever the model's size. Differences are logged in their own table, as sync logs row outcomes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pendo_sync.sql_render import literal

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from pendo_sync.state_sql import Dialect

DIFFERENCES = "pendo_sync_verify_differences"
DIFFERENCE_COLUMNS = (
    "run_id",
    "model_id",
    "recorded_at",
    "pendo_group",
    "record_key",
    "field",
    "outcome",
    "pendo_value",
    "model_value",
)


def differences_table(schema: str, d: Dialect) -> str:
    t = d.text_type
    return (
        f"create table if not exists {schema}.{d.own(DIFFERENCES)} (run_id {t}, model_id {t}, "
        f"recorded_at {d.timestamp_type}, pendo_group {t}, record_key {t}, field {t}, outcome {t}, "
        f"pendo_value {t}, model_value {t})"
    )


def staging_name(run_id: str, index: int) -> str:
    """A staging table of its own per run and model: two verifies never share one."""
    return f"pendo_sync_verify_{run_id.replace('-', '')[:12]}_{index}"


def staging_columns(width: int) -> list[str]:
    return ["record_key", *(f"v{i}" for i in range(width))]


def create_staging(table: str, width: int, d: Dialect) -> list[str]:
    columns = ", ".join(f"{c} {d.text_type}" for c in staging_columns(width))
    return [f"drop table if exists {table}", f"create table {table} ({columns})"]


def sample_keys(relation: str, id_column: str, size: int, d: Dialect) -> str:
    """`--sample N`: N ids of the model at random (the warehouse picks them)."""
    key = d.text(d.quote(id_column))
    return f"select {key} from {relation} where {key} is not null order by random() limit {int(size)}"


def comparison(
    relation: str,
    staging: str,
    id_column: str,
    columns: Sequence[str],
    width: int,
    d: Dialect,
    doubles: Collection[str] = (),
    keys: Sequence[str] | None = None,
    part: tuple[int, int] | None = None,
) -> str:
    """Each model row with Pendo's staged values: key, `columns` in order (those in `doubles` as the
    dialect's double, as sync's diff fetches them), 1 when Pendo has the record (else 0), then Pendo's
    value of each field as JSON text. Only the rows of `keys` when given (a sample); only partition
    `index` of `count` when `part` is given (see `in_part`)."""
    q = d.quote
    key = d.text(q(id_column))
    values = [f"cast({q(c)} as {d.double_type})" if d.double_type and c in doubles else q(c) for c in columns]
    model = f"select {key} as k, {', '.join(f'{v} as c{i}' for i, v in enumerate(values))} from {relation}"
    where = f"{key} is not null"
    if keys is not None:
        where += f" and {key} in ({', '.join(literal(k) for k in keys) or 'null'})"
    staged_where = ""
    if part is not None:
        where += f" and {in_part(key, *part)}"
        staged_where = f" where {in_part('record_key', *part)}"
    staged = ", ".join(f"min(v{i}) as v{i}" for i in range(width))
    pendo = (  # a record paged twice counts once
        f"select record_key, {staged} from {staging}{staged_where} group by record_key"
    )
    model_columns = ", ".join(f"m.c{i}" for i in range(len(columns)))
    pendo_columns = ", ".join(f"p.v{i}" for i in range(width))
    return (
        f"select m.k, {model_columns}, case when p.record_key is null then 0 else 1 end, {pendo_columns}\n"
        f"from ({model} where {where}) m\nleft join ({pendo}) p on p.record_key = m.k"
    )


def in_part(key: str, index: int, count: int) -> str:
    """Whether `key` falls in partition `index` of `count`, by DuckDB's hash of the key: each key in
    exactly one, on both sides of the join alike, so the partitions' joins together are the whole join.
    Only DuckDB is partitioned: it runs in our process, and a join's hash tables grow with its rows."""
    return f"hash({key}) % {int(count)} = {int(index)}"


def drifted_where(schema: str, run_id: str, model_id: str, d: Dialect) -> str:
    """`--repair`, over the latest state rows `l` (StateStore.forget): every record and group this run
    found drifted, so forgetting them makes the next sync see them as new and resend exactly them."""
    return (
        f"l.pendo_group || '|' || l.record_key in (select x.pendo_group || '|' || x.record_key "
        f"from {schema}.{d.own(DIFFERENCES)} x where x.run_id = {literal(run_id)} "
        f"and x.model_id = {literal(model_id)} and x.outcome in ('differ', 'missing'))"
    )
