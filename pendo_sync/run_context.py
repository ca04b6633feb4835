"""What every model sync of one run shares: the warehouse, state, the Pendo client and the workers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pendo_sync.pendo.client import PendoClient
from pendo_sync.progress import Progress
from pendo_sync.state import StateStore
from pendo_sync.warehouse import Warehouse


class StateWriter:
    """Writes state on one thread of its own, so it has its own warehouse connection.

    The main thread's connection is busy streaming the diff; dbt keeps one connection per thread.
    One writer also serialises state transactions, which keeps DuckDB free of write conflicts. At most
    `backlog` writes wait at once: when the warehouse is slower than Pendo, sending waits for it instead
    of piling acknowledged batches up in memory.
    """

    def __init__(self, backlog: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pendo-sync-state")
        self._slots = threading.BoundedSemaphore(backlog)
        self._futures: list[Future[None]] = []

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        self._slots.acquire()
        future = self._pool.submit(fn, *args)
        future.add_done_callback(lambda _: self._slots.release())
        self._futures = [f for f in self._futures if not f.done() or f.exception() is not None]
        self._futures.append(future)

    def flush(self) -> None:
        """Wait for every write so far; raise the first failure."""
        futures, self._futures = self._futures, []
        for future in futures:
            future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@dataclass
class RunContext:
    warehouse: Warehouse
    store: StateStore
    client: PendoClient
    writer: StateWriter
    run_id: str
    workers: int
    batch_size: int
    progress: Progress
