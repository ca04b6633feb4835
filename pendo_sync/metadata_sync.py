"""Sync one visitor/account model: diff in the warehouse, batch, send concurrently, record what landed.

The order inside a batch is the whole guarantee: a row's hash enters state only after Pendo answered
and counted it updated for that group; missing, rejected and unanswered rows stay out, so the next run
sends them again. Reading the next rows, encoding and HTTP overlap; state is written per batch.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from pendo_sync import state_sql as sql
from pendo_sync.config import MetadataSpec
from pendo_sync.payloads import RowRejected, metadata_entry, metadata_values, record_id
from pendo_sync.pendo.responses import REJECTED, UPDATED, RowOutcome
from pendo_sync.report import SEVERITY, ModelResult, RowProblem
from pendo_sync.run_context import RunContext

UNSENT = "unsent"


@dataclass
class _GroupRequest:
    group: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)


@dataclass
class _Batch:
    """Rows of one fetched chunk, waiting for all of their group requests to be answered."""

    outcomes: dict[str, list[str]] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)
    remaining: int = 0


def sync_metadata_model(spec: MetadataSpec, ctx: RunContext, relation: str, result: ModelResult) -> None:
    store = ctx.store
    rows, duplicates = ctx.warehouse.query(sql.key_profile(relation, spec.id_column, store.dialect))[0]
    result.rows_in_model = int(rows)
    if duplicates:
        example = ctx.warehouse.query(sql.duplicate_example(relation, spec.id_column, store.dialect))[0][0]
        result.status = "error"
        result.message = (
            f"{int(duplicates)} duplicate value(s) in id column '{spec.id_column}' (e.g. {example!r}); each "
            f"{spec.kind} must appear once. Nothing of this model was sent. Deduplicate the model and rerun"
        )
        return
    groups = [
        sql.GroupHash(g, _fingerprint(spec, g), tuple(f.column for f in spec.group_fields(g)))
        for g in spec.groups
    ]
    diff = sql.metadata_diff(
        relation, store.schema, spec.model.unique_id, spec.id_column, spec.columns, groups, store.dialect
    )
    _Sender(spec, ctx, result).run(diff, len(spec.columns))


def _fingerprint(spec: MetadataSpec, group: str) -> str:
    mapping = ",".join(
        f"{f.field}={f.column}" for f in sorted(spec.group_fields(group), key=lambda f: f.field)
    )
    return f"v1;{spec.kind};{group};nulls={spec.nulls};{mapping}"


class _Sender:
    def __init__(self, spec: MetadataSpec, ctx: RunContext, result: ModelResult) -> None:
        self.spec, self.ctx, self.result = spec, ctx, result
        self.model_id = spec.model.unique_id
        self.inflight: dict[Future[list[RowOutcome]], tuple[_Batch, _GroupRequest]] = {}

    def run(self, diff: str, width: int) -> None:
        size = self.spec.batch_size or self.ctx.batch_size
        limit = self.ctx.workers * 2
        with ThreadPoolExecutor(self.ctx.workers, thread_name_prefix="pendo-sync-http") as pool:
            try:
                for rows in self.ctx.warehouse.stream(diff, size=size):
                    self.result.changed += len(rows)
                    batch, requests = self._prepare(rows, width)
                    for request in requests:
                        future = pool.submit(
                            self.ctx.client.post_metadata,
                            self.spec.kind,
                            request.group,
                            request.entries,
                            request.ids,
                            create=self.spec.missing == "create",
                        )
                        self.inflight[future] = (batch, request)
                    self._finish_if_done(batch)
                    while len(self.inflight) > limit:
                        self._drain(FIRST_COMPLETED)
                while self.inflight:
                    self._drain(FIRST_COMPLETED)
            except BaseException:
                for future in self.inflight:
                    future.cancel()
                raise
            finally:
                self.ctx.writer.flush()

    def _prepare(self, rows: list[tuple[Any, ...]], width: int) -> tuple[_Batch, list[_GroupRequest]]:
        batch = _Batch()
        requests = {g: _GroupRequest(g) for g in self.spec.groups}
        unsent: dict[str, list[tuple[str, str]]] = {g: [] for g in self.spec.groups}
        for row in rows:
            try:
                key = record_id(row[0], self.spec.id_column)
            except RowRejected as exc:
                self.result.count(REJECTED)
                self.result.problems.append(RowProblem(None, "*", REJECTED, str(exc)))
                continue
            by_column = dict(zip(self.spec.columns, row[1 : 1 + width]))
            outcomes: list[str] = []
            for index, group in enumerate(self.spec.groups):
                row_hash, changed = row[1 + width + 2 * index], row[2 + width + 2 * index]
                if not changed:
                    continue
                fields = [(f.field, f.column, by_column[f.column]) for f in self.spec.group_fields(group)]
                try:
                    values = metadata_values(fields, self.spec.nulls)
                except RowRejected as exc:
                    outcomes.append(REJECTED)
                    self._problem(key, group, REJECTED, str(exc))
                    continue
                if not values:
                    outcomes.append(UNSENT)
                    unsent[group].append((key, row_hash))
                    continue
                request = requests[group]
                request.entries.append(metadata_entry(self.spec.kind, key, values))
                request.ids.append(key)
                request.hashes[key] = row_hash
                batch.sent.add(key)
            batch.outcomes[key] = outcomes
        for group, acknowledged in unsent.items():
            self.ctx.writer.submit(self.ctx.store.record, self.model_id, group, acknowledged, self.ctx.run_id)
        live = [r for r in requests.values() if r.entries]
        batch.remaining = len(live)
        return batch, live

    def _drain(self, how: str) -> None:
        done, _ = wait(list(self.inflight), return_when=how)
        for future in done:
            batch, request = self.inflight.pop(future)
            self._absorb(batch, request, future.result())

    def _absorb(self, batch: _Batch, request: _GroupRequest, outcomes: list[RowOutcome]) -> None:
        acknowledged = [(o.record_id, request.hashes[o.record_id]) for o in outcomes if o.outcome == UPDATED]
        problems = [o for o in outcomes if o.outcome != UPDATED]
        store, run_id = self.ctx.store, self.ctx.run_id
        self.ctx.writer.submit(store.record, self.model_id, request.group, acknowledged, run_id)
        self.ctx.writer.submit(store.record_outcomes, run_id, self.model_id, request.group, problems)
        for outcome in outcomes:
            batch.outcomes[outcome.record_id].append(outcome.outcome)
            if outcome.outcome != UPDATED:
                self._problem(outcome.record_id, request.group, outcome.outcome, outcome.reason)
        batch.remaining -= 1
        self._finish_if_done(batch)

    def _finish_if_done(self, batch: _Batch) -> None:
        if batch.remaining:
            return
        for key, outcomes in batch.outcomes.items():
            if key in batch.sent:
                self.result.sent += 1
            worst = next((o for o in SEVERITY if o in outcomes), UNSENT if outcomes else None)
            if worst:
                self.result.count(worst)
        batch.outcomes.clear()

    def _problem(self, key: str, group: str, outcome: str, reason: str) -> None:
        self.result.problems.append(RowProblem(key, group, outcome, reason))
