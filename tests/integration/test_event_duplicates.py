"""SIGKILL an event sync at random moments, rerun, and measure the duplicates each kill costs.

Track events have no idempotency key: an event Pendo acknowledged that state does not hold yet is sent
again by the next run, a duplicate in the customer's analytics. The emulator is rate-limited so each run
lasts seconds; each run is killed after a random number of events it delivered. The bound per kill is
what can be acknowledged and not yet durable: the requests in flight (one per worker) plus one second of
events at the rate this run delivered them (measured here, not assumed). Marked slow.
PENDO_SYNC_DUPLICATE_TRIALS sets the number of kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import KEY, TRACK, Project
from tests.integration.test_crash_convergence import build_crash_models, model_rows

TRIALS = int(os.environ.get("PENDO_SYNC_DUPLICATE_TRIALS", "10"))
VISITORS, EVENTS, THREADS, RATE = 300, 300, 4, 100
SELECT = ("-s", "pendo_crash_visitors", "-s", "pendo_crash_events")


def start_sync(project: Project, emulator: Emulator) -> subprocess.Popen[bytes]:
    args = ["sync", *project.flags, *SELECT, "--threads", str(THREADS), "--max-rps", str(RATE)]
    return subprocess.Popen(
        [sys.executable, "-m", "pendo_sync", *args],
        env=project.process_env(emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def kill_after(process: subprocess.Popen[bytes], emulator: Emulator, events: int) -> tuple[int, float] | None:
    """SIGKILL once the run delivered `events` events: (events it delivered, events per second from its
    first to the kill); None if it ended first."""
    before = len(emulator.events)
    first: float | None = None
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        delivered = len(emulator.events) - before
        now = time.monotonic()
        if delivered and first is None:
            first = now
        if delivered >= events and first is not None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            delivered = len(emulator.events) - before
            return delivered, delivered / max(now - first, 1e-3)
        time.sleep(0.002)
    process.kill()
    process.wait()
    return None


@pytest.mark.slow
def test_duplicates_per_kill_stay_within_a_second_of_events(project: Project) -> None:
    rng = random.Random(20261207)
    build_crash_models(project, {"crash_version": 1, "crash_visitors": VISITORS, "crash_events": EVENTS})
    with Emulator(KEY, TRACK) as emulator:
        emulator.seed(
            {
                "visitors": [f"cv{i}" for i in range(VISITORS)],
                "schema": {"visitor": {"agent": {"email": "string"}, "custom": {"seats": "integer"}}},
            }
        )
        emulator.limits.configure({"rate_limit": RATE})
        bounds: list[float] = []
        for _ in range(TRIALS):
            delivered = kill_after(start_sync(project, emulator), emulator, rng.randint(5, 20))
            if delivered is None:
                break  # the run ended: nothing left to kill
            bounds.append(THREADS + delivered[1] * 1.0)
        final = start_sync(project, emulator)
        output = final.communicate(timeout=600)[0].decode()
        assert final.returncode == 0, output
        received = Counter(e["properties"]["eid"] for e in emulator.events)
    event_ids = {r[0] for r in model_rows(project, "select event_id from {{ ref('pendo_crash_events') }}")}
    assert set(received) == event_ids  # every event delivered, nothing invented
    duplicates = sum(received.values()) - len(received)
    print(
        f"\nevent kills: {len(bounds)}, events: {len(event_ids)}, duplicates: {duplicates} "
        f"({duplicates / max(len(bounds), 1):.1f} per kill; bound {sum(bounds):.0f} in all)"
    )
    assert len(bounds) == TRIALS  # every kill landed mid-sync
    assert duplicates <= sum(bounds)
