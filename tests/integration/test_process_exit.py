"""How a `pendo-dbt` process ends: without the interpreter's last collection (it spent ~0.5 s tearing
down dbt's objects), yet with the warehouse closed and every acknowledged row in state."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
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


def test_ctrl_c_reports_the_models_it_was_in_skips_the_rest_sums_up_and_exits_130(
    project: Project, emulator: Emulator
) -> None:
    # The accounts and the events use different endpoints, so they sync at once (the profile has 2
    # threads); the visitors wait for a slot. Both running models are held in Pendo's hands at Ctrl-C.
    emulator.faults.set(
        parse_faults(
            [
                {"match": "/api/v1/metadata/account/", "delay": 3.0},
                {"match": "/data/track", "delay": 3.0},
            ]
        )
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pendo_sync",
            "sync",
            *project.flags,
            "-s",
            "pendo_accounts",
            "pendo_events",
            "pendo_visitors",
        ],
        env=project.process_env(emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    started = process.stdout.readline()  # "Running with target ...": the models are being sent
    assert "Running with target" in started, started
    deadline = time.monotonic() + 30
    while not all(rule["hits"] for rule in emulator.faults.describe()) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 130, out + err
    assert "1 of 3 ERROR syncing account model pendo_accounts" in out
    assert "2 of 3 ERROR syncing event model pendo_events" in out
    assert "3 of 3 SKIP visitor model pendo_visitors" in out
    assert out.index("1 of 3") < out.index("2 of 3") < out.index("3 of 3") < out.index("Done.")
    assert "Done. MODELS=3 OK=0 WARN=0 ERROR=2 SKIP=1" in out
    assert "Interrupted" in err
    emulator.faults.set([])
    status = project.sync(emulator, "-s", "pendo_accounts", "pendo_visitors", command="status")
    assert "account model pendo_accounts" in status.output
    assert "pending: 4 rows to send" in status.output and "pending: 10 rows to send" in status.output
