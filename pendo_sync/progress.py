"""A one-line progress display for long syncs: rows done of the model's rows, rate and ETA.

Drawn only on a terminal, redrawn at most a few times a second, and erased before any other line is
printed, so CI logs, pipes and `--log-format json` never see it. The total is the model's row count:
an incremental sync sends only changed rows, so it ends early, and its ETA is an upper bound.
"""

from __future__ import annotations

import time
from typing import TextIO

REDRAW_EVERY = 0.25  # seconds


class Progress:
    def __init__(self, stream: TextIO | None) -> None:
        """`stream` None (or not a terminal): stay quiet."""
        self._stream = stream if stream is not None and stream.isatty() else None
        self._model, self._total, self._start, self._drawn_at, self._width = "", 0, 0.0, 0.0, 0

    def start(self, model: str, total: int) -> None:
        self._model, self._total = model, total
        self._start = self._drawn_at = time.monotonic()

    def update(self, done: int) -> None:
        if self._stream is None:
            return
        now = time.monotonic()
        if now - self._drawn_at < REDRAW_EVERY:
            return
        self._drawn_at = now
        self._draw(self._stream, line(self._model, done, self._total, now - self._start))

    def clear(self) -> None:
        if self._stream is not None and self._width:
            self._draw(self._stream, "")

    def _draw(self, stream: TextIO, text: str) -> None:
        """Overwrite the line drawn last (blanking what the new text does not cover)."""
        stream.write("\r" + text.ljust(self._width) + "\r" + text)
        stream.flush()
        self._width = len(text)


def line(model: str, done: int, total: int, seconds: float) -> str:
    """`visitors: 412,000 / 1,000,000 rows (41%), 21,400 rows/s, ETA 0:27`."""
    rate = done / seconds if seconds > 0 else 0.0
    text = f"{model}: {done:,} / {total:,} rows"
    if total:
        text += f" ({min(done / total, 1.0):.0%})"
    text += f", {rate:,.0f} rows/s"
    if rate > 0 and total > done:
        eta = int((total - done) / rate)
        text += f", ETA {eta // 60}:{eta % 60:02d}"
    return text
