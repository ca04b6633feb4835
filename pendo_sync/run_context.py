"""What every model sync of one run shares: the warehouse, state, the Pendo client and the workers."""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.pendo.client import PendoClient
from pendo_sync.progress import Progress
from pendo_sync.state import StateStore, StateWrite

BACKLOG = 8  # state writes that may wait for the writer
# How long a write waits for later ones to share its transaction: a commit costs as much CPU as inserting
# about a hundred rows (DuckDB), so one commit per batch of events would cost more than the events' rows.
# A transaction still takes at most the backlog and one more, so the events a kill can resend stay within
# the bound of docs/guarantees.md.
LINGER = 0.02


_FLUSH = StateWrite("", "", {}, {}, {})  # queued by flush(): not a write, a sign that someone waits


class StateWriter:
    """Writes state on one thread of its own, so it has its own warehouse connection.

    The main thread's connection is busy streaming the diff; dbt keeps one connection per thread.
    One writer also serialises state transactions, which keeps DuckDB free of write conflicts. At most
    `backlog` writes wait at once: when the warehouse is slower than Pendo, sending waits for it instead
    of piling acknowledged batches up in memory. Writes waiting when the writer gets to them, or arriving
    within LINGER of it, are merged into one transaction: a commit costs more than the rows it carries, so
    the writer catches up instead of falling further behind.
    """

    def __init__(self, store: StateStore, backlog: int = BACKLOG) -> None:
        self._store = store
        self._queue: queue.Queue[StateWrite | None] = queue.Queue(maxsize=backlog)  # None: close()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pendo-sync-state", daemon=True)
        self._thread.start()

    def submit(self, write: StateWrite) -> None:
        """Queue a write (waiting while `backlog` writes are queued); raise if an earlier write failed."""
        self._raise()
        self._queue.put(write)

    def flush(self) -> None:
        """Wait for every write so far (a write waiting for company goes at once); raise the first failure."""
        self._queue.put(_FLUSH)
        self._queue.join()
        self._raise()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            write = self._queue.get()
            if write is None:  # close()
                self._queue.task_done()
                return
            if write is _FLUSH:
                self._queue.task_done()
                continue
            taken = 1
            stop = False
            deadline = time.monotonic() + LINGER
            while taken <= self._queue.maxsize:  # a transaction stays bounded
                try:
                    later = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                taken += 1
                if later is None:
                    stop = True
                    break
                if later is _FLUSH:  # someone waits for this write: no more waiting for company
                    break
                if later.model_id != write.model_id or later.run_id != write.run_id:
                    self._write(write)
                    write = later
                else:
                    write.absorb(later)
            self._write(write)
            for _ in range(taken):
                self._queue.task_done()
            if stop:
                return

    def _write(self, write: StateWrite) -> None:
        try:
            self._store.record(write)
        except BaseException as exc:  # handed to the main thread at its next submit or flush
            self._error = self._error or exc
            failure: BaseException | None = exc
        else:
            failure = None
        for gate in write.gates:
            gate.open(failure)


@dataclass
class RunContext:
    """Shared by the models syncing at once: each reads on its own thread (and warehouse connection),
    and they share the writer and the HTTP workers (`http`: `--threads` of them). `stopping`
    is done once the run stops (Ctrl-C, or another model met an unusable Pendo): a model waiting for
    answers stops waiting then."""

    warehouse: Warehouse
    store: StateStore
    client: PendoClient
    writer: StateWriter
    run_id: str
    batch_size: int
    batch_bytes: int
    progress: Progress
    http: Executor
    stopping: Future[None]
