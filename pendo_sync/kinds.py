"""The field that names a record's id in Pendo's bodies and answers, per kind of record pendo-dbt writes.

Shared by what builds bodies (payloads.py, and the warehouse's own rendering: diffs.py), and what reads
Pendo back (pendo/aggregation.py, verify.py), so both sides name the id the same way.
"""

from __future__ import annotations

# A parent account names its id as an account does: Pendo documents no parentAccount body (pendo-api.md 10).
ID_FIELD = {"visitor": "visitorId", "account": "accountId", "parentAccount": "accountId"}
