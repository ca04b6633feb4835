"""Sync one visitor/account model: diff in the warehouse, one bulk request per group per batch.

Only rows whose per-group hash differs from state come back from the warehouse; each changed group of
a row is sent, and its hash enters state once Pendo counted the row updated (see sender.py). Values are
coerced to the types of Pendo's fields, read from its schema once per run (see sync.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pendo_sync.diffs import metadata_diff_sql
from pendo_sync.key_profile import profile_keys, refuse
from pendo_sync.pendo.client import metadata_endpoint
from pendo_sync.prepare import FieldTypes, nulls_note, prepare_metadata
from pendo_sync.row_outcome import REJECTED
from pendo_sync.sender import UNSENT, Batch, BatchSender, Request

if TYPE_CHECKING:
    from pendo_sync.config import MetadataSpec
    from pendo_sync.field_plan import FieldCheck
    from pendo_sync.payloads import Body
    from pendo_sync.report import ModelResult
    from pendo_sync.run_context import RunContext


def sync_metadata_model(check: FieldCheck, ctx: RunContext, relation: str, result: ModelResult) -> None:
    """`check.spec` names fields as Pendo spells them; `check.types` gives each its Pendo type."""
    spec, types, dialect = check.spec, check.types, ctx.store.dialect
    result.rows_in_model, duplicate = profile_keys(
        ctx.warehouse, dialect, relation, spec.id_column, f"each {spec.kind}"
    )
    if duplicate:
        refuse(result, duplicate)
        return
    diff = metadata_diff_sql(check, relation, ctx.store.schema, dialect)
    size = spec.batch_size or ctx.batch_size
    batches = (_batch(spec, types, ctx, rows, result) for rows in ctx.warehouse.stream(diff, size=size))
    endpoints = [metadata_endpoint(spec.kind, g) for g in spec.groups]
    BatchSender(ctx, spec.model.unique_id, result).run(batches, endpoints=endpoints)
    if result.nulls_skipped:
        result.notes.append(nulls_note(result.nulls_skipped))


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
