"""Under GitHub Actions (GITHUB_STEP_SUMMARY set), a sync appends its table to the job summary and
annotates the models that fail, with a real sync against the emulator."""

from __future__ import annotations

from pathlib import Path

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import Project


def test_each_sync_appends_its_table_and_annotates_failing_models(
    project: Project, emulator: Emulator, tmp_path: Path
) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("# Earlier step\n")
    # one model at a time (the profile's threads), so the failed run does not reach the visitors
    env = {"GITHUB_STEP_SUMMARY": str(summary), "PENDO_SYNC_TEST_THREADS": "1"}
    emulator.faults.set(
        parse_faults([{"match": "/api/v1/metadata/account/", "method": "POST", "status": 403}])
    )
    failed = project.sync(emulator, env=env)
    assert failed.exit_code == 1
    emulator.faults.set([])
    passed = project.sync(emulator, env=env)
    assert passed.exit_code == 0, passed.output

    text = summary.read_text()
    assert text.startswith(f"# Earlier step\n### pendo-dbt sync on target '{project.target}' failed (exit 1)")
    assert "| pendo_accounts | account | ❌ error | 4 | 4 | 0 | 0 | 4 | 0 |" in text
    assert "| pendo_visitors | visitor | ⏭️ skipped | 0 | 0 | 0 | 0 | 0 | 0 |" in text
    assert f"### pendo-dbt sync on target '{project.target}' passed (exit 0)" in text
    assert "| pendo_visitors | visitor | ✅ ok | 10 | 10 | 10 | 0 | 0 | 0 |" in text
    errors = [line for line in failed.output.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1 and errors[0].startswith("::error title=pendo-dbt sync%3A pendo_accounts::")
    assert not any(line.startswith("::") for line in passed.output.splitlines())


def test_without_github_actions_a_failing_run_is_not_annotated(project: Project, emulator: Emulator) -> None:
    emulator.faults.set(
        parse_faults([{"match": "/api/v1/metadata/account/", "method": "POST", "status": 403}])
    )
    result = project.sync(emulator, env={"GITHUB_STEP_SUMMARY": ""})
    assert result.exit_code == 1 and not any(line.startswith("::") for line in result.output.splitlines())
