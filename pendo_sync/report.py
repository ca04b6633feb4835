"""What a run did, per model and row: the terminal summary and target/pendo_sync_results.json.

Counts are of model rows. A row sent to two Pendo groups gets the worst outcome of the two, so a row
is `updated` only when every group it was sent to acknowledged it.

A model's status says what happened to its rows (docs/decisions/0011-model-status.md): `error` when it
could not be synced, or when rows failed and Pendo acknowledged none (Pendo was not reached: calling
that OK hid a sync that delivered nothing); `warn` when some rows did not land (rejected or failed)
next to rows that did, or rows were only rejected; `ok` when every row sent landed (or Pendo reported
it missing, which is retried, not a failure).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pendo_sync.row_outcome import FAILED, MISSING, REJECTED, UPDATED

if TYPE_CHECKING:
    from pathlib import Path

# Worst first: the outcome a row gets when its groups disagree.
SEVERITY = (FAILED, REJECTED, MISSING, UPDATED)
_SHOWN = 10
RESULTS_FILE = "pendo_sync_results.json"
COUNTS = ("rows_in_model", "changed", "sent", "updated", "missing", "rejected", "failed", "unsent")


@dataclass(frozen=True)
class RowProblem:
    id: str | None
    group: str
    outcome: str
    reason: str


@dataclass
class ModelResult:
    model: str
    object: str
    model_id: str = ""
    rows_in_model: int = 0
    changed: int = 0
    sent: int = 0
    updated: int = 0
    missing: int = 0
    rejected: int = 0
    failed: int = 0
    unsent: int = (
        0  # changed rows with nothing to send (all mapped values null with nulls: skip, or backfill off)
    )
    nulls_skipped: int = 0  # NULL values left out of the rows sent (`nulls: skip`)
    status: str = "ok"  # ok | warn | error | skipped
    message: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[RowProblem] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def ok(self) -> bool:
        return self.status not in ("error", "skipped") and self.failed == 0 and self.rejected == 0

    def failures_by_reason(self) -> dict[str, int]:
        """Rows rejected or failed, by reason, most common first: what an alert or a CI summary shows.
        A row is one id (its groups' problems are one row); every row without an id is one."""
        rows = {
            (p.id, p.reason) for p in self.problems if p.outcome in (REJECTED, FAILED) and p.id is not None
        }
        counts: dict[str, int] = {}
        for _, reason in rows:
            counts[reason] = counts.get(reason, 0) + 1
        for p in self.problems:
            if p.outcome in (REJECTED, FAILED) and p.id is None:
                counts[p.reason] = counts.get(p.reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))

    def settle(self) -> None:
        """The status its rows call for, once the model is done (an error already set stays)."""
        if self.status == "ok":
            self.status = rows_status(self.updated, self.rejected, self.failed)


@dataclass
class RunReport:
    run_id: str
    command: str
    target: str
    adapter: str
    models: list[ModelResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Statements the run sent to the warehouse: on a cloud warehouse each is a round trip and often money,
    # so the results show that they do not grow with rows (docs/performance.md).
    warehouse_statements: int = 0

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.models)

    def totals(self) -> dict[str, int]:
        return {k: sum(int(getattr(m, k)) for m in self.models) for k in COUNTS}

    def summary(self) -> dict[str, Any]:
        """What the runs table keeps: totals, and per model its figures (read back by `pendo-dbt status`)."""
        keys = ("model", "object", "status", *COUNTS)
        return {
            "totals": self.totals(),
            "models": {m.model_id: {k: getattr(m, k) for k in keys} for m in self.models},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "target": self.target,
            "adapter": self.adapter,
            "success": self.ok,
            "totals": self.totals(),
            "warnings": self.warnings,
            "warehouse_statements": self.warehouse_statements,
            "models": [asdict(m) for m in self.models],
        }


