"""Turn Pendo's answers to writes into the rows it did not apply, each with a reason: a bulk metadata
request's counts, a segment PATCH's `multistatus`, and what any other status means for a request's rows.

Pure and deliberately suspicious: Pendo publishes no schema for this response, so a row counts as
`updated` only when the answer lets us attribute success to it. Anything ambiguous (unparseable body,
counts that do not add up, errors we cannot tie to a row) leaves the row `failed`, which keeps it out of
state and retries it next run. Being wrong in that direction costs a resend; the other direction loses data.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pendo_sync.pendo.excerpt import SNIPPET, snippet
from pendo_sync.pendo.statuses import REJECTED_ROW, kind_of
from pendo_sync.row_outcome import FAILED, MISSING, REJECTED, RowOutcome

if TYPE_CHECKING:
    from collections.abc import Sequence

_ID_KEYS = ("visitorId", "accountId", "id", "recordId")
# The reason of rows in a batch Pendo reported fewer errors for than it has rows, naming none: client.py
# sends such a batch again in halves, until each error names its row. With an error for every row,
# halves would say the same, so those rows get another reason and are not split.
UNATTRIBUTED = "Pendo reported errors it did not attribute to a row"
_MESSAGE = 200  # characters of a multistatus entry's message kept in a reason


def parse_bulk_response(status: int, body: bytes, ids: Sequence[str]) -> list[RowOutcome]:
    """The rows of a bulk metadata POST answered with `status` that Pendo did not update, in the order of
    `ids`; every id not listed was updated. Listing only these keeps the usual answer (all updated) free of
    per-row work."""
    if status != 200:
        return _all(ids, row_outcome(status), f"Pendo answered HTTP {status}{snippet(body)}")
    try:
        data = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        return _all(ids, FAILED, f"Pendo answered 200 with a body that is not JSON{snippet(body)}")
    if not isinstance(data, dict):
        return _all(ids, FAILED, "Pendo answered 200 without the expected counts object")
    return _attribute(data, ids)


def _attribute(data: dict[str, Any], ids: Sequence[str]) -> list[RowOutcome]:
    missing_entries, error_entries = _as_list(data.get("missing")), _as_list(data.get("errors"))
    updated = _updated_count(data)
    if not missing_entries and not error_entries and updated == len(ids):
        return []
    in_batch = set(ids)
    missing = {i for i in (_entry_id(e, in_batch) for e in missing_entries) if i}
    rejected: dict[str, str] = {}
    unattributed = 0
    for entry in error_entries:
        record_id = _entry_id(entry, in_batch)
        if record_id is None:
            unattributed += 1
        else:
            rejected[record_id] = _error_text(entry)
    if unattributed and len(ids) == 1 and not missing and not rejected and updated != 1:  # this row's
        rejected[ids[0]] = "; ".join(_error_text(e) for e in error_entries)
        unattributed = 0
    candidates = [i for i in ids if i not in missing and i not in rejected]
    if unattributed:
        reason = (
            f"{UNATTRIBUTED}: {unattributed}"
            if unattributed < len(ids)
            else f"Pendo reported an error for every row ({unattributed}) without naming any"
        )
    elif updated != len(candidates):
        reason = f"Pendo's counts do not add up (updated={updated}, expected {len(candidates)})"
    else:
        reason = ""
    outcomes = []
    for record_id in ids:
        if record_id in missing:
            outcomes.append(RowOutcome(record_id, MISSING, "not found in Pendo"))
        elif record_id in rejected:
            outcomes.append(RowOutcome(record_id, REJECTED, rejected[record_id]))
        elif reason:
            outcomes.append(RowOutcome(record_id, FAILED, reason))
    return outcomes


def _updated_count(data: dict[str, Any]) -> int | None:
    updated = _as_int(data.get("updated"))
    if updated is not None:
        return updated
    total, failed = _as_int(data.get("total")), _as_int(data.get("failed"))
    return None if total is None or failed is None else total - failed


def _entry_id(entry: Any, in_batch: set[str]) -> str | None:
    """The batch id an entry of `missing`/`errors` names: a bare id, or an object carrying one."""
    if isinstance(entry, str) and entry in in_batch:
        return entry
    if isinstance(entry, dict):
        for key in _ID_KEYS:
            value = entry.get(key)
            if isinstance(value, str) and value in in_batch:
                return value
    return None


def _error_text(entry: Any) -> str:
    if isinstance(entry, dict):
        for key in ("error", "message", "reason"):
            if isinstance(entry.get(key), str):
                return str(entry[key])[:SNIPPET]
    return f"rejected by Pendo: {json.dumps(entry, default=str)[:SNIPPET]}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _all(ids: Sequence[str], outcome: str, reason: str) -> list[RowOutcome]:
    return [RowOutcome(i, outcome, reason) for i in ids]


def row_outcome(status: int) -> str:
    """What the rows of a request (or of a multistatus entry) Pendo answered `status` become: REJECTED
    when the answer blames them, else FAILED. A FATAL status fails its rows too where no exception can
    be raised (an entry of a multistatus answer); client.py raises it for whole requests first."""
    return REJECTED if kind_of(status) == REJECTED_ROW else FAILED


# Pendo answers a segment PATCH per operation, not per visitor
# (`{"multistatus":[{"status":200,"message":"...","operation":"add"}]}`, pendo-api.md section 10), so every
# visitor of an operation shares its outcome, and counts as acknowledged only when the answer names a 2xx
# for its operation: anything else leaves it out of state, to be sent again.
def parse_multistatus(
    status: int, body: bytes, operations: Sequence[tuple[str, Sequence[str]]]
) -> list[RowOutcome]:
    """The visitors of `operations` Pendo did not acknowledge, each with why; every other one it did.

    An operation is acknowledged by the multistatus entry naming it (`operation`), or, when entries name
    none, by the entry at its position among the operations sent. An entry's status says what its
    visitors become as a whole answer's would (row_outcome above); no entry fails them.
    """
    sent = [(op, list(ids)) for op, ids in operations if ids]
    if status != 200:
        return _all_of(sent, row_outcome(status), f"Pendo answered HTTP {status}{snippet(body)}")
    try:
        data = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _all_of(sent, FAILED, f"Pendo answered 200 with a body that is not JSON{snippet(body)}")
    entries = data.get("multistatus") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return _all_of(sent, FAILED, f"Pendo answered 200 without a multistatus list{snippet(body)}")
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


def _all_of(operations: Sequence[tuple[str, list[str]]], outcome: str, reason: str) -> list[RowOutcome]:
    return [RowOutcome(i, outcome, reason) for _, ids in operations for i in ids]
