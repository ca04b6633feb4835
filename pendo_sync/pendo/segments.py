"""Segment membership: the PATCH body, and which visitors Pendo's `multistatus` answer acknowledged.

Pure. Pendo answers a segment PATCH per operation, not per visitor
(`{"multistatus":[{"status":200,"message":"...","operation":"add"}]}`, pendo-api.md section 10), so every
visitor of an operation shares its outcome. As in responses.py, a visitor counts as acknowledged only when
the answer names a 2xx for its operation: anything else leaves it out of state, to be sent again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pendo_sync.pendo.excerpt import snippet
from pendo_sync.pendo.statuses import row_outcome
from pendo_sync.row_outcome import FAILED, RowOutcome

ADD, REMOVE = "add", "remove"
OPERATIONS = (ADD, REMOVE)
MAX_VISITORS = 1000  # per request, Pendo's limit on this endpoint
_MESSAGE = 200


def patch_body(operations: Sequence[tuple[str, Sequence[str]]]) -> bytes:
    """`{"patch":[{"op":"add","path":"/visitors","value":[...]}, ...]}`, operations without visitors left out."""
    patch = [{"op": op, "path": "/visitors", "value": list(ids)} for op, ids in operations if ids]
    return json.dumps({"patch": patch}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_multistatus(
    status: int, body: bytes, operations: Sequence[tuple[str, Sequence[str]]]
) -> list[RowOutcome]:
    """The visitors of `operations` Pendo did not acknowledge, each with why; every other one it did.

    An operation is acknowledged by the multistatus entry naming it (`operation`), or, when entries name
    none, by the entry at its position among the operations sent. An entry's status says what its
    visitors become as a whole answer's would (statuses.py); no entry fails them.
    """
    sent = [(op, list(ids)) for op, ids in operations if ids]
    if status != 200:
        return _all(sent, row_outcome(status), f"Pendo answered HTTP {status}{snippet(body)}")
    try:
        data = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _all(sent, FAILED, f"Pendo answered 200 with a body that is not JSON{snippet(body)}")
    entries = data.get("multistatus") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return _all(sent, FAILED, f"Pendo answered 200 without a multistatus list{snippet(body)}")
    outcomes: list[RowOutcome] = []
    for position, (op, ids) in enumerate(sent):
        entry = _entry_for(entries, op, position, len(sent))
        if entry is None:
            outcomes += [
                RowOutcome(i, FAILED, f"Pendo's answer has no outcome for the {op} operation") for i in ids
            ]
            continue
        code = entry.get("status")
        if isinstance(code, int) and not isinstance(code, bool) and 200 <= code < 300:
            continue
        message = entry.get("message")
        reason = f"Pendo answered {code} to the {op} operation" + (
            f": {str(message)[:_MESSAGE]}" if message else ""
        )
        outcome = row_outcome(code) if isinstance(code, int) and not isinstance(code, bool) else FAILED
        outcomes += [RowOutcome(i, outcome, reason) for i in ids]
    return outcomes


def _entry_for(entries: list[Any], op: str, position: int, count: int) -> dict[str, Any] | None:
    named = [e for e in entries if isinstance(e, dict) and e.get("operation") == op]
    if named:
        return named[0] if isinstance(named[0], dict) else None
    if len(entries) == count and all(isinstance(e, dict) and "operation" not in e for e in entries):
        entry = entries[position]
        return entry if isinstance(entry, dict) else None
    return None


def _all(operations: Sequence[tuple[str, list[str]]], outcome: str, reason: str) -> list[RowOutcome]:
    return [RowOutcome(i, outcome, reason) for _, ids in operations for i in ids]
