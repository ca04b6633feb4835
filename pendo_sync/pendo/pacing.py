"""How fast and how long we keep asking Pendo: one pace per endpoint, the retry policy, a run-level give-up.

- `AdaptiveLimiter`: one endpoint's pace. Pendo limits each endpoint on its own (each metadata kind and
  group, and Track), so each has its own limiter. Requests start at most `rps` per second, evenly spaced
  (`schedule`); at most `concurrency` are in flight. A 429 (or a 409 "operation in progress") sets the
  rate under what Pendo accepted in the second before it refused, once per episode of throttling; a
  Retry-After holds the whole endpoint back that long. Without throttling the rate grows back slowly.
- `PendoRetry`: urllib3's Retry (exponential backoff with jitter, capped) that tells the limiter about
  429/409 and waits for the endpoint's next turn before resending them, so a retry never jumps the queue
  nor adds a backoff of its own on top of the pace; clamps Retry-After; consults the run's `Health`.
- `Health`: when Pendo has given no usable answer for `budget` seconds in a row, the run stops with a
  clear error instead of retrying forever; rows not acknowledged stay unsynced and go next run.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from urllib3.util.retry import Retry

from pendo_sync.errors import PendoUnavailable
from pendo_sync.pendo.statuses import PACED_STATUSES, RETRY_STATUSES

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

MAX_RETRY_AFTER = 60.0  # seconds; a larger Retry-After is clamped (the run budget still applies)
MIN_RPS = 1.0
# After throttling, the rate is this share of what Pendo accepted over the last WINDOW seconds: under its
# limit, so the next 429 is some time away.
BACKOFF_SHARE = 0.9
WINDOW = 1.0  # seconds; Pendo states its limit per second
# Without throttling, the rate grows by this share of itself per second: from 0.9 of a limit back over it
# in about 3.5 s, so a run against a steady limit meets one 429 per endpoint every few seconds.
GROWTH = 0.03
# A connection Pendo refuses, or a host name that does not resolve, is a wrong PENDO_BASE_URL or region far
# more often than a blip, and the full count's backoffs would take over a minute to say so; three take
# a few seconds.
# Answers that fail (5xx, 429, dropped connections) keep the full count.
CONNECT_RETRIES = 3
# `--threads auto`: in flight per endpoint. 4 is enough for any answer under 40 ms at 100 requests/s;
# 32 covers 100 requests/s at up to ~0.25 s per answer.
AUTO_THREADS = (4, 32)
HEADROOM = 1.25  # in flight beyond rate x answer time, so answers slower than average do not idle the rate


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
    """One endpoint's pace (see the module docstring). In flight: fixed (`--threads N`: N), or adaptive
    (`--threads auto`): as many as the rate needs at Pendo's answer time (Little's law: in flight = rate x
    answer time), between AUTO_THREADS; 4 in flight at 0.1 s per answer could never make 40 requests/s.
    """

    def __init__(self, max_rps: float, max_concurrency: int, *, adaptive: bool = False) -> None:
        self.max_rps = max(max_rps, MIN_RPS)
        self.max_concurrency = max(max_concurrency, 1)
        self.adaptive = adaptive
        self.rps = self.max_rps
        self.concurrency = min(AUTO_THREADS[0], self.max_concurrency) if adaptive else self.max_concurrency
        self.answer_time: float | None = None  # seconds, a moving average over first-try answers
        self.throttles = 0  # 429/409 answers seen: the bench reports them
        self._in_flight = 0
        self._due = 0.0  # when the next request may start
        self._turns = 0  # requests started so far: a throttled answer to a request started before...
        self._cut_at_turn = 0  # ...the last cut says nothing new, the rate was already lowered for it
        self._grown_at = time.monotonic()
        self._accepted: collections.deque[float] = collections.deque()  # starts of requests Pendo took
        self._local = threading.local()  # the turn and start of the request this thread sends
        self._cond = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Wait for a place in flight and the endpoint's next turn; held while the request (and any retry)
        is out."""
        with self._cond:
            while self._in_flight >= self.concurrency:
                self._cond.wait()
            self._in_flight += 1
        try:
            self.wait_turn()
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify()

    def wait_turn(self) -> None:
        """Sleep until this endpoint may start another request (a first try, or a retry of a 429/409)."""
        with self._cond:
            now = time.monotonic()
            start, self._due = schedule(now, self._due, 1.0 / self.rps)
            self._turns += 1
            self._local.turn, self._local.started = self._turns, start
        if start > now:
            time.sleep(start - now)

    def throttled(self, retry_after: float | None = None) -> None:
        """Pendo answered 429 (or 409) to the request this thread sent: hold the endpoint back."""
        with self._cond:
            self.throttles += 1
            now = time.monotonic()
            if retry_after:
                self._due = max(self._due, now + retry_after)
            if getattr(self._local, "turn", self._turns) <= self._cut_at_turn:
                return  # sent before the last cut: that cut already answered this episode
            self._cut_at_turn = self._turns
            # what Pendo accepted in the second before it refused this request: by then nearly all of those
            # have been answered, even early in a run, when the last second holds few answers
            refused_at = getattr(self._local, "started", now)
            accepted = sum(1 for t in self._accepted if refused_at - WINDOW <= t < refused_at)
            measured = accepted / WINDOW if accepted >= 2 else self.rps / 2
            self.rps = max(MIN_RPS, min(self.rps, measured) * BACKOFF_SHARE)
            self._due = max(self._due, now + 1.0 / self.rps)
            self._grown_at = now

    def succeeded(self, answer_time: float | None = None) -> None:
        """A usable answer; `answer_time` is how long it took, for an answer at the first try (a retried
        request's time includes its waits)."""
        with self._cond:
            now = time.monotonic()
            self._accepted.append(getattr(self._local, "started", now))
            if len(self._accepted) > 4 * self.max_rps * WINDOW:
                self._forget_before(now - 2 * WINDOW)
            if self.rps < self.max_rps:
                self.rps = min(self.max_rps, self.rps * (1 + GROWTH * (now - self._grown_at)))
            self._grown_at = now
            if answer_time is not None:
                previous = self.answer_time
                self.answer_time = (
                    answer_time if previous is None else previous + (answer_time - previous) / 8
                )
            goal = self.goal()  # towards it one answer at a time upwards, so a run starts gently
            if self.concurrency > goal:
                self.concurrency = goal
            elif self.concurrency < goal:
                self.concurrency += 1
                self._cond.notify()

    def goal(self) -> int:
        """How many requests this endpoint should have in flight."""
        if not self.adaptive:
            return self.max_concurrency
        needed = math.ceil(self.rps * (self.answer_time or 0.0) * HEADROOM)
        return min(max(needed, AUTO_THREADS[0]), self.max_concurrency)

    def _forget_before(self, moment: float) -> None:
        """Drop the starts before `moment` (in answer order, so about in start order: a few may stay)."""
        while self._accepted and self._accepted[0] < moment:
            self._accepted.popleft()


