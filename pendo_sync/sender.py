"""Send prepared batches concurrently and account for every row: the part metadata and events share.

A batch is the rows of one fetched chunk and the requests they need. Requests run on a bounded pool
(the warehouse read of the next chunk overlaps them); when every request of a batch has been answered,
the rows Pendo acknowledged go to the state writer (which appends them in chunks) and the rest are
recorded with their reason.
A row's hash is never written before Pendo's answer for it is in, and a row that had state loses its
old hash before it is sent (a kill, or an answer lost, must not leave a hash that a model changing back
would match while Pendo holds the value sent): that is what makes a kill safe.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pendo_sync.report import SEVERITY, ModelResult, RowProblem
from pendo_sync.row_outcome import FAILED, REJECTED, UPDATED, RowOutcome
from pendo_sync.state_writes import Gate, StateWrite

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from pendo_sync.run_context import RunContext

UNSENT = "unsent"


@dataclass
class Request:
    """One task for a worker covering `ids` of one Pendo group (a bulk call, or a run of Track events);
    `send` returns the ids Pendo did not update, each with its outcome: every other id was acknowledged."""

    group: str
    ids: list[str]
    hashes: list[str | None]  # by position in `ids`: what state records once Pendo acknowledged the row
    send: Callable[[], list[RowOutcome]]


@dataclass
class Batch:
    rows: int = 0
    sending: int = 0  # rows with at least one request
    requests: list[Request] = field(default_factory=list)
    acknowledged: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    # by group: keys that already have a state row (deleted before the insert); none for new rows and events
    replaced: dict[str, set[str]] = field(default_factory=dict)
    problems: dict[str, list[RowOutcome]] = field(default_factory=dict)
    # by row key, its outcomes other than `updated`: from Pendo (`answered`) or decided here (`settled`).
    # Only these rows need their groups' outcomes combined; every other row sent was updated.
    answered: dict[str, list[str]] = field(default_factory=dict)
    settled: dict[str, list[str]] = field(default_factory=dict)
    unkeyed: list[str] = field(default_factory=list)  # reasons of rows rejected for a null or blank id
    remaining: int = 0

    def settle(
        self, group: str, key: str, outcome: str, row_hash: str | None = None, reason: str = ""
    ) -> None:
        """Record an outcome decided without Pendo (rejected locally, or nothing to send)."""
        self.settled.setdefault(key, []).append(outcome)
        if outcome == UNSENT:
            self.acknowledged.setdefault(group, []).append((key, row_hash))
        else:
            self.problems.setdefault(group, []).append(RowOutcome(key, outcome, reason))

    def answer(self, request: Request, problems: list[RowOutcome]) -> None:
        """Pendo's answer to one request: acknowledged rows go to state, the others are problems."""
        acknowledged = self.acknowledged.setdefault(request.group, [])
        if problems:
            refused = {p.record_id for p in problems}
            acknowledged.extend((k, h) for k, h in zip(request.ids, request.hashes) if k not in refused)
            self.problems.setdefault(request.group, []).extend(problems)
            for problem in problems:
                self.answered.setdefault(problem.record_id, []).append(problem.outcome)
        else:
            acknowledged.extend(zip(request.ids, request.hashes))
        self.remaining -= 1

    def count(self, result: ModelResult) -> None:
        """Each row once, with the worst outcome of its groups (see report.py)."""
        result.sent += self.sending
        sent_keys = {key for request in self.requests for key in request.ids} if self.settled else set()
        combined = 0  # rows sent whose outcome is counted below rather than as plainly updated
        for key in self.answered.keys() | self.settled.keys():
            outcomes = self.answered.get(key, []) + self.settled.get(key, [])
            was_sent = key in self.answered or key in sent_keys
            result.count(next((o for o in SEVERITY if o in outcomes), UPDATED if was_sent else UNSENT))
            combined += was_sent
        result.updated += self.sending - combined
        for group, problems in self.problems.items():
            result.problems.extend(RowProblem(p.record_id, group, p.outcome, p.reason) for p in problems)
        for reason in self.unkeyed:
            result.count(REJECTED)
            result.problems.append(RowProblem(None, "*", REJECTED, reason))


def _after(gate: Gate, send: Callable[[], list[RowOutcome]]) -> Callable[[], list[RowOutcome]]:
    def gated() -> list[RowOutcome]:
        gate.wait()
        return send()

    return gated


