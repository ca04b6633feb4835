"""What became of one row sent to Pendo: a domain type shared by the Pendo client (which reads it from
Pendo's answers), state (which records only `updated` rows) and the report (which counts them).

    updated   Pendo acknowledged the row: recorded in state, not sent again
    missing   Pendo does not know the visitor/account: retried next run, not a failure
    rejected  Pendo refused the row itself (bad value, unknown field): reported by id, retried next run
    failed    no usable answer for the row (transport, 5xx, an answer we cannot attribute): retried
"""

from __future__ import annotations

from typing import NamedTuple

UPDATED, MISSING, REJECTED, FAILED = "updated", "missing", "rejected", "failed"


class RowOutcome(NamedTuple):  # a tuple: one is made per row, and a dataclass costs 3x to make
    record_id: str
    outcome: str
    reason: str = ""
