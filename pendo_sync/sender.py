"""Send prepared batches concurrently and account for every row: the part metadata and events share.

A batch is the rows of one fetched chunk and the requests they need. Requests run on a bounded pool
(the warehouse read of the next chunk overlaps them); when every request of a batch has been answered,
the rows Pendo acknowledged go into state in one transaction and the rest are recorded with their reason.
A row's hash is never written before Pendo's answer for it is in, which is what makes a kill safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from pendo_sync.pendo.responses import REJECTED, UPDATED, RowOutcome
from pendo_sync.report import SEVERITY, ModelResult, RowProblem
from pendo_sync.run_context import RunContext

UNSENT = "unsent"


@dataclass
class Request:
    """One HTTP call covering `ids` of one Pendo group; `send` returns an outcome per id."""

    group: str
    ids: list[str]
    send: Callable[[], list[RowOutcome]]


@dataclass
class Batch:
    rows: int = 0
    outcomes: dict[str, list[str]] = field(default_factory=dict)
    hashes: dict[tuple[str, str], str | None] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    acknowledged: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    # by group: keys that already have a state row (deleted before the insert); none for new rows and events
    replaced: dict[str, set[str]] = field(default_factory=dict)
    problems: dict[str, list[RowOutcome]] = field(default_factory=dict)
    unkeyed: list[str] = field(default_factory=list)  # reasons of rows rejected for a null or blank id
    remaining: int = 0

    def add_request(self, request: Request, hashes: dict[str, str | None]) -> None:
        self.requests.append(request)
        for key in request.ids:
            self.hashes[(request.group, key)] = hashes[key]

    def settle(
        self, group: str, key: str, outcome: str, row_hash: str | None = None, reason: str = ""
    ) -> None:
        """Record an outcome decided without Pendo (rejected locally, or nothing to send)."""
        self.outcomes.setdefault(key, []).append(outcome)
        if outcome == UNSENT:
            self.acknowledged.setdefault(group, []).append((key, row_hash))
        else:
            self.problems.setdefault(group, []).append(RowOutcome(key, outcome, reason))


class BatchSender:
    def __init__(self, ctx: RunContext, model_id: str, result: ModelResult) -> None:
        self.ctx, self.model_id, self.result = ctx, model_id, result
        self.inflight: dict[Future[list[RowOutcome]], tuple[Batch, Request]] = {}

    def run(self, batches: Iterable[Batch], *, max_inflight: int) -> None:
        with ThreadPoolExecutor(self.ctx.workers, thread_name_prefix="pendo-sync-http") as pool:
            try:
                for batch in batches:
                    self.result.changed += batch.rows
                    batch.remaining = len(batch.requests)
                    for request in batch.requests:
                        self.inflight[pool.submit(request.send)] = (batch, request)
                    self._finish_if_done(batch)
                    while len(self.inflight) > max_inflight:
                        self._drain()
                while self.inflight:
                    self._drain()
            except BaseException:
                for future in self.inflight:
                    future.cancel()
                raise
            finally:
                self.ctx.writer.flush()

    def _drain(self) -> None:
        done, _ = wait(list(self.inflight), return_when=FIRST_COMPLETED)
        for future in done:
            batch, request = self.inflight.pop(future)
            for outcome in future.result():
                batch.outcomes.setdefault(outcome.record_id, []).append(outcome.outcome)
                if outcome.outcome == UPDATED:
                    row_hash = batch.hashes[(request.group, outcome.record_id)]
                    batch.acknowledged.setdefault(request.group, []).append((outcome.record_id, row_hash))
                else:
                    batch.problems.setdefault(request.group, []).append(outcome)
            batch.remaining -= 1
            self._finish_if_done(batch)

    def _finish_if_done(self, batch: Batch) -> None:
        if batch.remaining:
            return
        store, run_id = self.ctx.store, self.ctx.run_id
        self.ctx.writer.submit(store.record, self.model_id, batch.acknowledged, run_id, batch.replaced)
        self.ctx.writer.submit(store.record_outcomes, run_id, self.model_id, batch.problems)
        sent = {key for request in batch.requests for key in request.ids}
        self.result.sent += len(sent)
        for outcomes in batch.outcomes.values():
            worst = next((o for o in SEVERITY if o in outcomes), UNSENT)
            self.result.count(worst)
        for group, problems in batch.problems.items():
            self.result.problems.extend(RowProblem(p.record_id, group, p.outcome, p.reason) for p in problems)
        for reason in batch.unkeyed:
            self.result.count(REJECTED)
            self.result.problems.append(RowProblem(None, "*", REJECTED, reason))
