"""The emulator's rate limit and latency: Pendo as a client meets it across the internet, as knobs.

Pendo limits each endpoint on its own (about 100 requests per second: docs/pendo-api.md §7), so the
emulator does too: with `rate_limit` set, each method and path (each metadata kind and group's bulk
endpoint, Track, ...) has a token bucket of `rate_limit` tokens refilled at `rate_limit` per second. A
request finding it empty is answered 429 (with `Retry-After`, whole seconds until a token is back, when
`retry_after` is on) and costs no token. `latency` delays every answer by that many seconds, as distance
would. The emulator's own `/_emulator` API is never limited nor delayed. Set them with
`POST /_emulator/settings`, e.g. `{"rate_limit": 10, "latency": 0.04, "retry_after": false}`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

KNOBS = ("rate_limit", "retry_after", "latency")


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Limits:
    """Thread-safe: the emulator answers on many threads. `clock` is injectable for tests."""

    rate_limit: float | None = None  # requests per second per endpoint; None: unlimited
    retry_after: bool = False
    latency: float = 0.0
    throttled: int = 0  # requests answered 429 by the limit
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply the knobs present in `settings`; ValueError names the one that is wrong."""
        rate = settings.get("rate_limit", self.rate_limit)
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
            raise ValueError("rate_limit must be a number of requests per second above 0, or null")
        latency = settings.get("latency", self.latency)
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not 0 <= latency <= 60:
            raise ValueError("latency must be a number of seconds between 0 and 60")
        retry_after = settings.get("retry_after", self.retry_after)
        if not isinstance(retry_after, bool):
            raise ValueError("retry_after must be true or false")
        with self._lock:
            if rate != self.rate_limit:
                self._buckets.clear()
            self.rate_limit, self.latency, self.retry_after = rate, float(latency), retry_after

    def describe(self) -> dict[str, Any]:
        return {
            "rate_limit": self.rate_limit,
            "retry_after": self.retry_after,
            "latency": self.latency,
            "throttled": self.throttled,
        }

    def admit(self, endpoint: str) -> float | None:
        """None if a request to `endpoint` may go now; else the seconds until a token is back (a 429)."""
        rate = self.rate_limit
        if rate is None:
            return None
        with self._lock:
            now = self.clock()
            bucket = self._buckets.setdefault(endpoint, _Bucket(rate, now))
            bucket.tokens = min(rate, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            self.throttled += 1
            return (1 - bucket.tokens) / rate

    def headers(self, wait: float) -> dict[str, str]:
        """The 429's headers: Retry-After in whole seconds (all HTTP allows), if that knob is on."""
        return {"Retry-After": str(max(1, math.ceil(wait)))} if self.retry_after else {}
