"""What `verify` reports: per model, the counts per field and a sample of differences in the terminal,
and every difference in target/pendo_verify_results.json, written as they are found."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from pendo_sync.report import plural
from pendo_sync.verify_compare import DIFFER, LABELS, MATCH, MISSING, OUTCOMES
from pendo_sync.verify_sql import DIFFERENCES

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

RESULTS_FILE = "pendo_verify_results.json"
SHOWN = 10  # differences printed per model; all of them go to the results file and the table


@dataclass
class ModelVerify:
    model: str
    object: str
    model_id: str
    records: int = 0  # records compared
    fields: dict[str, dict[str, int]] = field(default_factory=dict)  # "group.field" -> outcome counts
    drifted: int = 0  # records with a difference or missing in Pendo
    differences: int = 0  # fields that differ, and records missing in Pendo
    repaired: int = 0  # records whose state --repair forgot
    pendo_calls: int = 0
    seconds: float = 0.0
    note: str = ""  # why the model was not verified
    error: bool = False  # it could not be verified (duplicate ids): the run fails
    shown: list[dict[str, Any]] = field(default_factory=list)

    def lines(self) -> list[str]:
        if self.note:
            return [f"{'ERROR' if self.error else 'SKIP'} {self.object} model {self.model}: {self.note}"]
        label = "DRIFT" if self.drifted else "OK"
        head = (
            f"{label} {self.object} model {self.model}: {plural(self.records, 'record')} compared, "
            f"{plural(self.drifted, 'record')} drifted [{self.seconds:.1f}s, "
            f"{plural(self.pendo_calls, 'Pendo read')}]"
        )
        lines = [head]
        for name, counts in self.fields.items():
            figures = ", ".join(
                f"{counts[o]} {LABELS[o]}" for o in OUTCOMES if counts[o] or o in (MATCH, DIFFER)
            )
            lines.append(f"  {name}: {figures}")
        for d in self.shown:
            where = f"{d['id']} {d['field']}" if d["field"] else d["id"]
            if d["outcome"] == MISSING:
                lines.append(f"  missing in Pendo: {where}")
            else:
                lines.append(f"  differs: {where}: Pendo {d['pendo']}, model {d['model']}")
        if self.differences > len(self.shown):
            lines.append(f"  (all differences: target/{RESULTS_FILE} and {DIFFERENCES})")
        if self.repaired:
            lines.append(
                f"  --repair: forgot the sync state of {plural(self.repaired, 'drifted record')}; the next "
                "`pendo-dbt sync` resends exactly them"
            )
        return lines

    def data(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "shown"}


@dataclass
class VerifyReport:
    run_id: str
    models: list[ModelVerify] = field(default_factory=list)

    @property
    def drifted(self) -> int:
        return sum(m.drifted for m in self.models)

    @property
    def ok(self) -> bool:
        return not self.drifted and not any(m.error for m in self.models)


class ResultsFile:
    """target/pendo_verify_results.json, written as the differences are found (there may be millions):
    the differences first, then the models and totals, through a temporary file as sync's results are."""

    def __init__(self, path: Path, run_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self._tmp = path, path.with_suffix(".json.tmp")
        self._out: IO[str] = self._tmp.open("w", encoding="utf-8")
        self._out.write(f'{{"command": "verify", "run_id": {json.dumps(run_id)}, "differences": [')
        self._first = True

    def add(self, difference: Mapping[str, Any]) -> None:
        self._out.write(("\n  " if self._first else ",\n  ") + json.dumps(difference, ensure_ascii=False))
        self._first = False

    def finish(self, report: VerifyReport) -> None:
        models = json.dumps([m.data() for m in report.models], indent=2)
        totals = {"records_drifted": report.drifted, "success": report.ok}
        self._out.write(f'\n],\n"models": {models},\n"totals": {json.dumps(totals)}}}\n')
        self._out.close()
        self._tmp.replace(self.path)

    def abandon(self) -> None:
        self._out.close()
        self._tmp.unlink(missing_ok=True)
