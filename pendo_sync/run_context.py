"""What every model sync of one run shares: the warehouse, state, the Pendo client and the workers."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pendo_sync.state_writes import Chunk, Gate, StateWrite

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

    from pendo_sync.dbt_bridge.warehouse import Warehouse
    from pendo_sync.pendo.client import PendoClient
    from pendo_sync.progress import Progress
    from pendo_sync.state import StateStore

BACKLOG = 8  # state writes that may wait for the writer
# State is appended in chunks: a chunk is written when it holds CHUNK_ROWS rows or is CHUNK_SECONDS old,
# whichever comes first. On a cloud warehouse a statement costs 50-500 ms (and often money) whatever it
# carries, so round trips must not grow with rows; 50,000 rows of key and hash stay a few MB in memory
# and one statement. What a kill loses is at most one chunk of acknowledgements: metadata resent on the
# next run, which Pendo applies idempotently (docs/decisions/0022-append-only-state-in-chunks.md).
CHUNK_ROWS = 50_000
CHUNK_SECONDS = 10.0
# Track events have no idempotency key: an acknowledged event a kill leaves out of state is a duplicate
# in the customer's analytics. A chunk holding events is written within this long of its first one; with
# a task's own events (event_sync.EVENTS_PER_TASK, answered together) that keeps an acknowledged event out
# of state for under a second at Pendo's 100 events/s.
EVENT_SECONDS = 0.5


_FLUSH = "flush"
_CLOSE = "close"


class StateWriter:
    """Writes state on one thread of its own, so it has its own warehouse connection.

    The main thread's connection is busy streaming the diff; dbt keeps one connection per thread.
    One writer also serialises state writes, which keeps DuckDB free of write conflicts. Writes gather
    per model (models may sync at once) into a chunk, written when it is big or old enough (CHUNK_ROWS,
    CHUNK_SECONDS, EVENT_SECONDS for events), when a write carries a gate (rows about to be sent wait on
    their tombstones), and at flush(). At most `backlog` writes wait in the queue: when the warehouse is
    slower than Pendo, sending waits for it instead of piling acknowledged batches up in memory.
    """

    def __init__(self, store: StateStore, backlog: int = BACKLOG) -> None:
        self._store = store
        self._queue: queue.Queue[StateWrite | tuple[str, str | None]] = queue.Queue(maxsize=backlog)
        self._chunks: dict[tuple[str, str], _Open] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="pendo-sync-state", daemon=True)
        self._thread.start()

    def submit(self, write: StateWrite) -> None:
        """Queue a write (waiting while `backlog` writes are queued); raise if an earlier write failed."""
        self._raise()
        self._queue.put(write)

    def flush(self, model_id: str | None = None) -> None:
        """Write what was submitted so far (of one model, or of all); raise the first failure."""
        self._queue.put((_FLUSH, model_id))
        self._queue.join()
        self._raise()

    def finish(self, model_id: str) -> None:
        """The model's sync is over: write what it left, then compact its state (where DELETE works)."""
        self.flush(model_id)
        self._store.compact(model_id)

    def close(self) -> None:
        self._queue.put((_CLOSE, None))
        self._thread.join()

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._wait())
            except queue.Empty:
                self._write_due()
                continue
            try:
                if isinstance(item, StateWrite):
                    self._take(item)
                elif item[0] == _FLUSH:
                    self._write_all(item[1])
                else:
                    self._write_all(None)
                    return
                self._write_due()
            finally:
                self._queue.task_done()

    def _take(self, write: StateWrite) -> None:
        key = (write.model_id, write.run_id)
        chunk = self._chunks.get(key)
        if chunk is None:
            chunk = self._chunks[key] = _Open(Chunk(write.model_id, write.run_id), time.monotonic())
        chunk.chunk.add(write)
        chunk.gates.extend(write.gates)
        if write.urgent and chunk.urgent_since is None:
            chunk.urgent_since = time.monotonic()
        if write.gates:  # requests wait for it
            self._write(key)

    def _wait(self) -> float | None:
        """Seconds until the next chunk is due (None: no chunk open, wait for a write)."""
        dues = [c.due() for c in self._chunks.values()]
        return max(0.0, min(dues) - time.monotonic()) if dues else None

    def _write_due(self) -> None:
        now = time.monotonic()
        for key, chunk in list(self._chunks.items()):
            if chunk.chunk.size >= CHUNK_ROWS or chunk.due() <= now:
                self._write(key)

    def _write_all(self, model_id: str | None) -> None:
        for key in list(self._chunks):
            if model_id is None or key[0] == model_id:
                self._write(key)

    def _write(self, key: tuple[str, str]) -> None:
        chunk = self._chunks.pop(key)
        try:
            self._store.record(chunk.chunk)
        except BaseException as exc:  # handed to the main thread at its next submit or flush
            self._error = self._error or exc
            failure: BaseException | None = exc
        else:
            failure = None
        for gate in chunk.gates:
            gate.open(failure)


@dataclass
class _Open:
    """A chunk being gathered: since when, since when it holds events, and the gates waiting on it."""

    chunk: Chunk
    since: float
    urgent_since: float | None = None
    gates: list[Gate] = field(default_factory=list)

    def due(self) -> float:
        due = self.since + CHUNK_SECONDS
        return due if self.urgent_since is None else min(due, self.urgent_since + EVENT_SECONDS)


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
