"""Sync one visitor/account model: diff in the warehouse, one bulk request per group per batch.

Only rows whose per-group hash differs from state come back from the warehouse; each changed group of
a row is sent, and its hash enters state once Pendo counted the row updated (see sender.py). Values are
coerced to the types of Pendo's fields, read from its schema once per run (see sync.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pendo_sync import state_sql as sql
from pendo_sync.config import MetadataSpec
from pendo_sync.payloads import RowRejected, metadata_entry, metadata_values, record_id
from pendo_sync.pendo.responses import REJECTED
from pendo_sync.report import ModelResult
from pendo_sync.run_context import RunContext
from pendo_sync.sender import UNSENT, Batch, BatchSender, Request

FieldTypes = Mapping[tuple[str, str], str]  # (group, Pendo field) -> Pendo type


def sync_metadata_model(
    spec: MetadataSpec, types: FieldTypes, ctx: RunContext, relation: str, result: ModelResult
) -> None:
    """`spec` names fields as Pendo spells them; `types` gives each its Pendo type (see pendo/schema.py)."""
    if not check_unique_keys(ctx, relation, spec.id_column, f"each {spec.kind}", result):
        return
    groups = [
        sql.GroupHash(g, _fingerprint(spec, g), tuple(f.column for f in spec.group_fields(g)))
        for g in spec.groups
    ]
    store = ctx.store
    diff = sql.metadata_diff(
        relation, store.schema, spec.model.unique_id, spec.id_column, spec.columns, groups, store.dialect
    )
    size = spec.batch_size or ctx.batch_size
    batches = (_batch(spec, types, ctx, rows) for rows in ctx.warehouse.stream(diff, size=size))
    BatchSender(ctx, spec.model.unique_id, result).run(batches, max_inflight=ctx.workers * 2)


def check_unique_keys(ctx: RunContext, relation: str, column: str, what: str, result: ModelResult) -> bool:
    """Count the model and refuse it whole when a key repeats: which row should Pendo believe?"""
    dialect = ctx.store.dialect
    rows, duplicates = ctx.warehouse.query(sql.key_profile(relation, column, dialect))[0]
    result.rows_in_model = int(rows)
    if not duplicates:
        return True
    example = ctx.warehouse.query(sql.duplicate_example(relation, column, dialect))[0][0]
    result.status = "error"
    result.message = (
        f"{int(duplicates)} duplicate value(s) in id column '{column}' (e.g. {example!r}); {what} must appear "
        "once. Nothing of this model was sent. Make the key unique in the model and rerun"
    )
    return False


def _fingerprint(spec: MetadataSpec, group: str) -> str:
    mapping = ",".join(
        f"{f.field}={f.column}" for f in sorted(spec.group_fields(group), key=lambda f: f.field)
    )
    return f"v1;{spec.kind};{group};nulls={spec.nulls};{mapping}"


def _batch(spec: MetadataSpec, types: FieldTypes, ctx: RunContext, rows: list[tuple[Any, ...]]) -> Batch:
    """Diff rows (key, mapped columns, then hash and changed flag per group) -> one request per group."""
    width = len(spec.columns)
    typed = {g: [(f.field, f.column, types[(g, f.field)]) for f in spec.group_fields(g)] for g in spec.groups}
    batch = Batch(rows=len(rows))
    entries: dict[str, list[dict[str, Any]]] = {g: [] for g in spec.groups}
    hashes: dict[str, dict[str, str | None]] = {g: {} for g in spec.groups}
    for row in rows:
        try:
            key = record_id(row[0], spec.id_column)
        except RowRejected as exc:
            batch.unkeyed.append(str(exc))
            continue
        by_column = dict(zip(spec.columns, row[1 : 1 + width]))
        for index, group in enumerate(spec.groups):
            row_hash, changed = row[1 + width + 2 * index], row[2 + width + 2 * index]
            if not changed:
                continue
            fields = [
                (name, column, pendo_type, by_column[column]) for name, column, pendo_type in typed[group]
            ]
            try:
                values = metadata_values(fields, spec.nulls)
            except RowRejected as exc:
                batch.settle(group, key, REJECTED, reason=str(exc))
                continue
            if not values:
                batch.settle(group, key, UNSENT, row_hash)
                continue
            entries[group].append(metadata_entry(spec.kind, key, values))
            hashes[group][key] = row_hash
    for group in spec.groups:
        if entries[group]:
            ids = list(hashes[group])
            send = _sender(ctx, spec, group, entries[group], ids)
            batch.add_request(Request(group, ids, send), hashes[group])
    return batch


def _sender(
    ctx: RunContext, spec: MetadataSpec, group: str, entries: list[dict[str, Any]], ids: list[str]
) -> Any:
    create = spec.missing == "create"
    return lambda: ctx.client.post_metadata(spec.kind, group, entries, ids, create=create)