def rows_status(updated: int, rejected: int, failed: int) -> str:
    """ok, warn or error from a model's row outcomes (see the module docstring)."""
    if failed and not updated:
        return "error"
    return "warn" if failed or rejected else "ok"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 model', '2 models'."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def write_results(report: RunReport, path: Path) -> None:
    write_json(report.to_json(), path)


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write through a temporary file, so a killed run never leaves half a results file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


_LABELS = {"ok": "OK synced", "warn": "WARN synced", "error": "ERROR syncing", "skipped": "SKIP"}


def model_line(index: int, total: int, result: ModelResult) -> str:
    head = f"{index} of {total} {_LABELS[result.status]} {result.object} model {result.model} "
    if result.status == "skipped":
        return f"{head:.<68} [SKIP]"
    if result.status == "error" and not result.changed:
        return f"{head:.<68} [ERROR in {result.seconds:.2f}s]"
    if result.object == "event":
        outcomes = f"{result.updated} accepted, {result.rejected} rejected, {result.failed} failed"
    else:
        outcomes = f"{result.updated} updated, {result.missing} missing, {result.rejected} rejected, {result.failed} failed"
    figures = f"{result.rows_in_model} rows, {result.changed} changed, {result.sent} sent: {outcomes}"
    if result.unsent:
        figures += f", {result.unsent} not sent"
    return f"{head:.<68} [{figures} in {result.seconds:.2f}s]"


def problem_lines(result: ModelResult) -> list[str]:
    """The model's message and notes, then per outcome the rows that did not land. A reason shared by
    several rows (every row of a run that could not reach Pendo) is shown once, with its rows' count."""
    lines = [f"  {line}" for line in ([result.message] if result.message else []) + result.notes]
    for outcome, heading in (
        (MISSING, "not found in Pendo (skipped; retried next run)"),
        (REJECTED, "rejected (retried next run once fixed)"),
        (FAILED, "failed (no usable answer; retried next run)"),
    ):
        problems = [p for p in result.problems if p.outcome == outcome]
        # a row is one id (its groups' problems are one row), but every row without an id is one
        rows = [*{(p.id, p.reason): p for p in problems if p.id is not None}.values()]
        rows += [p for p in problems if p.id is None]
        if not rows:
            continue
        count = len({p.id for p in rows if p.id is not None}) + sum(1 for p in rows if p.id is None)
        by_reason: dict[str, list[str | None]] = {}
        for p in rows:
            by_reason.setdefault(p.reason, []).append(p.id)
        if outcome == MISSING:
            listed = list(dict.fromkeys(str(p.id) for p in rows))[:_SHOWN]
        elif all(len(ids) == 1 for ids in by_reason.values()):
            listed = [f"{p.id} ({p.reason})" for p in rows[:_SHOWN]]
        else:
            lines.append(f"  {count} {heading}:")
            for reason, ids in list(by_reason.items())[:_SHOWN]:
                named = [i for i in dict.fromkeys(ids) if i is not None]
                ids_text = f": {_listing(named[:_SHOWN], len(named))}" if named else ""
                lines.append(f"    {plural(len(ids), 'row')}: {reason}{ids_text}")
            if len(by_reason) > _SHOWN:
                lines.append(f"    and {len(by_reason) - _SHOWN} more reasons (target/{RESULTS_FILE})")
            continue
        lines.append(f"  {count} {heading}: {_listing(listed, count)}")
    return lines


def _listing(listed: list[str], count: int) -> str:
    hidden = count - len(listed)
    return ", ".join(listed) + (f" and {hidden} more" if hidden > 0 else "")


def summary_line(report: RunReport) -> str:
    t = report.totals()
    statuses = [m.status for m in report.models]
    return (
        f"Done. MODELS={len(statuses)} OK={statuses.count('ok')} WARN={statuses.count('warn')} "
        f"ERROR={statuses.count('error')} SKIP={statuses.count('skipped')} SENT={t['sent']} "
        f"UPDATED={t['updated']} MISSING={t['missing']} REJECTED={t['rejected']} FAILED={t['failed']}"
    )
