"""Which models of a run sync at once, and in which order their report lines are shown.

Pendo limits each endpoint on its own (each metadata kind and group, Track, each segment), so two models
that use different endpoints go faster together, while two that share one only split its pace. A model
therefore starts as soon as a slot is free and no running model uses any of its endpoints, the first
such in manifest order; the slots are the profile's `threads` (docs/decisions/0023). Report lines are
shown in manifest order whatever order the models finish in, so a run's output reads the same every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


class Scheduler:
    """The models (by manifest position) that may start now, given those running and the endpoints each uses."""

    def __init__(self, uses: Sequence[frozenset[str]], slots: int) -> None:
        self._uses = list(uses)
        self._slots = max(1, slots)
        self._waiting = list(range(len(uses)))
        self._running: set[int] = set()

    @property
    def slots(self) -> int:
        return self._slots

    @property
    def waiting(self) -> list[int]:
        return list(self._waiting)

    def start(self) -> list[int]:
        """The models to start now, marked running: in manifest order, each while a slot is free and
        none of its endpoints is in use (by a running model, or one started just before it)."""
        busy = set().union(*(self._uses[i] for i in self._running))
        started = []
        for index in self._waiting:
            if len(self._running) >= self._slots:
                break
            if self._uses[index] & busy:
                continue
            busy |= self._uses[index]
            self._running.add(index)
            started.append(index)
        self._waiting = [i for i in self._waiting if i not in self._running]
        return started

    def done(self, index: int) -> None:
        self._running.discard(index)


class InOrder:
    """Releases finished models in manifest order: a model's lines wait for those of the models before it."""

    def __init__(self) -> None:
        self._finished: set[int] = set()
        self._next = 0

    def finished(self, index: int) -> list[int]:
        """The models whose lines may be shown now that `index` finished, in order."""
        self._finished.add(index)
        ready = []
        while self._next in self._finished:
            ready.append(self._next)
            self._next += 1
        return ready
