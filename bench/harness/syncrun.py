"""`pendo-dbt sync` as a user runs it: a subprocess, measured from outside, its results file read back.

Each measurement names its own state schema (dbt var `pendo_sync_schema`), so a "full" sync really
starts from empty state and the incremental one reuses exactly the state its full sync left.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.proc import Measured, run_measured


@dataclass
class SyncRun:
    measured: Measured
    model: dict[str, Any]  # this model's entry of target/pendo_sync_results.json

    @property
    def model_seconds(self) -> float:
        """The model's own time as pendo-dbt reports it: without start-up (imports, manifest, adapter)."""
        return float(self.model.get("seconds") or 0.0)


def sync_command(
    pendo_dbt: str, project_dir: Path, model: str, state_schema: str, extra: Sequence[str] = ()
) -> list[str]:
    return [
        pendo_dbt,
        "sync",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--select",
        model,
        "--vars",
        json.dumps({"pendo_sync_schema": state_schema}),
        *extra,
    ]


def run_sync(
    pendo_dbt: str,
    project_dir: Path,
    model: str,
    state_schema: str,
    env: dict[str, str],
    log: Path,
    extra: Sequence[str] = (),
) -> SyncRun:
    """Run one sync of `model`; raise (with the log's tail) when it did not sync the model."""
    command = sync_command(pendo_dbt, project_dir, model, state_schema, extra)
    results_file = project_dir / "target" / "pendo_sync_results.json"
    results_file.unlink(missing_ok=True)
    measured = run_measured(command, env=env, cwd=project_dir, log=log)
    entry = _model_entry(results_file, model)
    if measured.returncode != 0 or entry is None or entry.get("status") != "ok":
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise RuntimeError(f"pendo-dbt sync of {model} failed (exit {measured.returncode}):\n{tail}")
    return SyncRun(measured, entry)


def _model_entry(results_file: Path, model: str) -> dict[str, Any] | None:
    if not results_file.exists():
        return None
    results = json.loads(results_file.read_text())
    return next((m for m in results.get("models", []) if m.get("model") == model), None)
