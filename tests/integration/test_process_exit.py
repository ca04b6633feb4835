"""How a `pendo-dbt` process ends: without the interpreter's last collection (it spent ~0.5 s tearing
down dbt's objects), yet with the warehouse closed and every acknowledged row in state."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project

# The CLI, after leaving a finalizable cycle that only the interpreter's last collection could reach.
SCRIPT = textwrap.dedent(
    """
    import gc, sys
    from pendo_sync.cli import main

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            print("finalized", flush=True)

    gc.disable()
    Cycle()
    main(sys.argv[1:])
    """
)


def test_a_sync_process_skips_the_last_collection_and_leaves_its_state_whole(
    project: Project, emulator: Emulator
) -> None:
    env = project.process_env(emulator)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "sync", *project.flags, "--select", "pendo_visitors"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "10 sent: 10 updated" in done.stdout
    assert "finalized" not in done.stdout  # the exit's collection did not walk the cycle
    if project.target == "duckdb":  # closed, not left for the next process to replay from its log
        assert not Path(project.env["PENDO_SYNC_TEST_DUCKDB"] + ".wal").exists()
    again = project.sync(emulator, "--select", "pendo_visitors")
    assert again.exit_code == 0 and "0 changed" in again.output  # what the first process committed is there
