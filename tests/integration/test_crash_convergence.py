"""kill -9 at random moments, with faults on, then one clean rerun: Pendo ends up with exactly the model.

Metadata converges to the model's values, which change back to earlier ones between kills; every event is delivered at least once, and duplicates come
only from events acknowledged but not yet committed at a kill. The default suite runs a few trials; set
PENDO_SYNC_CRASH_TRIALS=20 (see docs/guarantees.md) for the full count.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pendo_sync.event_sync import EVENTS_PER_TASK
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.run_context import BACKLOG
from tests.integration.harness import KEY, TRACK, Project, environ

TRIALS = int(os.environ.get("PENDO_SYNC_CRASH_TRIALS", "4"))
VISITORS, EVENTS, GROWTH = 300, 200, 40
THREADS, BATCH = 4, 10
SELECT = ("-s", "pendo_crash_visitors", "-s", "pendo_crash_events")
# Metadata may be applied and its answer lost (drop after): resending is harmless. Events get only faults
# that Pendo never applied, so every duplicate event comes from a kill.
FAULTS = [
    {"match": "/api/v1/metadata", "rate": 0.15, "status": 503},
    {"match": "/api/v1/metadata", "rate": 0.05, "drop": "after"},
    {"match": "/api/v1/metadata", "rate": 0.05, "status": 429, "retry_after": 0},
    {"match": "/data/track", "rate": 0.1, "status": 502},
    {"match": "/data/track", "rate": 0.05, "drop": "before"},
    {"match": "/", "delay": 0.005},
]


def build(project: Project, version: int, growth: int) -> None:
    """dbt in a process of its own: in-process dbt-duckdb keeps the file open, locking out the sync process."""
    sizes = {"crash_version": version, "crash_visitors": VISITORS, "crash_events": EVENTS + GROWTH * growth}
    dbt = str(Path(sys.executable).with_name("dbt"))
    args = [
        dbt,
        "build",
        "-s",
        "pendo_crash_visitors",
        "pendo_crash_events",
        "--vars",
        str(sizes),
        *project.flags,
    ]
    done = subprocess.run(
        args, env={**os.environ, **project.env}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:]


def start_sync(project: Project, emulator: Emulator) -> subprocess.Popen[bytes]:
    env = project.process_env(emulator)
    args = ["sync", *project.flags, *SELECT, "--threads", str(THREADS), "--batch-size", str(BATCH)]
    return subprocess.Popen(
        [sys.executable, "-m", "pendo_sync", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def kill_mid_sync(process: subprocess.Popen[bytes], emulator: Emulator, after_requests: int) -> bool:
    """SIGKILL once the emulator has seen `after_requests` more requests; False if the run ended first."""
    start = len(emulator.requests_log)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if len(emulator.requests_log) - start >= after_requests:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.wait()
    return False


def model_rows(project: Project, sql: str) -> list[tuple[Any, ...]]:
    with environ(project.env):
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(["show", "--inline", sql, "--limit", "-1", *project.flags])
    assert result.success, result.exception
    return [tuple(r) for r in result.result.results[0].agate_table.rows]


def test_kill_minus_nine_then_rerun_converges(project: Project) -> None:
    rng = random.Random(20261128)
    with Emulator(KEY, TRACK) as emulator:
        emulator.seed(
            {
                "visitors": [f"cv{i}" for i in range(VISITORS)],
                "schema": {"visitor": {"agent": {"email": "string"}, "custom": {"seats": "integer"}}},
            }
        )
        emulator.faults.set(parse_faults(FAULTS), seed=1)
        kills = growth = 0
        version = 1
        build(project, version, growth)
        for trial in range(TRIALS):
            if trial % 2 == 1:  # between some kills, every visitor's values flip back and forth, and
                version, growth = 3 - version, growth + 1  # events are appended
                build(project, version, growth)
            kills += kill_mid_sync(start_sync(project, emulator), emulator, rng.randint(1, 60))
        emulator.faults.set([])
        final = start_sync(project, emulator)
        output = final.communicate(timeout=300)[0].decode()
        assert final.returncode == 0, output

    visitors = model_rows(project, "select user_id, email, seats from {{ ref('pendo_crash_visitors') }}")
    assert len(visitors) == VISITORS
    for user_id, email, seats in visitors:
        record = emulator.record("visitor", user_id)
        assert record is not None and record["agent"] == {"email": email}, user_id
        assert record["custom"] == {"seats": seats}, user_id

    event_ids = {r[0] for r in model_rows(project, "select event_id from {{ ref('pendo_crash_events') }}")}
    received = Counter(e["properties"]["eid"] for e in emulator.events)
    assert set(received) == event_ids  # every event delivered, nothing invented
    duplicates = sum(received.values()) - len(received)
    # Per kill, events Pendo acknowledged but state does not hold yet: the tasks in flight (the sender keeps
    # at most 2 x threads, plus the tasks of the batch just submitted) and the answered batches not yet
    # committed: those merged into the transaction being written (up to the backlog and one more), the
    # backlog, and one blocked on a full backlog.
    per_task = min(BATCH, EVENTS_PER_TASK)
    tasks_per_batch = -(-BATCH // EVENTS_PER_TASK)
    in_flight_bound = kills * ((THREADS * 2 + tasks_per_batch) * per_task + (2 * BACKLOG + 2) * BATCH)
    print(
        f"\ncrash trials: {TRIALS}, kills mid-sync: {kills}, events: {len(event_ids)}, "
        f"duplicates: {duplicates} (bound {in_flight_bound})"
    )
    assert duplicates <= in_flight_bound
    assert kills >= max(1, TRIALS // 2)  # the kills really landed mid-sync
