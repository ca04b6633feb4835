"""What a sync writes to state, before it reaches the warehouse: the markers a row's hash may hold, what
answered batches leave (StateWrite), and the chunks those gather into per model (Chunk). Pure: the state
writer (run_context.py) gathers and StateStore (state.py) writes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pendo_sync.row_outcome import RowOutcome

# The state table is append-only: a key's state is its row with the highest `seq` (docs/decisions/0022).
# A latest row holding TOMBSTONE means "state unknown: send again" (a changed row about to be sent, a row
# forgotten by --full-refresh or --repair): appending it works where DELETE does not (Spark, Trino).
TOMBSTONE = "pendo_sync:unknown"
# A segment member's row holds PENDING + the segment id from just before its add is sent until Pendo
# acknowledges it (segment_sync.py): the acknowledgement supersedes it without a tombstone.
PENDING = "pending:"


class Gate:
    """What a request waits on until a state write it depends on is committed; raises if it failed."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._error: BaseException | None = None

    def open(self, error: BaseException | None = None) -> None:
        self._error = error
        self._done.set()

    def wait(self) -> None:
        self._done.wait()
        if self._error is not None:
            raise self._error


@dataclass
class StateWrite:
    """What one or more answered batches of a model leave in state."""

    model_id: str
    run_id: str
    acknowledged: dict[str, list[tuple[str, str | None]]]  # by group: (key, hash) Pendo acknowledged
    replaced: dict[str, set[str]]  # by group: keys that had state (a tombstone supersedes their old row)
    problems: dict[str, list[RowOutcome]]  # by group: rows that did not land
    gates: list[Gate] = field(default_factory=list)  # opened once this write is committed
    # Acknowledgements whose resending would duplicate (Track events: no idempotency key): the writer
    # commits them within EVENT_SECONDS instead of waiting for a big chunk (run_context.py).
    urgent: bool = False


@dataclass
class Chunk:
    """What the writer has gathered of one model and not yet written: each (group, key)'s latest entry
    (a hash, or TOMBSTONE) and the rows that did not land. One key appears once, so one `seq` orders it."""

    model_id: str
    run_id: str
    entries: dict[str, dict[str, str | None]] = field(default_factory=dict)
    problems: dict[str, list[RowOutcome]] = field(default_factory=dict)
    size: int = 0  # entries and problems held

    def add(self, write: StateWrite) -> None:
        """Take in a later write: a key it replaces gets a tombstone unless it also acknowledges it."""
        for group, keys in write.replaced.items():
            self._put(group, ((key, TOMBSTONE) for key in keys))
        for group, rows in write.acknowledged.items():
            self._put(group, rows)
        for group, problems in write.problems.items():
            self.problems.setdefault(group, []).extend(problems)
            self.size += len(problems)

    def _put(self, group: str, rows: Iterable[tuple[str, str | None]]) -> None:
        entries = self.entries.setdefault(group, {})
        before = len(entries)
        entries.update(rows)
        self.size += len(entries) - before
