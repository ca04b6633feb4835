"""Fault injection for the emulator: the failures a Pendo client must survive, each a documented knob.

A fault rule matches requests by path prefix (and method) and either answers in Pendo's place
(`status`: 429 with or without Retry-After, 408, 409 "Operation in progress", 5xx with an HTML body, or with `echo` the request itself,
headers and all, as a misconfigured proxy might), delays the answer (`delay`; with `until`, a path prefix, only until a request to that path has been
answered, at most `delay` seconds: `released` counts the holds that ended that way, so a test can tell
that a request was answered before another's),
drops the connection before or after the request is applied (`drop`), or applies the request and then
mangles the 200 answer (`corrupt`: empty, truncated, non_json, bad_counts). `times` limits a rule to the
next N matching requests; `rate` applies it at random to that share of them (seeded, so reproducible).

    {"match": "/api/v1/metadata", "status": 429, "retry_after": 1, "retry_after_format": "date", "rate": 0.2}
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

STATUS_BODIES = {
    429: b"Too Many Requests",
    408: b"Request Timeout",
    409: b"Operation in progress",  # a segment PATCH while an earlier one of the same segment runs
    500: b"<html><body><h1>500 Internal Server Error</h1></body></html>",
    502: b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    503: b"<html><head><title>503 Service Unavailable</title></head><body>WAF says no</body></html>",
    504: b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
}
DROPS = ("before", "after")
CORRUPTIONS = ("empty", "truncated", "non_json", "bad_counts")
_KEYS = {
    "match",
    "method",
    "status",
    "retry_after",
    "retry_after_format",
    "delay",
    "drop",
    "corrupt",
    "times",
    "rate",
    "echo",
    "until",
}


@dataclass
class Fault:
    match: str = "/"
    method: str | None = None
    status: int | None = None
    retry_after: float | None = None
    retry_after_format: str = "seconds"
    delay: float = 0.0
    drop: str | None = None
    corrupt: str | None = None
    times: int | None = None
    rate: float | None = None
    echo: bool = False
    until: str | None = None
    hits: int = field(default=0)
    released: int = field(default=0)

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        if self.retry_after_format == "date":
            return {"Retry-After": formatdate(time.time() + self.retry_after, usegmt=True)}
        return {"Retry-After": str(math.ceil(self.retry_after))}  # HTTP allows whole seconds only

    def body(self) -> bytes:
        return STATUS_BODIES.get(self.status or 0, b"")


def parse_faults(raw: Any) -> list[Fault]:
    """Validate rules from JSON; ValueError names the rule and the key that is wrong."""
    if not isinstance(raw, list):
        raise ValueError("faults must be a list of rules")
    faults = []
    for index, rule in enumerate(raw):
        if not isinstance(rule, dict) or not set(rule) <= _KEYS:
            raise ValueError(f"fault {index}: must be an object with keys among {sorted(_KEYS)}")
        fault = Fault(**rule)
        if fault.drop is not None and fault.drop not in DROPS:
            raise ValueError(f"fault {index}: drop must be one of {DROPS}")
        if fault.corrupt is not None and fault.corrupt not in CORRUPTIONS:
            raise ValueError(f"fault {index}: corrupt must be one of {CORRUPTIONS}")
        if fault.until is not None and not (fault.delay and fault.until.startswith("/")):
            raise ValueError(f"fault {index}: until needs a delay, and a path starting with /")
        if fault.rate is not None and not 0 <= fault.rate <= 1:
            raise ValueError(f"fault {index}: rate must be between 0 and 1")
        faults.append(fault)
    return faults


def corrupt(body: bytes, how: str) -> bytes:
    """Mangle a 200 answer the way a broken proxy or a partial read would."""
    if how == "empty":
        return b""
    if how == "truncated":
        return body[: max(1, len(body) // 2)]
    if how == "non_json":
        return b"<html><body>OK</body></html>"
    data = json.loads(body) if body else {}
    if isinstance(data, dict):
        data["updated"] = int(data.get("updated", 0)) + 1
    return json.dumps(data).encode()


class FaultPlan:
    """The active rules; thread-safe, since the emulator answers on many threads."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._random = random.Random(seed)

    def set(self, rules: list[Fault], seed: int | None = None) -> None:
        with self._lock:
            self._rules = list(rules)
            if seed is not None:
                self._random.seed(seed)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(vars(rule)) for rule in self._rules]

    def release(self, rule: Fault) -> None:
        """A hold of `rule` ended because the request it waited for was answered."""
        with self._lock:
            rule.released += 1

    def pick(self, method: str, path: str) -> Fault | None:
        """The first rule that applies to this request, counting it as used (never the emulator's own API)."""
        if path.startswith("/_emulator"):
            return None
        with self._lock:
            for rule in self._rules:
                if not path.startswith(rule.match) or (rule.method and rule.method != method):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                if rule.rate is not None and self._random.random() >= rule.rate:
                    continue
                rule.hits += 1
                return rule
        return None
