"""One reading of Pendo's HTTP statuses for every write: bulk metadata, Track and segment PATCHes."""

from __future__ import annotations

import json

import pytest

from pendo_sync.pendo.responses import parse_bulk_response, parse_multistatus, row_outcome
from pendo_sync.pendo.statuses import FATAL, REJECTED_ROW, RETRYABLE, kind_of
from pendo_sync.row_outcome import FAILED, REJECTED

TABLE = [
    (400, REJECTED_ROW, REJECTED),
    (401, FATAL, FAILED),
    (403, FATAL, FAILED),
    (404, RETRYABLE, FAILED),
    (405, RETRYABLE, FAILED),
    (408, RETRYABLE, FAILED),
    (409, RETRYABLE, FAILED),
    (413, REJECTED_ROW, REJECTED),
    (422, REJECTED_ROW, REJECTED),
    (429, RETRYABLE, FAILED),
    (500, RETRYABLE, FAILED),
    (501, RETRYABLE, FAILED),
    (503, RETRYABLE, FAILED),
]


@pytest.mark.parametrize(("status", "kind", "outcome"), TABLE)
def test_each_status_has_one_kind_and_one_row_outcome(status: int, kind: str, outcome: str) -> None:
    assert (kind_of(status), row_outcome(status)) == (kind, outcome)


@pytest.mark.parametrize(("status", "kind", "outcome"), TABLE)
def test_bulk_answers_and_segment_entries_follow_the_table(status: int, kind: str, outcome: str) -> None:
    bulk = parse_bulk_response(status, b"", ["a", "b"])
    entry = json.dumps({"multistatus": [{"status": status, "operation": "add"}]}).encode()
    segment = parse_multistatus(200, entry, [("add", ["v1"])])
    whole = parse_multistatus(status, b"", [("add", ["v1"])])
    assert [o.outcome for o in bulk] == [outcome, outcome]
    assert [o.outcome for o in segment] == [o.outcome for o in whole] == [outcome]


def test_a_404_blames_no_row() -> None:
    """A 404 names a missing endpoint or access (bulk, Track) or segment: never a rejected row, which
    would let a model that delivered nothing end as a mere warning."""
    assert parse_bulk_response(404, b"", ["a"])[0].outcome == FAILED
    entry = b'{"multistatus":[{"status":404,"message":"not found","operation":"add"}]}'
    assert parse_multistatus(200, entry, [("add", ["v1"])])[0].outcome == FAILED