class BatchSender:
    def __init__(self, ctx: RunContext, model_id: str, result: ModelResult, *, urgent: bool = False) -> None:
        """`urgent`: what Pendo acknowledges must reach state within a second (events, see StateWrite)."""
        self.ctx, self.model_id, self.result, self.urgent = ctx, model_id, result, urgent
        self.answered = 0  # rows of the batches Pendo has fully answered: what the progress line counts
        self.inflight: dict[Future[list[RowOutcome]], tuple[Batch, Request]] = {}

    def run(
        self,
        batches: Iterable[Batch],
        *,
        endpoints: Sequence[str],
        todo: int | None = None,
        unit: str = "rows",
    ) -> None:
        """Send the batches over the Pendo `endpoints` they use, keeping twice what those endpoints should
        have in flight submitted, so a worker that finishes finds its next task waiting. The workers are
        the run's, shared with the models syncing at the same time (`--threads` bounds them all). `todo`
        is what the progress line counts towards (the model's rows unless given), in `unit`s."""
        model = self.result.model
        self.ctx.progress.start(model, self.result.rows_in_model if todo is None else todo, unit)
        try:
            for batch in batches:
                self.ctx.client.health.check()  # the run is stopping: the batch read stays unsent
                gate = self._forget_before_sending(batch)  # raises if state failed: not counted
                self.result.changed += batch.rows
                batch.remaining = len(batch.requests)
                for request in batch.requests:
                    send = request.send if gate is None else _after(gate, request.send)
                    self.inflight[self.ctx.http.submit(send)] = (batch, request)
                self._finish_if_done(batch)
                while len(self.inflight) > 2 * self.ctx.client.in_flight_goal(endpoints):
                    self._drain()
            while self.inflight:
                self._drain()
        except BaseException as exc:
            self._abandon(exc)
            raise
        finally:
            self.ctx.progress.finish(model)
            self.ctx.writer.finish(self.model_id)

    def _forget_before_sending(self, batch: Batch) -> Gate | None:
        """Supersede the old state of the batch's rows that had some with tombstones; the gate its
        requests wait on opens once they are written.

        Once a changed row is sent, what Pendo holds is unknown until it answers. Were its old hash kept
        and the answer lost (or the run killed), a model changed back to the old values would match it,
        and Pendo would keep the value sent. Without state the row is new next run, and sent again.
        Only the requests wait, on the writer: reading goes on. New rows (all of a first sync) need none.
        """
        if not batch.replaced or not batch.requests:
            return None  # nothing sent: the batch's own write supersedes them
        gate = Gate()
        self.ctx.writer.submit(StateWrite(self.model_id, self.ctx.run_id, {}, batch.replaced, {}, [gate]))
        batch.replaced = {}
        return gate

    def _abandon(self, exc: BaseException) -> None:
        """The run stops: every row of a batch still waiting is reported by id and recorded as failed (to
        be sent next run) next to what Pendo did acknowledge, unless state itself is what failed."""
        if not isinstance(exc, Exception):  # Ctrl-C: requests still retrying give up at their next try
            self.ctx.client.health.stop()
        reason = (
            f"not answered before the run stopped ({str(exc) or type(exc).__name__}); sent again next run"
        )
        waiting = list(self.inflight.items())
        self.inflight.clear()
        batches: dict[int, Batch] = {}
        for future, (batch, request) in waiting:
            future.cancel()
            answered = future.done() and not future.cancelled() and future.exception() is None
            failed = [RowOutcome(i, FAILED, reason) for i in request.ids]
            batch.answer(request, future.result() if answered else failed)
            batches[id(batch)] = batch
        for batch in batches.values():
            with contextlib.suppress(Exception):  # the writer may be what failed; state stays behind
                self._finish_if_done(batch)

    def _drain(self) -> None:
        waiting: list[Future[Any]] = [*self.inflight, self.ctx.stopping]
        done, _ = wait(waiting, return_when=FIRST_COMPLETED)
        self.ctx.client.health.check()  # the run is stopping: what is in flight is abandoned
        for future in done:
            if future is self.ctx.stopping:
                continue
            batch, request = self.inflight[future]
            outcomes = future.result()  # if it raises, the request stays for _abandon to report
            del self.inflight[future]
            batch.answer(request, outcomes)
            if self.urgent:
                self._hand_over(batch)
            self._finish_if_done(batch)

    def _hand_over(self, batch: Batch) -> None:
        """Events: each answered task's acknowledgements go to the writer at once rather than when the
        whole batch is answered, so they are durable within about a second of Pendo's answer."""
        if batch.acknowledged:
            self.ctx.writer.submit(
                StateWrite(self.model_id, self.ctx.run_id, batch.acknowledged, {}, {}, urgent=True)
            )
            batch.acknowledged = {}

    def _finish_if_done(self, batch: Batch) -> None:
        if batch.remaining:
            return
        batch.count(self.result)  # before the writer owns the batch's lists (it may merge into them)
        self.ctx.writer.submit(
            StateWrite(
                self.model_id,
                self.ctx.run_id,
                batch.acknowledged,
                batch.replaced,
                batch.problems,
                urgent=self.urgent,
            )
        )
        self.answered += batch.rows
        self.ctx.progress.update(self.result.model, self.answered)
