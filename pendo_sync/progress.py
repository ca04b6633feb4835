"""A one-line progress display for long syncs: per model sending, rows done of the rows to do, the current
rate and an ETA.

Drawn only on a terminal, redrawn at most a few times a second, and erased before any other line is
printed, so CI logs, pipes and `--log-format json` never see it. The rate is the last RATE_WINDOW
seconds', not the run's average: against Pendo it is the rate requests are answered at now (after a
slowdown on 429s, say), so the ETA follows it. The total is the caller's estimate (a model's rows, or an
event model's rows not yet in state): when fewer are left to send, the sync ends early.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Iterator

REDRAW_EVERY = 0.25  # seconds
RATE_WINDOW = 15.0  # seconds


class RecentRate:
    """Units per second over the last `window` seconds of (time, units done so far) samples."""

    def __init__(self, window: float = RATE_WINDOW) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, done: int) -> None:
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()  # the oldest kept is the last one at least `window` old

    def rate(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (start, first), (end, last) = self._samples[0], self._samples[-1]
        return (last - first) / (end - start) if end > start else 0.0


class Progress:
    """The line of every model sending at once (models sync concurrently, see scheduling.py), joined.
    Thread-safe: models update it from their own threads while the run prints from another."""

    def __init__(self, stream: TextIO | None) -> None:
        """`stream` None (or not a terminal): stay quiet."""
        self._stream = stream if stream is not None and stream.isatty() else None
        self._models: dict[str, _Model] = {}  # in the order they started
        self._drawn_at, self._width = 0.0, 0
        self._lock = threading.RLock()

    def start(self, model: str, total: int, unit: str = "rows") -> None:
        with self._lock:
            now = time.monotonic()
            self._models[model] = _Model(total, unit, RecentRate())
            self._models[model].rate.add(now, 0)
            self._drawn_at = now

    def update(self, model: str, done: int) -> None:
        if self._stream is None:
            return
        with self._lock:
            shown = self._models.get(model)
            if shown is None:
                return
            now = time.monotonic()
            shown.done = done
            shown.rate.add(now, done)
            if now - self._drawn_at < REDRAW_EVERY:
                return
            self._drawn_at = now
            self._draw(self._stream, self.text())

    def finish(self, model: str) -> None:
        """The model is done: its part of the line goes (the line is erased; the next update redraws)."""
        with self._lock:
            self._models.pop(model, None)
            self.clear()

    def text(self) -> str:
        """What the line shows now: each sending model's part, in the order they started."""
        with self._lock:
            return " | ".join(
                line(name, m.done, m.total, m.rate.rate(), m.unit) for name, m in self._models.items()
            )

    def clear(self) -> None:
        with self._lock:
            if self._stream is not None and self._width:
                self._draw(self._stream, "")

    @contextlib.contextmanager
    def hidden(self) -> Iterator[None]:
        """Print inside: the line is erased, and no model redraws it until the block ends."""
        with self._lock:
            self.clear()
            yield

    def _draw(self, stream: TextIO, text: str) -> None:
        """Overwrite the line drawn last (blanking what the new text does not cover)."""
        stream.write("\r" + text.ljust(self._width) + "\r" + text)
        stream.flush()
        self._width = len(text)


@dataclass
class _Model:
    total: int
    unit: str
    rate: RecentRate
    done: int = 0


def line(model: str, done: int, total: int, rate: float, unit: str = "rows") -> str:
    """`events: 12,000 / 200,000 events (6%), 98 events/s, ETA 31:58` (hours as 1:05:09)."""
    text = f"{model}: {done:,} / {total:,} {unit}"
    if total:
        text += f" ({min(done / total, 1.0):.0%})"
    text += f", {rate:,.0f} {unit}/s"
    if rate > 0 and total > done:
        eta = int((total - done) / rate)
        hours, rest = divmod(eta, 3600)
        text += (
            f", ETA {hours}:{rest // 60:02d}:{rest % 60:02d}"
            if hours
            else f", ETA {rest // 60}:{rest % 60:02d}"
        )
    return text
