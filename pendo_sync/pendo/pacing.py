"""How fast and how long we keep asking Pendo: adaptive rate, retry policy, and a run-level give-up.

- `AdaptiveLimiter`: at most `max_rps` requests per second (a leaky bucket: `schedule`) and
  `max_concurrency` in flight (or, adaptive, what Pendo's answer time needs); a 429 halves both, and each
  success wins a little back (AIMD), so we settle just under Pendo's limit.
- `PendoRetry`: urllib3's Retry (exponential backoff with jitter, capped) that clamps Retry-After, tells
  the limiter about 429s, and consults the run's `Health` before sleeping.
- `Health`: when Pendo has given no usable answer for `budget` seconds in a row, the run stops with a
  clear error instead of retrying forever; rows not acknowledged stay unsynced and go next run.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from pendo_sync.errors import PendoError

RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
MAX_RETRY_AFTER = 60.0  # seconds; a larger Retry-After is clamped (the run budget still applies)
MIN_RPS = 1.0
# A connection Pendo refuses, or a host name that does not resolve, is a wrong PENDO_BASE_URL or region far
# more often than a blip: with every retry's backoff it took ~90 s to say so. Three retries take ~4 s.
# Answers that fail (5xx, 429, dropped connections) keep the full count.
CONNECT_RETRIES = 3
# `--threads auto`: in flight per endpoint. 4 is what loopback measured best (more threads only contend
# for the GIL there); 32 covers 100 requests/s at up to ~0.25 s per answer.
AUTO_THREADS = (4, 32)
HEADROOM = 1.25  # in flight beyond rate x answer time, so answers slower than average do not idle the rate
# How early a request may start against the rate's schedule. A sleep of a fraction of a millisecond wakes
# late and must take the GIL back: at --max-rps 10000 against the loopback emulator, strict spacing kept
# events a fifth of their time in such sleeps, well under the rate asked for (docs/performance.md). At
# Pendo's 100/s it lets no more requests into any second than strict spacing does (101).
EARLY = 0.002


class PendoUnavailable(PendoError):
    pass


class Health:
    def __init__(self, budget: float) -> None:
        self.budget = budget
        self._failing_since: float | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def stop(self) -> None:
        """The run is stopping (Ctrl-C): every later check raises, so retries end at their next try."""
        self._stopped = True

    def success(self) -> None:
        if self._failing_since is not None:  # healthy is the usual case: no lock to take per request
            with self._lock:
                self._failing_since = None

    def failure(self) -> None:
        with self._lock:
            if self._failing_since is None:
                self._failing_since = time.monotonic()

    def check(self) -> None:
        if self._stopped:
            raise PendoUnavailable("the run is stopping; rows not acknowledged are sent on the next run")
        since = self._failing_since  # one read of one reference: no lock needed
        if since is not None and time.monotonic() - since > self.budget:
            raise PendoUnavailable(
                f"Pendo has given no usable answer for over {self.budget:g} s (retry budget); stopping. "
                "Rows not acknowledged stay unsynced and are sent on the next run."
            )


class AdaptiveLimiter:
    """One endpoint's pacing. Fixed (`--threads N`): N in flight. Adaptive (`--threads auto`): as many in
    flight as the rate needs at Pendo's answer time (Little's law: in flight = rate x answer time), between
    AUTO_THREADS; 4 in flight at 0.1 s per answer could never make more than 40 requests/s. Fixed or not,
    AIMD on 429 (see the module docstring) settles just under Pendo's limit.
    """

    def __init__(self, max_rps: float, max_concurrency: int, *, adaptive: bool = False) -> None:
        self.max_rps = max(max_rps, MIN_RPS)
        self.max_concurrency = max(max_concurrency, 1)
        self.adaptive = adaptive
        self.rps = self.max_rps
        self.concurrency = min(AUTO_THREADS[0], self.max_concurrency) if adaptive else self.max_concurrency
        self.answer_time: float | None = None  # seconds, a moving average over first-try answers
        self._throttled = False  # after a 429, concurrency is won back slowly
        self._in_flight = 0
        self._next_slot = time.monotonic()
        self._successes = 0
        self._cond = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a concurrency slot and the next send time at the current rate."""
        with self._cond:
            while self._in_flight >= self.concurrency:
                self._cond.wait()
            self._in_flight += 1
            now = time.monotonic()
            start, self._next_slot = schedule(now, self._next_slot, 1.0 / self.rps)
        try:
            if start > now:
                time.sleep(start - now)
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify()

    def throttled(self) -> None:
        with self._cond:
            self.rps = max(MIN_RPS, self.rps / 2)
            self.concurrency = max(1, self.concurrency // 2)
            self._successes = 0
            self._throttled = True

    def succeeded(self, answer_time: float | None = None) -> None:
        """A usable answer; `answer_time` is how long it took, for an answer at the first try (a retried
        request's time includes its backoff)."""
        with self._cond:
            self.rps = min(self.max_rps, self.rps + self.max_rps / 50)
            if answer_time is not None:
                previous = self.answer_time
                self.answer_time = (
                    answer_time if previous is None else previous + (answer_time - previous) / 8
                )
            self._successes += 1
            goal = self.goal()
            if self.concurrency > goal:
                self.concurrency = goal
            elif self.concurrency < goal and (not self._throttled or self._successes >= 20):
                self.concurrency += 1
                self._successes = 0
                self._cond.notify()

    def goal(self) -> int:
        """How many requests this endpoint should have in flight (`concurrency` moves towards it)."""
        if not self.adaptive:
            return self.max_concurrency
        needed = math.ceil(self.rps * (self.answer_time or 0.0) * HEADROOM)
        return min(max(needed, AUTO_THREADS[0]), self.max_concurrency)


def schedule(now: float, due: float, interval: float) -> tuple[float, float]:
    """When a request asked for at `now` starts, and when the next is due: the generic cell rate algorithm
    (a leaky bucket, as Pendo's limit is said to be). In any window of W seconds at most
    1 + (W + EARLY) / interval requests start, and one asked for an interval or more after the previous
    one started goes at once."""
    return max(now, due - EARLY), max(due, now) + interval


class PendoRetry(Retry):
    """urllib3's Retry, aware of the run: clamps Retry-After, slows the limiter on 429, obeys Health."""

    limiter: AdaptiveLimiter | None = None
    health: Health | None = None

    def new(self, **kw: Any) -> PendoRetry:
        retry = super().new(**kw)
        retry.limiter, retry.health = self.limiter, self.health
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> PendoRetry:
        if response is not None and response.status == 429 and self.limiter is not None:
            self.limiter.throttled()
        if self.health is not None:
            self.health.failure()
            self.health.check()
        return super().increment(method, url, response, error, _pool, _stacktrace)


def retry_policy(limiter: AdaptiveLimiter, health: Health, attempts: int = 8) -> PendoRetry:
    """`attempts` retries at most per request (0: none, for tests that want the first answer); failing to
    connect at all is retried at most CONNECT_RETRIES times."""
    retry = PendoRetry(
        total=attempts,
        connect=min(attempts, CONNECT_RETRIES),
        read=attempts,
        status=attempts,
        backoff_factor=0.5,
        backoff_max=30,
        backoff_jitter=0.5,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # metadata writes are idempotent; track events are at-least-once by design
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.limiter, retry.health = limiter, health
    return retry
