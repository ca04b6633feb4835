"""What `pendo-dbt plan` found, per model: rows changed, payloads per Pendo group and field, samples.

Pure: accumulates `prepare.Prepared` chunks (the payloads `sync` would send) and renders them as
dbt-style lines, as JSON for `--log-format json`, and as target/pendo_sync_plan.json.
Row counts follow `sync`'s: a row is counted once however many groups it has a payload for.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pendo_sync.prepare import Prepared, nulls_note
from pendo_sync.report import RowProblem, write_json
from pendo_sync.row_outcome import REJECTED

if TYPE_CHECKING:
    from pathlib import Path

    from pendo_sync.payloads import Body

_SHOWN = 10
_SAMPLE_CHARS = 300
COUNTS = ("rows_in_model", "changed", "to_send", "rejected", "unsent")


@dataclass
class GroupPlan:
    """One Pendo group of a model (agent, custom, or event): what its requests would carry."""

    records: int = 0
    fields: dict[str, int] = field(default_factory=dict)  # Pendo field (or event property) -> values sent
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ModelPlan:
    model: str
    object: str
    model_id: str = ""
    rows_in_model: int = 0
    changed: int = 0
    to_send: int = 0
    rejected: int = 0
    unsent: int = 0  # changed rows with nothing to send (every mapped value null with nulls: skip)
    groups: dict[str, GroupPlan] = field(default_factory=dict)
    rejections: list[RowProblem] = field(default_factory=list)  # the first few, with their reasons
    oversized: int = 0
    nulls_skipped: int = 0  # NULL values left out of the rows to send (`nulls: skip`)
    left_model: int = 0  # records synced once that the model no longer holds (they stay in Pendo)
    status: str = "ok"  # ok | error
    message: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, prepared: Prepared, samples: int) -> None:
        """Count one chunk of prepared rows; keep the first `samples` payloads of each group."""
        self.changed += prepared.rows
        self.oversized += prepared.oversized
        self.nulls_skipped += prepared.nulls_skipped
        sent: set[str] = set()
        for group, payloads in prepared.payloads.items():
            plan = self.groups.setdefault(group, GroupPlan())
            plan.records += len(payloads)
            for payload in payloads:
                sent.add(payload.key)
                for name in _fields(_built(payload.body)):
                    plan.fields[name] = plan.fields.get(name, 0) + 1
            plan.samples.extend(_built(p.body) for p in payloads[: max(samples - len(plan.samples), 0)])
        rejected = {r.key for r in prepared.rejected}
        self.to_send += len(sent)
        self.rejected += len(rejected) + len(prepared.unkeyed)
        self.unsent += len({key for _, key, _ in prepared.nothing_to_send} - sent - rejected)
        problems = [RowProblem(r.key, r.group, REJECTED, r.reason) for r in prepared.rejected]
        problems += [RowProblem(None, "*", REJECTED, reason) for reason in prepared.unkeyed]
        self.rejections.extend(problems[: max(_SHOWN - len(self.rejections), 0)])

    def lines(self, index: int, total: int) -> list[str]:
        head = f"{index} of {total} {'PLAN' if self.status == 'ok' else 'ERROR planning'} {self.object} model {self.model} "
        if self.status == "error":
            return [f"{head:.<68} [ERROR in {self.seconds:.2f}s]", f"  {self.message}", *self._notes()]
        figures = f"{self.rows_in_model} rows, {self.changed} changed, {self.to_send} to send, {self.rejected} rejected"
        if self.unsent:
            figures += f", {self.unsent} with nothing to send"
        lines = [f"{head:.<68} [{figures}]"]
        for group, plan in self.groups.items():
            noun = "events" if self.object == "event" else "records"
            counts = ", ".join(f"{name} {n}" for name, n in plan.fields.items())
            lines.append(
                f"  {group}: {plan.records} {noun}" + (f"; values per field: {counts}" if counts else "")
            )
            lines.extend(f"  sample {group}: {_compact(s)}" for s in plan.samples)
        if self.rejections:
            shown = ", ".join(f"{p.id} ({p.reason})" for p in self.rejections)
            first = f" (the first {len(self.rejections)})" if self.rejected > len(self.rejections) else ""
            lines.append(f"  {self.rejected} would be rejected{first}: {shown}")
        return lines + self._notes()

    def _notes(self) -> list[str]:
        skipped = [nulls_note(self.nulls_skipped, planned=True)] if self.nulls_skipped else []
        return [f"  {note}" for note in [*skipped, *self.notes]]


@dataclass
class PlanReport:
    target: str
    adapter: str
    state_schema: str = ""
    state_exists: bool = False
    typed: bool = True  # values coerced per Pendo's schema (False without PENDO_INTEGRATION_KEY)
    models: list[ModelPlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        return {k: sum(int(getattr(m, k)) for m in self.models) for k in COUNTS}

    def summary_line(self) -> str:
        t = self.totals()
        errors = sum(1 for m in self.models if m.status == "error")
        return (
            f"Done. MODELS={len(self.models)} ERROR={errors} CHANGED={t['changed']} TO_SEND={t['to_send']} "
            f"REJECTED={t['rejected']} (a plan: nothing was sent, state is untouched)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "command": "plan",
            "target": self.target,
            "adapter": self.adapter,
            "state_schema": self.state_schema,
            "state_exists": self.state_exists,
            "typed": self.typed,
            "totals": self.totals(),
            "warnings": self.warnings,
            "models": [asdict(m) for m in self.models],
        }


def write_plan(report: PlanReport, path: Path) -> None:
    write_json(report.to_json(), path)


def _built(body: Body) -> dict[str, Any]:
    """A payload as a dict, whether built in Python or rendered by the warehouse as JSON text."""
    return json.loads(body) if isinstance(body, str) else body


def _fields(body: dict[str, Any]) -> list[str]:
    """The Pendo fields a payload sets: metadata `values`, or a Track event's `properties`."""
    values = body.get("values", body.get("properties"))
    return list(values) if isinstance(values, dict) else []


def _compact(body: dict[str, Any]) -> str:
    """A sample as the user wrote its values (ensure_ascii=False: 'Zoë', not 'Zo\\u00eb')."""
    text = json.dumps(body, separators=(",", ":"), default=str, ensure_ascii=False)
    return text if len(text) <= _SAMPLE_CHARS else text[: _SAMPLE_CHARS - 3] + "..."
