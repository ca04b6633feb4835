"""A one-line progress display for long syncs: rows done of the rows to do, the current rate and an ETA.

Drawn only on a terminal, redrawn at most a few times a second, and erased before any other line is
printed, so CI logs, pipes and `--log-format json` never see it. The rate is the last RATE_WINDOW
seconds', not the run's average: against Pendo it is the rate requests are answered at now (after a
slowdown on 429s, say), so the ETA follows it. The total is the caller's estimate (a model's rows, or an
event model's rows not yet in state): when fewer are left to send, the sync ends early.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TextIO

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
    def __init__(self, stream: TextIO | None) -> None:
        """`stream` None (or not a terminal): stay quiet."""
        self._stream = stream if stream is not None and stream.isatty() else None
        self._model, self._total, self._unit, self._drawn_at, self._width = "", 0, "rows", 0.0, 0
        self._rate = RecentRate()

    def start(self, model: str, total: int, unit: str = "rows") -> None:
        self._model, self._total, self._unit = model, total, unit
        self._drawn_at = time.monotonic()
        self._rate = RecentRate()
        self._rate.add(self._drawn_at, 0)

    def update(self, done: int) -> None:
        if self._stream is None:
            return
        now = time.monotonic()
        self._rate.add(now, done)
        if now - self._drawn_at < REDRAW_EVERY:
            return
        self._drawn_at = now
        self._draw(self._stream, line(self._model, done, self._total, self._rate.rate(), self._unit))

    def clear(self) -> None:
        if self._stream is not None and self._width:
            self._draw(self._stream, "")

    def _draw(self, stream: TextIO, text: str) -> None:
        """Overwrite the line drawn last (blanking what the new text does not cover)."""
        stream.write("\r" + text.ljust(self._width) + "\r" + text)
        stream.flush()
        self._width = len(text)


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
