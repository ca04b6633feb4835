"""One sync at a time where the warehouse has no lock of its own: a lease row in the state schema.

Taken in one statement (append a row unless another run's lease is in force), then read back: runs racing
past the check both append, and both read the same winner (the lease in force taken first). Renewed by a
thread while the run lives; a run killed -9 stops renewing, so its lease expires after LEASE_SECONDS and
the next run takes it. Released by appending a row that is no longer in force. Rows are only appended,
so it works without transactions and without DELETE (Spark, Trino): a token's latest row is its lease.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pendo_sync import state_sql as sql
from pendo_sync.errors import LockError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pendo_sync.dbt_bridge.warehouse import Warehouse

# A crashed run blocks the next for at most this long; a live run renews six times per period, so a
# renewal that is slow or fails once (a warehouse hiccup) does not lose the lease.
LEASE_SECONDS = 120.0
RENEWALS_PER_LEASE = 6


class Lease:
    def __init__(
        self,
        warehouse: Warehouse,
        schema: str,
        schema_name: str,
        dialect: sql.Dialect,
        seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._warehouse, self._schema, self._schema_name = warehouse, schema, schema_name
        self._dialect, self._seconds, self._clock = dialect, seconds, clock
        self.token = uuid.uuid4().hex
        self.holder = f"{_user()}@{socket.gethostname()} pid {os.getpid()}"
        self._taken_at = clock()
        self._seq = 0
        self._lost: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._renew_while_running, name="pendo-sync-lease", daemon=True
        )

    def __enter__(self) -> Lease:
        holder = self._append()
        if holder is None or holder[1] != self.token:
            raise LockError(self._refusal(holder))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._lost is None:
            self._seq += 1
            now = self._clock()
            params = [self.holder, self.token, self._taken_at, now, self._seq]
            self._warehouse.execute([(sql.release_lease(self._schema, self._dialect), params)])

    def check(self) -> None:
        """Raise if another run took the lease (this one was not renewed in time): stop writing state."""
        if self._lost is not None:
            raise LockError(self._lost)

    def _append(self) -> tuple[Any, ...] | None:
        """Append a row extending this lease unless another is in force; who holds the lease now."""
        now = self._clock()
        expires = now + timedelta(seconds=self._seconds)
        params = [self.holder, self.token, self._taken_at, expires, self._seq, now, self.token]
        self._warehouse.execute([(sql.take_lease(self._schema, self._dialect), params)])
        rows = self._warehouse.query(sql.lease_holder(self._schema, self._dialect), [now])
        return rows[0] if rows else None

    def _renew_while_running(self) -> None:
        while not self._stop.wait(self._seconds / RENEWALS_PER_LEASE):
            self._seq += 1
            try:
                holder = self._append()
            except Exception:  # one failed renewal is not the end: the lease outlives it
                continue
            if holder is None or holder[1] != self.token:
                self._lost = "this run's lease on the state schema expired: " + self._refusal(holder)
                return

    def _refusal(self, holder: tuple[Any, ...] | None) -> str:
        if holder is None:  # the lease row vanished between the append and the read
            return f"could not take the lease on state schema {self._schema_name}; rerun"
        name, _, taken_at, expires_at = holder
        return (
            f"Another pendo-dbt sync holds the lease on state schema {self._schema_name}: {name}, since "
            f"{taken_at:%Y-%m-%d %H:%M:%S} UTC; it expires at {expires_at:%Y-%m-%d %H:%M:%S} UTC unless "
            "that run renews it. Wait for it to finish and rerun (a run that was killed stops renewing: "
            f"its lease expires within {self._seconds:.0f} s)."
        )


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers: the host and pid still tell
        return "unknown"
