"""What a run did, per model and row: the terminal summary and target/pendo_sync_results.json.

Counts are of model rows. A row sent to two Pendo groups gets the worst outcome of the two, so a row
is `updated` only when every group it was sent to acknowledged it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pendo_sync.pendo.responses import FAILED, MISSING, REJECTED, UPDATED

# Worst first: the outcome a row gets when its groups disagree.
SEVERITY = (FAILED, REJECTED, MISSING, UPDATED)
_SHOWN = 10
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
    status: str = "ok"  # ok | error | skipped
    message: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[RowProblem] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def ok(self) -> bool:
        return self.status != "error" and self.failed == 0 and self.rejected == 0


@dataclass
class RunReport:
    run_id: str
    command: str
    target: str
    adapter: str
    models: list[ModelResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

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
            "models": [asdict(m) for m in self.models],
        }


def write_results(report: RunReport, path: Path) -> None:
    write_json(report.to_json(), path)


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write through a temporary file, so a killed run never leaves half a results file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def model_line(index: int, total: int, result: ModelResult) -> str:
    label = {"ok": "OK synced", "error": "ERROR syncing", "skipped": "SKIP"}[result.status]
    head = f"{index} of {total} {label} {result.object} model {result.model} "
    if result.status == "error":
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
    lines = [f"  {line}" for line in ([result.message] if result.message else []) + result.notes]
    for outcome, heading in (
        (MISSING, "not found in Pendo (skipped; retried next run)"),
        (REJECTED, "rejected (retried next run once fixed)"),
        (FAILED, "failed (no usable answer; retried next run)"),
    ):
        problems = [p for p in result.problems if p.outcome == outcome]
        rows = list({(p.id, p.reason): p for p in problems}.values())
        if not rows:
            continue
        ids = list(dict.fromkeys(p.id for p in rows))
        # a row is one id (its groups' problems are one row), but every row without an id is one
        count = sum(1 for i in ids if i is not None) + sum(1 for p in problems if p.id is None)
        if outcome == MISSING:
            listed = [str(i) for i in ids[:_SHOWN]]
        else:
            listed = [f"{p.id} ({p.reason})" for p in rows[:_SHOWN]]
        hidden = count - len(listed)
        more = f" and {hidden} more" if hidden > 0 else ""
        lines.append(f"  {count} {heading}: {', '.join(listed)}{more}")
    return lines


def summary_line(report: RunReport) -> str:
    t = report.totals()
    errors = sum(1 for m in report.models if m.status == "error")
    return (
        f"Done. MODELS={len(report.models)} ERROR={errors} SENT={t['sent']} UPDATED={t['updated']} "
        f"MISSING={t['missing']} REJECTED={t['rejected']} FAILED={t['failed']}"
    )
