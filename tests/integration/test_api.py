"""The Python API (pendo_sync.PendoSync) as an orchestrator uses it: real dbt, the emulator on loopback,
several commands in one process, results typed, errors raised (never SystemExit)."""

from __future__ import annotations

import gc
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pendo_sync import ConfigError, LockError, PendoError, PendoSync, RunFailed, SyncResult
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import REPO, Project, environ, metadata_posts

MODELS = ["pendo_visitors", "pendo_accounts"]


def api(project: Project, lines: list[str], target: str | None = None) -> PendoSync:
    return PendoSync(
        project.path, profiles_dir=project.path, target=target or project.target, emit=lines.append
    )


def test_two_syncs_and_every_command_in_one_process_return_typed_results(
    project: Project, emulator: Emulator
) -> None:
    handlers, freezes, collecting = list(logging.getLogger().handlers), gc.get_freeze_count(), gc.isenabled()
    lines: list[str] = []
    with environ(project.pendo_env(emulator)):
        pendo = api(project, lines)
        assert set(pendo.validate(MODELS).models) == set(MODELS)
        plan = pendo.plan(MODELS)
        assert plan.success and plan.totals()["to_send"] == 14
        first = pendo.sync(MODELS)
        with pytest.raises(ConfigError, match="nope"):  # a call with another target: its own dbt flags
            api(project, [], target="nope").sync(MODELS)
        second = pendo.sync(MODELS)
        statuses = pendo.status(MODELS)

    assert isinstance(first, SyncResult) and first.success and first.exit_code == 0
    visitors = next(m for m in first.models if m.model == "pendo_visitors")
    assert (visitors.sent, visitors.updated, visitors.status) == (10, 10, "ok")
    assert first.totals()["updated"] == 14 and first.raise_on_failure() is first
    assert second.success and second.totals()["changed"] == 0 and second.run_id != first.run_id
    assert [s.pending for s in statuses] == [0, 0] and statuses[0].last_run_id == second.run_id
    assert any(line.startswith("Done. MODELS=2 OK=2") for line in lines)  # the CLI's lines, to emit
    assert logging.getLogger().handlers == handlers  # no logging configured
    assert (gc.get_freeze_count(), gc.isenabled()) == (freezes, collecting)  # the GC left as found


def test_a_stopped_run_raises_the_typed_error_with_its_models_reported(
    project: Project, emulator: Emulator
) -> None:
    emulator.faults.set(
        parse_faults([{"match": "/api/v1/metadata/account/", "method": "POST", "status": 403}])
    )
    one_at_a_time = {**project.pendo_env(emulator), "PENDO_SYNC_TEST_THREADS": "1"}  # the profile's threads
    with environ(one_at_a_time), pytest.raises(PendoError, match="refused") as caught:
        api(project, []).sync(MODELS)
    assert caught.value.exit_code == 1
    assert [m["status"] for m in project.results()["models"]] == ["error", "skipped"]


def test_rejected_rows_fail_the_result_and_raise_on_failure_raises_run_failed(
    project: Project, emulator: Emulator
) -> None:
    rows = project.seed_rows("visitors")
    project.write_seed("visitors", [*rows, dict(rows[0], user_id="   ", email="spaces@example.com")])
    project.rebuild()
    with environ(project.pendo_env(emulator)):
        pendo = api(project, [])
        strict = pendo.sync(["pendo_visitors"])
        tolerant = pendo.sync(["pendo_visitors"], fail_on_rejected="1")
    assert (strict.exit_code, strict.totals()["rejected"], tolerant.exit_code) == (1, 1, 0)
    reasons = strict.models[0].failures_by_reason()
    assert list(reasons.values()) == [1] and "user_id" in next(iter(reasons))
    with pytest.raises(RunFailed, match="1 rejected") as caught:
        strict.raise_on_failure()
    assert caught.value.result is strict and caught.value.exit_code == 1


def test_the_orchestrator_example_in_the_docs_builds_and_syncs(project: Project, emulator: Emulator) -> None:
    text = (REPO / "docs" / "orchestrators.md").read_text()
    [code] = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def build_and_sync" in b]
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/orchestrators.md", "exec"), namespace)
    build_and_sync = namespace["build_and_sync"]
    assert callable(build_and_sync)
    with environ(project.pendo_env(emulator)):
        result = build_and_sync(str(project.path), project.target, MODELS, str(project.path))
        again = build_and_sync(str(project.path), project.target, MODELS, str(project.path))
    assert result.totals()["updated"] == 14 and again.totals()["changed"] == 0
    assert Path(project.path / "target" / "run_results.json").exists()  # dbt build ran first


def test_what_the_host_process_froze_stays_frozen(project: Project, emulator: Emulator) -> None:
    """A worker that froze its objects (gc.freeze, e.g. before forking) finds them frozen after a sync."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with environ(project.pendo_env(emulator)):
            assert api(project, []).sync(MODELS).success
        assert 0 < gc.get_freeze_count() <= frozen  # none thawed, none of dbt's added
    finally:
        gc.unfreeze()


def test_a_locked_duckdb_file_raises_lock_error_and_sends_nothing(
    project: Project, emulator: Emulator
) -> None:
    if project.target != "duckdb":
        pytest.skip("the DuckDB file lock; PostgreSQL's advisory lock is tested through the CLI")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FILE, project.env["PENDO_SYNC_TEST_DUCKDB"]],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with environ(project.pendo_env(emulator)), pytest.raises(LockError) as caught:
            api(project, []).sync(MODELS)
    finally:
        holder.kill()
        holder.wait()
    assert caught.value.exit_code == 3 and "DuckDB" in str(caught.value)
    assert metadata_posts(emulator) == []


def test_after_a_sync_the_process_no_longer_holds_the_duckdb_file(
    project: Project, emulator: Emulator
) -> None:
    """An orchestrator's worker syncs in-process: the next `dbt build` or sync of another process
    must find the DuckDB file free."""
    if project.target != "duckdb":
        pytest.skip("DuckDB's one writing process")
    with environ(project.pendo_env(emulator)):
        assert api(project, []).sync(MODELS).success
    other = subprocess.run(
        [sys.executable, "-c", OPEN_FILE, project.env["PENDO_SYNC_TEST_DUCKDB"]],
        capture_output=True,
        text=True,
    )
    assert other.returncode == 0, other.stderr


OPEN_FILE = "import sys, duckdb; duckdb.connect(sys.argv[1]).close()"
HOLD_FILE = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""
