"""Segment membership requests: the PATCH body and its limits. Pure; responses.py reads the answer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

ADD, REMOVE = "add", "remove"
OPERATIONS = (ADD, REMOVE)
MAX_VISITORS = 1000  # per request, Pendo's limit on this endpoint


def patch_body(operations: Sequence[tuple[str, Sequence[str]]]) -> bytes:
    """`{"patch":[{"op":"add","path":"/visitors","value":[...]}, ...]}`, operations without visitors left out."""
    patch = [{"op": op, "path": "/visitors", "value": list(ids)} for op, ids in operations if ids]
    return json.dumps({"patch": patch}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
