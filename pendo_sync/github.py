"""GitHub Actions: under a job (GITHUB_STEP_SUMMARY set), a sync appends a Markdown table of its run to
the job's summary page and prints `::error`/`::warning` annotations for the models that fail or warn.

The summary and the annotations are pure (step_summary, annotations); `publish` writes them. Workflow
commands are printed bare to stdout, as GitHub reads them only at the start of a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pendo_sync.outcome import RunOutcome

ENV = "GITHUB_STEP_SUMMARY"
COLUMNS = (
    ("Model", "model"),
    ("Object", "object"),
    ("Status", "status"),
    ("Changed", "changed"),
    ("Sent", "sent"),
    ("Acknowledged", "updated"),
    ("Rejected", "rejected"),
    ("Failed", "failed"),
    ("Missing", "missing"),
)
_ICONS = {"ok": "✅ ok", "warn": "⚠️ warn", "error": "❌ error", "skipped": "⏭️ skipped"}


def step_summary(outcome: RunOutcome) -> str:
    """A heading, the run's table (one row per model, then the totals) and why it failed."""
    lines = [f"### {_cell(outcome.title())}", ""]
    if outcome.models:
        lines.append("| " + " | ".join(title for title, _ in COLUMNS) + " |")
        lines.append("|" + "|".join("---" if i < 3 else "--:" for i in range(len(COLUMNS))) + "|")
        for model in outcome.models:
            cells = [
                _ICONS.get(model.status, model.status) if key == "status" else str(getattr(model, key))
                for _, key in COLUMNS
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        totals = outcome.totals()
        cells = ["**Total**", "", ""] + [f"**{totals[key]}**" for _, key in COLUMNS[3:]]
        lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if outcome.message:
        lines += [_cell(outcome.message), ""]
    for model in outcome.failing():
        reasons = "; ".join(f"{n} rows: {r}" for r, n in list(model.failures_by_reason().items())[:3])
        why = reasons or model.message
        lines.append(f"- **{_cell(model.model)}** {model.status}" + (f": {_cell(why)}" if why else ""))
    if outcome.run_id:
        lines += [
            "",
            f"Run id `{outcome.run_id}`. Rows not acknowledged are retried by the next sync; "
            "`pendo-dbt status` counts what is pending.",
        ]
    return "\n".join(lines).rstrip() + "\n\n"


def workflow_commands(outcome: RunOutcome) -> list[str]:
    """`::error` for ERROR models (or for the run, when it stopped with no model at fault),
    `::warning` for WARN models."""
    lines = []
    for model in outcome.failing():
        level = "error" if model.status == "error" else "warning"
        reasons = "; ".join(f"{n} rows: {r}" for r, n in list(model.failures_by_reason().items())[:3])
        detail = model.message or reasons or f"{model.rejected} rejected, {model.failed} failed rows"
        title = f"pendo-dbt {outcome.command}: {model.model}"
        lines.append(f"::{level} title={_property(title)}::{_data(detail)}")
    if outcome.failed and not any(m.status == "error" for m in outcome.models):
        title = f"pendo-dbt {outcome.command} {outcome.state}"
        lines.append(f"::error title={_property(title)}::{_data(outcome.message or outcome.headline())}")
    return lines


def publish(outcome: RunOutcome, env: Mapping[str, str], out: TextIO) -> None:
    """Append the summary and print the annotations, when running under GitHub Actions."""
    path = env.get(ENV)
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as summary:
        summary.write(step_summary(outcome))
    for line in workflow_commands(outcome):
        print(line, file=out, flush=True)


def _cell(text: str) -> str:
    """Text for one table cell or line: no pipes or newlines to break the table."""
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
