"""Backfill windows of event models, and a backfill killed midway then resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.event_sync import EVENTS_PER_TASK
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.run_context import BACKLOG
from tests.integration.harness import KEY, TRACK, Project, environ

EVENTS = ("--select", "pendo_events")


def set_backfill(project: Project, model_yml: str, after: str, backfill: str) -> None:
    """Give an event model a `backfill:` (replacing the one it has, or added after the line `after`)."""
    yml = project.path / "models" / model_yml
    lines = [line for line in yml.read_text().splitlines() if not line.strip().startswith("backfill:")]
    at = next(i for i, line in enumerate(lines) if line.strip() == after)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at + 1, f"{indent}backfill: {backfill}")
    yml.write_text("\n".join(lines) + "\n")


def append_events(project: Project, *rows: dict[str, str]) -> None:
    existing = project.seed_rows("app_events")
    project.write_seed("app_events", [*existing, *({**existing[0], **row} for row in rows)])
    project.rebuild()


def sent_names(emulator: Emulator) -> list[str]:
    return sorted(e["event"] for e in emulator.events)


def test_a_since_window_sends_newer_events_and_marks_older_ones_seen_for_good(
    project: Project, emulator: Emulator
) -> None:
    set_backfill(
        project,
        "events/events.yml",
        "context: {ip: ip, user_agent: user_agent, url: page_url}",
        '{since: "2026-11-22"}',
    )
    project.dbt("parse")
    plan = project.sync(emulator, *EVENTS, command="plan")  # the same window, before any state exists
    assert "3 events from before 2026-11-22 00:00:00 UTC" in plan.output, plan.output
    first = project.sync(emulator, *EVENTS)
    assert first.exit_code == 0, first.output
    assert "[6 rows, 6 changed, 3 sent: 3 accepted" in first.output and "3 not sent" in first.output
    assert (
        "3 events from before 2026-11-22 00:00:00 UTC (backfill: {since: 2026-11-22 00:00:00}) were marked "
        "as seen without sending them" in first.output
    )
    assert sent_names(emulator) == ["Exported Report", "Signed Up", "Upgraded Plan"]
    assert min(e["timestamp"] for e in emulator.events) >= 1763769600000  # 2026-11-22T00:00:00Z

    # Late rows: one older than the window is marked seen and never sent; one inside it is sent.
    append_events(
        project,
        {"event": "Late Old", "occurred_at": "2026-11-21 23:59:59"},
        {"event": "Late New", "occurred_at": "2026-11-22 00:00:00"},
    )
    second = project.sync(emulator, *EVENTS)
    assert "[8 rows, 2 changed, 1 sent: 1 accepted" in second.output and "1 not sent" in second.output
    assert "Late New" in sent_names(emulator) and "Late Old" not in sent_names(emulator)
    third = project.sync(emulator, *EVENTS)
    assert "[8 rows, 0 changed, 0 sent" in third.output
    assert len(emulator.events) == 4


def test_a_days_window_counts_from_the_models_first_sync_not_from_now(
    project: Project, emulator: Emulator
) -> None:
    set_backfill(
        project, "events/events.yml", "context: {ip: ip, user_agent: user_agent, url: page_url}", "{days: 3}"
    )
    project.dbt("parse")
    first = project.sync(emulator, *EVENTS)  # every event is older than 3 days before today
    assert first.exit_code == 0, first.output
    assert "[6 rows, 6 changed, 0 sent" in first.output and "6 not sent" in first.output
    assert emulator.events == []

    # As if the first sync had run on 2026-11-25: the window then starts on 2026-11-22.
    target = DbtTarget(project.path, project.path, project.target)
    with environ(project.env), Warehouse(target) as warehouse:
        models = f"{warehouse.quote(warehouse.target_schema + '_pendo_sync')}.pendo_sync_models"
        warehouse.execute([(f"update {models} set first_synced_at = timestamp '2026-11-25 00:00:00'", ())])
    append_events(
        project,
        {"event": "Late Old", "occurred_at": "2026-11-21 23:59:59"},
        {"event": "Late New", "occurred_at": "2026-11-23 09:00:00"},
    )
    second = project.sync(emulator, *EVENTS)
    assert "[8 rows, 2 changed, 1 sent: 1 accepted" in second.output, second.output
    assert sent_names(emulator) == ["Late New"]


# A backfill of crash events (one per second from 2026-11-01 00:00:00): the window leaves out the first 100.
CRASH_EVENTS, OLDER, GROWTH = 400, 100, 40
THREADS, BATCH = 4, 10


def dbt_build(project: Project, events: int) -> None:
    """dbt in a process of its own: in-process dbt-duckdb keeps the file open, locking out the sync process."""
    dbt = str(Path(sys.executable).with_name("dbt"))
    args = [dbt, "build", "-s", "pendo_crash_events", "--vars", str({"crash_events": events}), *project.flags]
    done = subprocess.run(
        args, env={**os.environ, **project.env}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:]


def sync_process(project: Project, emulator: Emulator) -> subprocess.Popen[bytes]:
    args = ["sync", *project.flags, "-s", "pendo_crash_events", "--threads", str(THREADS)]
    return subprocess.Popen(
        [sys.executable, "-m", "pendo_sync", *args, "--batch-size", str(BATCH)],
        env=project.process_env(emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_a_backfill_killed_midway_resumes_where_it_stopped(project: Project) -> None:
    set_backfill(project, "crash/crash.yml", "properties: {eid: event_id}", '{since: "2026-11-01T00:01:40Z"}')
    dbt_build(project, CRASH_EVENTS)
    with Emulator(KEY, TRACK) as emulator:
        emulator.faults.set(parse_faults([{"match": "/data/track", "delay": 0.005}]))
        run = sync_process(project, emulator)
        deadline = time.monotonic() + 120
        while len(emulator.events) < 200 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        run.send_signal(signal.SIGKILL)
        run.wait()
        before_kill = Counter(e["properties"]["eid"] for e in emulator.events)
        assert 200 <= len(before_kill) < CRASH_EVENTS - OLDER  # killed midway through the backfill

        dbt_build(project, CRASH_EVENTS + GROWTH)  # more events arrive before the rerun
        emulator.faults.set([])
        rerun = sync_process(project, emulator)
        output = rerun.communicate(timeout=300)[0].decode()
        assert rerun.returncode == 0, output
        last = sync_process(project, emulator)
        assert "0 changed, 0 sent" in last.communicate(timeout=300)[0].decode()

    received = Counter(e["properties"]["eid"] for e in emulator.events)
    assert set(received) == {f"ce{i}" for i in range(OLDER, CRASH_EVENTS + GROWTH)}  # none older
    # Resumed, not restarted: resent are only events Pendo acknowledged that state did not hold yet at the
    # kill (tasks in flight, answered batches not yet committed: test_crash_convergence.py's bound).
    duplicates = sum(received.values()) - len(received)
    tasks_per_batch = -(-BATCH // EVENTS_PER_TASK)
    bound = (THREADS * 2 + tasks_per_batch) * min(BATCH, EVENTS_PER_TASK) + (2 * BACKLOG + 2) * BATCH
    assert duplicates <= bound
    assert duplicates < len(before_kill)
