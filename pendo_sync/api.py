"""The Python API, for orchestrators (Airflow, Dagster, Prefect) and the CLI alike, in the spirit of
dbt's `dbtRunner`:

    from pendo_sync import PendoSync
    result = PendoSync(project_dir="analytics", target="prod").sync(select=["tag:pendo"])
    result.raise_on_failure()

Each command returns typed results and raises the errors the CLI turns into exit codes (errors.py);
nothing here exits the process, configures logging or leaves the garbage collector changed, and one
process may run any number of commands: dbt's flags and invocation context are set by each call
(dbt_bridge/). dbt is imported by the commands, not by `import pendo_sync`.
Lines go to `emit` (default: the `pendo_sync` logger at INFO), as the CLI prints them.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pendo_sync import github, notify
from pendo_sync.config import BATCH_BYTES, BATCH_SIZE
from pendo_sync.errors import ConfigError, PendoSyncError, RunFailed
from pendo_sync.outcome import RunOutcome
from pendo_sync.report import ModelResult, RunReport, plural
from pendo_sync.thresholds import RejectLimit, Verdict, judge

if TYPE_CHECKING:
    from pendo_sync.pendo.client import Threads
    from pendo_sync.plan_report import ModelPlan, PlanReport
    from pendo_sync.progress import Progress
    from pendo_sync.project import SyncOptions
    from pendo_sync.status import ModelStatus

Emit = Callable[[str], None]
Record = Callable[[Sequence[str], Mapping[str, Any]], None]
_log = logging.getLogger("pendo_sync")


@dataclass(frozen=True)
class SyncResult:
    """A finished sync: per model its counts, status and failures by reason (report.ModelResult)."""

    report: RunReport
    verdict: Verdict

    @property
    def run_id(self) -> str:
        return self.report.run_id

    @property
    def models(self) -> list[ModelResult]:
        return self.report.models

    def totals(self) -> dict[str, int]:
        return self.report.totals()

    @property
    def exit_code(self) -> int:
        """What `pendo-dbt sync` exits with: 1 when a model is ERROR or rows exceed fail_on_rejected."""
        return self.verdict.exit_code

    @property
    def success(self) -> bool:
        return self.exit_code == 0

    def raise_on_failure(self) -> SyncResult:
        """Raise RunFailed when the CLI would exit 1, for a task that should fail then; else self."""
        if not self.success:
            outcome = RunOutcome.finished(self.report, self.verdict)
            raise RunFailed(outcome.headline() + (f". {outcome.message}" if outcome.message else ""), self)
        return self


@dataclass(frozen=True)
class PlanResult:
    """A plan: what sync would send now, per model (plan_report.ModelPlan). Nothing was sent."""

    report: PlanReport
    verdict: Verdict

    @property
    def models(self) -> list[ModelPlan]:
        return self.report.models

    def totals(self) -> dict[str, int]:
        return self.report.totals()

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    @property
    def success(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class ValidateResult:
    models: tuple[str, ...]  # the tagged models selected, every mapping sound
    warnings: tuple[str, ...]
    checked_in_pendo: bool  # mapped fields checked against Pendo's schema (PENDO_INTEGRATION_KEY set)


class PendoSync:
    """One dbt project and target, as dbt's flags name them; each method runs one command.

    `emit` gets each line the CLI would print; `record` (optional) gets a line with its structure, for
    plan's and status's models (the CLI's --log-format json).
    """

    def __init__(
        self,
        project_dir: str | Path = ".",
        *,
        profiles_dir: str | Path | None = None,
        target: str | None = None,
        profile: str | None = None,
        vars: str | Mapping[str, Any] | None = None,
        target_path: str = "target",
        pendo_url: str | None = None,
        region: str | None = None,
        emit: Emit | None = None,
        record: Record | None = None,
    ) -> None:
        from pendo_sync.dbt_bridge.target import DbtTarget

        self.target = DbtTarget(
            project_dir=Path(project_dir),
            profiles_dir=Path(profiles_dir) if profiles_dir is not None else None,
            target=target,
            profile=profile,
            vars=vars if vars is None or isinstance(vars, str) else json.dumps(dict(vars)),
        )
        self.target_path = target_path
        self.pendo_url = pendo_url
        self.region = region
        self._emit: Emit = emit or _log.info
        self._record: Record = record or self._lines

    def sync(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        *,
        full_refresh: bool = False,
        threads: Threads = "auto",
        batch_size: int = BATCH_SIZE,
        batch_bytes: int = BATCH_BYTES,
        max_rps: float = 100.0,
        timeout: float = 120.0,
        retry_budget: float = 300.0,
        allow_stale: bool = False,
        fail_on_rejected: str | int | RejectLimit = 0,
        notify_urls: Sequence[str] = (),
        notify_on: str = "failure",
        progress: Progress | None = None,
    ) -> SyncResult:
        """Send what changed in the selected tagged models since the last successful sync.

        Alerts go to `notify_urls` (else PENDO_SYNC_NOTIFY) when the run fails, or after every run with
        `notify_on="always"`; under GitHub Actions the run is added to the job summary (github.py).
        """
        from pendo_sync.pendo.client import ClientOptions, parse_threads
        from pendo_sync.sync import run_sync

        limit = _limit(fail_on_rejected)
        _within(batch_size=(batch_size, 1, 100_000), batch_bytes=(batch_bytes, 1, 2**30))
        _within(
            max_rps=(max_rps, 1, 10_000), timeout=(timeout, 1, 3600), retry_budget=(retry_budget, 0, 86_400)
        )
        urls = notify.webhooks(notify_urls, os.environ)
        if notify_on not in notify.WHEN:
            raise ConfigError([f"notify_on {notify_on!r} is not one of {', '.join(notify.WHEN)}"])
        options = self._options(
            select,
            exclude,
            client=ClientOptions(
                threads=parse_threads(threads), timeout=timeout, max_rps=max_rps, retry_budget=retry_budget
            ),
            batch_size=batch_size,
            batch_bytes=batch_bytes,
            full_refresh=full_refresh,
            allow_stale=allow_stale,
        )
        started: list[RunReport] = []
        try:
            report = run_sync(options, self._emit, progress, started.append)
        except PendoSyncError as exc:
            self._publish(
                RunOutcome.stopped("sync", exc.exit_code, str(exc), _first(started)), urls, notify_on
            )
            raise
        except KeyboardInterrupt:
            self._publish(RunOutcome.stopped("sync", 130, "Interrupted.", _first(started)), urls, notify_on)
            raise
        except Exception as exc:
            stopped = f"Unexpected error ({type(exc).__name__}): a bug in pendo-dbt"
            self._publish(RunOutcome.stopped("sync", 1, stopped, _first(started)), urls, notify_on)
            raise
        result = SyncResult(report, self._judge(report.totals(), [m.status for m in report.models], limit))
        self._publish(RunOutcome.finished(report, result.verdict), urls, notify_on)
        return result

    def plan(
        self,
        select: Sequence[str] = (),
        exclude: Sequence[str] = (),
        *,
        full_refresh: bool = False,
        batch_size: int = BATCH_SIZE,
        samples: int = 3,
        allow_stale: bool = False,
        fail_on_rejected: str | int | RejectLimit = 0,
    ) -> PlanResult:
        """Dry run: what sync would send now, per model, group and field. Sends and writes nothing."""
        from pendo_sync.plan import run_plan

        limit = _limit(fail_on_rejected)
        _within(batch_size=(batch_size, 1, 100_000), samples=(samples, 0, 100))
        options = self._options(
            select, exclude, batch_size=batch_size, full_refresh=full_refresh, allow_stale=allow_stale
        )
        report = run_plan(options, self._emit, self._record, samples=samples)
        return PlanResult(report, self._judge(report.totals(), [m.status for m in report.models], limit))

    def status(self, select: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[ModelStatus]:
        """Per tagged model: rows synced, last run, rows pending (warehouse state only; Pendo untouched)."""
        from pendo_sync.status import run_status

        return run_status(self._options(select, exclude), self._emit, self._record)

    def validate(self, select: Sequence[str] = (), exclude: Sequence[str] = ()) -> ValidateResult:
        """Check every meta.pendo mapping (ConfigError lists all problems); with PENDO_INTEGRATION_KEY
        set, also the mapped fields against Pendo's schema (read only). Never touches the warehouse."""
        from pendo_sync.dbt_bridge.selection import NOTHING_TAGGED
        from pendo_sync.pendo_fields import check_pendo_schema
        from pendo_sync.project import load_config

        options = self._options(select, exclude)
        _, parsed = load_config(options)
        warnings = list(parsed.warnings)
        for warning in parsed.warnings:
            self._emit(f"[WARNING] {warning}")
        keyed = bool(os.environ.get("PENDO_INTEGRATION_KEY"))
        if not keyed:
            parsed.check()
        models = tuple(s.model.name for s in parsed.specs)
        if not parsed.specs and not parsed.problems:
            self._emit(NOTHING_TAGGED)
            return ValidateResult(models, tuple(warnings), False)
        if keyed:
            for warning in check_pendo_schema(options, parsed):
                warnings.append(warning)
                self._emit(f"[WARNING] {warning}")
            checked = " Mapped fields exist in Pendo (or will be created: create_agent_fields)."
        else:
            checked = " (Set PENDO_INTEGRATION_KEY to also check the fields against Pendo.)"
        self._emit(f"OK: {plural(len(models), 'tagged model')}, no configuration problems.{checked}")
        return ValidateResult(models, tuple(warnings), keyed)

    def _options(self, select: Sequence[str], exclude: Sequence[str], **settings: Any) -> SyncOptions:
        from pendo_sync.dbt_bridge.selection import Selection
        from pendo_sync.project import SyncOptions

        for name, value in (("select", select), ("exclude", exclude)):
            if isinstance(value, str):  # a lone string would be taken letter by letter
                raise ConfigError([f"{name} must be a list of dbt selectors, e.g. {name}=[{value!r}]"])
        return SyncOptions(
            target=self.target,
            target_path=self.target_path,
            pendo_url=self.pendo_url,
            region=self.region,
            selection=Selection(select=tuple(select), exclude=tuple(exclude)),
            **settings,
        )

    def _judge(self, totals: dict[str, int], statuses: list[str], limit: RejectLimit) -> Verdict:
        verdict = judge(totals, statuses.count("error"), limit)
        if verdict.message:
            self._emit(verdict.message)
        return verdict

    def _publish(self, outcome: RunOutcome, urls: Sequence[str], notify_on: str) -> None:
        """The run to the job summary (under GitHub Actions) and to the webhooks; failing to is a
        warning, never the run's failure."""
        try:
            github.publish(outcome, os.environ, sys.stdout)
        except OSError as exc:
            self._emit(f"[WARNING] Could not append to ${github.ENV}: {exc.strerror or exc}")
        if not urls or not notify.should_notify(outcome, notify_on):
            return
        message = notify.build_message(outcome, notify.secrets_of(os.environ, urls))
        for url in urls:
            warning = notify.post(url, message)
            if warning:
                self._emit(f"[WARNING] {warning}")

    def _lines(self, lines: Sequence[str], data: Mapping[str, Any]) -> None:
        for line in lines:
            self._emit(line)


def _first(reports: list[RunReport]) -> RunReport | None:
    return reports[0] if reports else None


def _limit(value: str | int | RejectLimit) -> RejectLimit:
    if isinstance(value, RejectLimit):
        return value
    try:
        return RejectLimit.parse(str(value))
    except ValueError as exc:
        raise ConfigError([f"fail_on_rejected: {exc}"]) from None


def _within(**values: tuple[float, float, float]) -> None:
    """The ranges the CLI's flags accept (click checks them there): name=(value, lowest, highest)."""
    wrong = [
        f"{name} {value!r} is not from {low:g} to {high:g}"
        for name, (value, low, high) in values.items()
        if not low <= value <= high
    ]
    if wrong:
        raise ConfigError(wrong)
