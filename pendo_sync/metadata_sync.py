"""Sync one visitor/account model: diff in the warehouse, one bulk request per group per batch.

Only rows whose per-group hash differs from state come back from the warehouse; each changed group of
a row is sent, and its hash enters state once Pendo counted the row updated (see sender.py). Values are
coerced to the types of Pendo's fields, read from its schema once per run (see sync.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pendo_sync import state_sql as sql
from pendo_sync.config import MetadataSpec
from pendo_sync.field_plan import FieldCheck
from pendo_sync.json_sql import rendering
from pendo_sync.key_profile import profile_keys, refuse
from pendo_sync.payloads import ID_FIELD, Body
from pendo_sync.pendo.client import metadata_endpoint
from pendo_sync.prepare import FieldTypes, nulls_note, prepare_metadata
from pendo_sync.report import ModelResult
from pendo_sync.row_outcome import REJECTED
from pendo_sync.run_context import RunContext
from pendo_sync.sender import UNSENT, Batch, BatchSender, Request


def sync_metadata_model(check: FieldCheck, ctx: RunContext, relation: str, result: ModelResult) -> None:
    """`check.spec` names fields as Pendo spells them; `check.types` gives each its Pendo type."""
    spec, types, dialect = check.spec, check.types, ctx.store.dialect
    result.rows_in_model, duplicate = profile_keys(
        ctx.warehouse, dialect, relation, spec.id_column, f"each {spec.kind}"
    )
    if duplicate:
        refuse(result, duplicate)
        return
    diff = diff_sql(check, relation, ctx.store.schema, dialect)
    size = spec.batch_size or ctx.batch_size
    batches = (_batch(spec, types, ctx, rows, result) for rows in ctx.warehouse.stream(diff, size=size))
    endpoints = [metadata_endpoint(spec.kind, g) for g in spec.groups]
    BatchSender(ctx, spec.model.unique_id, result).run(batches, endpoints=endpoints)
    if result.nulls_skipped:
        result.notes.append(nulls_note(result.nulls_skipped))


def diff_sql(check: FieldCheck, relation: str, state_schema: str, dialect: sql.Dialect) -> str:
    """The rows of the model whose hash differs from state, per group (shared with `plan`); where the
    dialect can, with each group's entries rendered by the warehouse (json_sql.py)."""
    spec = check.spec
    groups = [
        sql.GroupHash(
            g,
            _fingerprint(spec, g),
            tuple(f.column for f in spec.group_fields(g)),
            _entry_plan(check, g) if dialect.renders_json else None,
            count_nulls=spec.nulls == "skip",
        )
        for g in spec.groups
    ]
    return sql.metadata_diff(
        relation,
        state_schema,
        spec.model.unique_id,
        spec.id_column,
        spec.columns,
        groups,
        dialect,
        check.doubles,
    )


def pending_sql(spec: MetadataSpec, relation: str, state_schema: str, dialect: sql.Dialect) -> str:
    """How many rows the next sync will find changed: sync's diff, counted. Field names are taken
    lowercased, as Pendo stores them (sync hashes them as Pendo's schema spells them)."""
    lowered = replace(spec, fields=tuple(replace(f, field=f.field.lower()) for f in spec.fields))
    groups = [
        sql.GroupHash(g, _fingerprint(lowered, g), tuple(f.column for f in lowered.group_fields(g)))
        for g in lowered.groups
    ]
    diff = sql.metadata_diff(
        relation, state_schema, spec.model.unique_id, spec.id_column, spec.columns, groups, dialect
    )
    return sql.row_count(diff)


def _entry_plan(check: FieldCheck, group: str) -> sql.EntryPlan | None:
    """The warehouse renders a group's entries when it can render every field of it exactly."""
    fields = []
    for f in check.spec.group_fields(group):
        how = rendering(check.column_types.get(f.column, ""), check.types[(group, f.field)])
        if how is None:
            return None
        fields.append((f.field, f.column, how))
    return sql.EntryPlan(ID_FIELD[check.spec.kind], check.spec.nulls, tuple(fields))


def _fingerprint(spec: MetadataSpec, group: str) -> str:
    mapping = ",".join(
        f"{f.field}={f.column}" for f in sorted(spec.group_fields(group), key=lambda f: f.field)
    )
    return f"v1;{spec.kind};{group};nulls={spec.nulls};{mapping}"


def _batch(
    spec: MetadataSpec, types: FieldTypes, ctx: RunContext, rows: list[tuple[Any, ...]], result: ModelResult
) -> Batch:
    """Prepared payloads -> one bulk request per group; rows decided locally are settled at once."""
    prepared = prepare_metadata(spec, types, rows)
    result.nulls_skipped += prepared.nulls_skipped
    batch = Batch(rows=prepared.rows, sending=prepared.sending, replaced=prepared.replaced)
    batch.unkeyed.extend(prepared.unkeyed)
    for rejection in prepared.rejected:
        batch.settle(rejection.group, rejection.key, REJECTED, reason=rejection.reason)
    for group, key, row_hash in prepared.nothing_to_send:
        batch.settle(group, key, UNSENT, row_hash)
    for group, payloads in prepared.payloads.items():
        if payloads:
            ids = [p.key for p in payloads]
            send = _sender(ctx, spec, group, [p.body for p in payloads], ids)
            batch.requests.append(Request(group, ids, [p.row_hash for p in payloads], send))
    return batch


def _sender(ctx: RunContext, spec: MetadataSpec, group: str, entries: list[Body], ids: list[str]) -> Any:
    create, max_bytes = spec.missing == "create", spec.batch_bytes or ctx.batch_bytes
    return lambda: ctx.client.post_metadata(
        spec.kind, group, entries, ids, create=create, max_bytes=max_bytes
    )
