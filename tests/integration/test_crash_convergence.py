"""kill -9 mid-sync, with faults on, then one clean rerun: Pendo ends up with exactly the model.

Each trial changes every visitor's values (a new version; the clean rerun goes back to the first one, so
values also change back to earlier ones) and appends events every other trial. The kill is deterministic:
after a random number of answered requests the emulator holds every further request, so the run is
certainly mid-sync when it is killed (it sends at least one request per batch of changed visitors, more
than the kill point). Every event is delivered at least once, and duplicates come only from events
acknowledged but not yet written to state at a kill. Marked slow: the default `scripts/test` leaves it out, `--all` runs it.
PENDO_SYNC_CRASH_TRIALS=20 (see docs/guarantees.md) runs the full count.
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

import pytest

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
]
# A run sends at least one answered request per batch of changed visitors; the kill comes before that.
MAX_KILL_POINT = VISITORS // BATCH
# Seconds the emulator holds a request after the kill point, never applying it while the test runs.
HOLD = 3600.0


def kill_plan(answered: int) -> list[dict[str, Any]]:
    """FAULTS, then `answered` requests answered normally (after 5 ms), then every request held."""
    return [*FAULTS, {"match": "/", "delay": 0.005, "times": answered}, {"match": "/", "delay": HOLD}]


def build(project: Project, version: int, growth: int) -> None:
    sizes = {"crash_version": version, "crash_visitors": VISITORS, "crash_events": EVENTS + GROWTH * growth}
    build_crash_models(project, sizes)


def build_crash_models(project: Project, sizes: dict[str, int]) -> None:
    """dbt in a process of its own: in-process dbt-duckdb keeps the file open, locking out the sync process."""
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


def kill_mid_sync(process: subprocess.Popen[bytes], emulator: Emulator) -> bool:
    """SIGKILL as soon as the emulator holds a request of the run (kill_plan); False if the run ended
    first, which kill_plan's bound rules out unless the run failed."""
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if emulator.faults.describe()[-1]["hits"]:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.kill()
    process.wait()
    return False


def model_rows(project: Project, sql: str) -> list[tuple[Any, ...]]:
    with environ(project.env):
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(["show", "--inline", sql, "--limit", "-1", *project.flags])
    assert result.success, result.exception
    return [tuple(r) for r in result.result.results[0].agate_table.rows]


@pytest.mark.slow
def test_kill_minus_nine_then_rerun_converges(project: Project) -> None:
    rng = random.Random(20261128)
    with Emulator(KEY, TRACK) as emulator:
        emulator.seed(
            {
                "visitors": [f"cv{i}" for i in range(VISITORS)],
                "schema": {"visitor": {"agent": {"email": "string"}, "custom": {"seats": "integer"}}},
            }
        )
        kills = growth = 0
        for trial in range(TRIALS):
            growth += trial % 2  # events are appended every other trial
            build(project, trial + 1, growth)  # every visitor's values change
            emulator.faults.set(parse_faults(kill_plan(rng.randint(1, MAX_KILL_POINT))), seed=trial)
            process = start_sync(project, emulator)
            killed = kill_mid_sync(process, emulator)
            assert killed, process.communicate()[0].decode()[-2000:]
            kills += killed
        emulator.faults.set([])
        build(project, 1, growth)  # back to the first trial's values: state must not skip any Pendo lost
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
    # at most 2 x threads, plus the tasks of the batch just submitted) and answered tasks not yet written:
    # the chunk being gathered or written (0.5 s of events), the writer's backlog, and one blocked on it. A
    # loose bound by counts; test_event_duplicates.py measures the tight one (one second of events).
    per_task = min(BATCH, EVENTS_PER_TASK)
    tasks_per_batch = -(-BATCH // EVENTS_PER_TASK)
    in_flight_bound = kills * ((THREADS * 2 + tasks_per_batch) * per_task + (2 * BACKLOG + 2) * BATCH)
    print(
        f"\ncrash trials: {TRIALS}, kills mid-sync: {kills}, events: {len(event_ids)}, "
        f"duplicates: {duplicates} (bound {in_flight_bound})"
    )
    assert duplicates <= in_flight_bound
    assert kills == TRIALS  # every kill landed mid-sync
