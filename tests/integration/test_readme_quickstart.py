"""The README's Quick start, as written: its model, mapping and emulator seed, in a fresh dbt project."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import KEY, REPO, Project

PROFILES = """
quickstart:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{path}"
"""


def quick_start_blocks() -> dict[str, str]:
    """The Quick start's code blocks, by language (one each of sql, yaml and json)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return {lang: body for lang, body in re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)}


def test_the_quick_start_runs_as_written_against_the_emulator(tmp_path: Path) -> None:
    blocks = quick_start_blocks()
    path = tmp_path / "quickstart"
    (path / "models" / "pendo").mkdir(parents=True)
    (path / "dbt_project.yml").write_text("name: quickstart\nversion: '1.0'\nprofile: quickstart\n")
    (path / "profiles.yml").write_text(PROFILES.format(path=path / "dev.duckdb"))
    (path / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    (path / "models" / "pendo" / "pendo_visitors.sql").write_text(blocks["sql"])
    (path / "models" / "pendo" / "pendo.yml").write_text(blocks["yaml"])
    project = Project(path, "dev")
    project.dbt("deps")
    project.dbt("run")
    with Emulator(KEY) as emulator:
        emulator.seed(json.loads(blocks["json"]))
        plan = project.sync(emulator, "-s", "pendo_visitors", command="plan")
        assert plan.exit_code == 0, plan.output
        assert "[2 rows, 2 changed, 2 to send, 0 rejected]" in plan.output
        synced = project.sync(emulator, "-s", "pendo_visitors")
        assert synced.exit_code == 0, synced.output
        assert "2 sent: 2 updated, 0 missing, 0 rejected, 0 failed" in synced.output
        status = project.sync(emulator, "-s", "pendo_visitors", command="status")
        assert "synced rows: agent 2, custom 2" in status.output and "pending: none" in status.output
        record = emulator.record("visitor", "u1")
        assert record is not None and record["agent"]["email"] == "ada@example.com"
        assert record["custom"] == {"plan_tier": "pro", "is_admin": True}