def schedule(now: float, due: float, interval: float) -> tuple[float, float]:
    """When a request asked for at `now` starts, and when the next is due: evenly spaced, so no second
    holds more than the rate (Pendo counts per second; a request let in early can be the one refused).
    One asked for an interval or more after the previous one started goes at once."""
    start = max(now, due)
    return start, start + interval


class PendoRetry(Retry):
    """urllib3's Retry, aware of the run: paces 429/409 resends, clamps Retry-After, obeys Health."""

    limiter: AdaptiveLimiter | None = None
    health: Health | None = None

    def new(self, **kw: Any) -> PendoRetry:
        retry = super().new(**kw)
        retry.limiter, retry.health = self.limiter, self.health
        return retry

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
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
        if response is not None and response.status in PACED_STATUSES and self.limiter is not None:
            self.limiter.throttled(self.get_retry_after(response))
        if self.health is not None:
            self.health.failure()
            self.health.check()
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        """A 429/409 is resent at the endpoint's next turn (which honours Retry-After for every request of
        the endpoint); anything else after urllib3's backoff."""
        if response is not None and response.status in PACED_STATUSES and self.limiter is not None:
            self.limiter.wait_turn()
        else:
            super().sleep(response)
        if self.health is not None:
            self.health.check()  # Ctrl-C during the wait: do not send again


def retry_policy(
    limiter: AdaptiveLimiter, health: Health, attempts: int = 8, backoff: float = 0.5
) -> PendoRetry:
    """`attempts` retries at most per request (0: none, for tests that want the first answer); failing to
    connect at all is retried at most CONNECT_RETRIES times. `backoff`: urllib3's backoff factor (the wait
    doubles per resend, with up to as much again of jitter); 0 resends at once, which tests use."""
    retry = PendoRetry(
        total=attempts,
        connect=min(attempts, CONNECT_RETRIES),
        read=attempts,
        status=attempts,
        backoff_factor=backoff,
        backoff_max=30,
        backoff_jitter=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # metadata writes are idempotent; track events are at-least-once by design
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.limiter, retry.health = limiter, health
    return retry
