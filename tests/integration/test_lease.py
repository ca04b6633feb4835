"""The lease lock (what every warehouse without a lock of its own uses), forced on DuckDB and PostgreSQL:
a second run is refused with who holds the lease and until when; a live run keeps it by renewing; a run
killed -9 stops renewing, and once its lease expired the next run takes it."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from pendo_sync.capabilities import capabilities_for
from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.errors import LockError
from pendo_sync.lease import LEASE_SECONDS
from pendo_sync.state import StateStore
from tests.integration.harness import Project, environ


@contextmanager
def warehouse(project: Project) -> Iterator[Warehouse]:
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, project.target)) as opened:
        yield opened


def leased(
    opened: Warehouse,
    schema: str,
    seconds: float = LEASE_SECONDS,
    clock: Callable[[], datetime] | None = None,
) -> StateStore:
    forced = dataclasses.replace(capabilities_for(opened.adapter_type), lock="lease")
    return StateStore(opened, schema, forced, lease_seconds=seconds, clock=clock)


def test_a_second_run_is_refused_until_the_first_releases(project: Project) -> None:
    schema = f"pendo_sync_lease_{uuid.uuid4().hex[:8]}"
    with warehouse(project) as opened:
        first = leased(opened, schema).lock()
        with first, pytest.raises(LockError) as refused, leased(opened, schema).lock():
            pass
        with leased(opened, schema).lock():  # released: the next run takes it
            pass
    message = str(refused.value)
    assert f"pid {os.getpid()}" in message and "since" in message and "expires at" in message
    assert schema in message


def test_a_live_run_keeps_its_lease_past_the_first_expiry(project: Project) -> None:
    schema = f"pendo_sync_lease_{uuid.uuid4().hex[:8]}"
    with warehouse(project) as opened, leased(opened, schema, seconds=3.0).lock():
        time.sleep(4.0)  # past the first expiry: only the renewals hold it
        with pytest.raises(LockError), leased(opened, schema).lock():
            pass


CHILD = textwrap.dedent(
    """
    import dataclasses, sys, time
    from pathlib import Path
    from pendo_sync.capabilities import capabilities_for
    from pendo_sync.dbt_bridge.target import DbtTarget
    from pendo_sync.dbt_bridge.warehouse import Warehouse
    from pendo_sync.state import StateStore
    path, target, schema = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    with Warehouse(DbtTarget(path, path, target)) as opened:
        forced = dataclasses.replace(capabilities_for(opened.adapter_type), lock="lease")
        with StateStore(opened, schema, forced).lock():
            print("held", flush=True)
            time.sleep(3600)
    """
)


def test_the_lease_of_a_killed_run_expires(project: Project) -> None:
    schema = f"pendo_sync_lease_{uuid.uuid4().hex[:8]}"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(project.path), project.target, schema],
        env={**os.environ, **project.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    child.send_signal(signal.SIGKILL)
    child.wait()
    with warehouse(project) as opened:
        with pytest.raises(LockError) as refused, leased(opened, schema).lock():
            pass  # not renewed, but not expired yet
        assert f"pid {child.pid}" in str(refused.value)

        def later() -> datetime:  # this run's clock, past the killed run's expiry
            return datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=LEASE_SECONDS + 1)

        with leased(opened, schema, clock=later).lock():
            pass
