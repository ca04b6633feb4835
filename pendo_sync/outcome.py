"""What a sync run came to, for the places that report it elsewhere: alerts (notify.py) and GitHub
Actions summaries (github.py). Pure; the figures are report.py's, never counted again here.

A run either finishes (a report and the exit code its verdict gives) or stops on an error (the error's
exit code, and the report as far as it got: the models it reached, when it got that far).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pendo_sync.report import COUNTS, ModelResult, RunReport

if TYPE_CHECKING:
    from pendo_sync.thresholds import Verdict

STATES = {0: "passed", 2: "configuration error", 3: "locked", 130: "interrupted"}


@dataclass(frozen=True)
class RunOutcome:
    command: str
    exit_code: int
    target: str = ""  # "" when the run stopped before it read the target
    run_id: str = ""
    models: tuple[ModelResult, ...] = ()
    message: str = ""  # why the run failed (or passed with rejected rows), for people

    @classmethod
    def finished(cls, report: RunReport, verdict: Verdict) -> RunOutcome:
        return cls(
            report.command,
            verdict.exit_code,
            report.target,
            report.run_id,
            tuple(report.models),
            verdict.message or "",
        )

    @classmethod
    def stopped(cls, command: str, exit_code: int, message: str, report: RunReport | None) -> RunOutcome:
        if report is None:
            return cls(command, exit_code, message=message)
        return cls(command, exit_code, report.target, report.run_id, tuple(report.models), message)

    @property
    def failed(self) -> bool:
        return self.exit_code != 0

    @property
    def state(self) -> str:
        """passed, failed, configuration error, locked or interrupted."""
        return STATES.get(self.exit_code, "failed")

    def totals(self) -> dict[str, int]:
        return {k: sum(int(getattr(m, k)) for m in self.models) for k in COUNTS}

    def failing(self) -> list[ModelResult]:
        """The models to point at: ERROR ones, then those with rows that did not land (WARN)."""
        return [m for m in self.models if m.status == "error"] + [
            m for m in self.models if m.status == "warn"
        ]

    def title(self) -> str:
        """What ran where, and how it went."""
        where = f" on target '{self.target}'" if self.target else ""
        return f"pendo-dbt {self.command}{where} {self.state} (exit {self.exit_code})"

    def headline(self) -> str:
        """One line: the title and the run's figures."""
        head = self.title()
        if not self.models:
            return head
        t = self.totals()
        statuses = [m.status for m in self.models]
        errors, warns = statuses.count("error"), statuses.count("warn")
        return (
            f"{head}: {len(statuses)} models ({errors} error, {warns} warn), {t['sent']} rows sent, "
            f"{t['updated']} acknowledged, {t['rejected']} rejected, {t['failed']} failed, "
            f"{t['missing']} missing"
        )
