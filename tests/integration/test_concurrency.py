"""Two syncs of one project at once: the second stops with a clear message (exit 3), state stays intact."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import Project


@pytest.mark.slow
def test_a_second_sync_waits_for_no_one_and_says_why(project: Project, emulator: Emulator) -> None:
    # The first run's metadata request is held long enough for the second run to start and stop even on a
    # loaded machine (it needs no answer from Pendo): a race this test cannot lose in practice.
    emulator.faults.set(parse_faults([{"match": "/api/v1/metadata/visitor", "delay": 20.0, "times": 1}]))
    env = project.process_env(emulator)
    first = subprocess.Popen(
        [sys.executable, "-m", "pendo_sync", "sync", *project.flags, "-s", "pendo_visitors"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not emulator.requests_log and time.monotonic() < deadline:  # the first run is inside its lock
        time.sleep(0.05)
    second = project.sync(emulator, "--select", "pendo_visitors")
    output = first.communicate(timeout=60)[0].decode()

    assert second.exit_code == 3, second.output
    assert "Another" in second.output and (
        "pendo-dbt sync is running" in second.output or "DuckDB" in second.output
    )
    assert first.returncode == 0, output
    assert "10 sent: 10 updated" in output
    third = project.sync(emulator, "--select", "pendo_visitors")
    assert third.exit_code == 0 and "0 changed" in third.output  # the first run's state is intact
