"""Two syncs of one project at once: the second stops with a clear message (exit 3), state stays intact."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import Project, metadata_posts


@pytest.mark.slow
def test_a_second_sync_waits_for_no_one_and_says_why(project: Project, emulator: Emulator) -> None:
    # The first run sends metadata from inside its lock; the emulator holds every such request (the model's
    # two groups go out in parallel), and the first run is frozen (SIGSTOP) while they are unanswered, so it
    # is inside its lock for as long as the second run takes, however slow the machine.
    emulator.faults.set(parse_faults([{"match": "/api/v1/metadata/visitor", "delay": 10.0}]))
    env = project.process_env(emulator)
    first = subprocess.Popen(
        [sys.executable, "-m", "pendo_sync", "sync", *project.flags, "-s", "pendo_visitors"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not emulator.faults.describe()[0]["hits"] and time.monotonic() < deadline:
        time.sleep(0.005)
    first.send_signal(signal.SIGSTOP)
    try:
        assert not metadata_posts(emulator), "the held request was answered before the first run was frozen"
        second = project.sync(emulator, "--select", "pendo_visitors")
    finally:
        first.send_signal(signal.SIGCONT)
    output = first.communicate(timeout=60)[0].decode()

    assert second.exit_code == 3, second.output
    assert "Another" in second.output and (
        "pendo-dbt sync is running" in second.output or "DuckDB" in second.output
    )
    assert first.returncode == 0, output
    assert "10 sent: 10 updated" in output
    third = project.sync(emulator, "--select", "pendo_visitors")
    assert third.exit_code == 0 and "0 changed" in third.output  # the first run's state is intact
