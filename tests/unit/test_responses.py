"""Bulk response parsing: only rows Pendo clearly counted as updated are acknowledged."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.pendo.responses import UNATTRIBUTED, parse_bulk_response
from pendo_sync.row_outcome import FAILED, MISSING, REJECTED, UPDATED, RowOutcome

IDS = ["a", "b", "c"]


def every_row(status: int, raw: bytes, ids: list[str] = IDS) -> list[RowOutcome]:
    """The parser lists the rows not updated; the rest were. This spells out one outcome per id."""
    problems = parse_bulk_response(status, raw, ids)
    assert [p.record_id for p in problems] == [i for i in ids if i in {p.record_id for p in problems}]
    assert UPDATED not in {p.outcome for p in problems}
    listed = {p.record_id: p for p in problems}
    return [listed.get(i, RowOutcome(i, UPDATED)) for i in ids]


def outcomes(status: int, body: object, ids: list[str] = IDS) -> list[str]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return [o.outcome for o in every_row(status, raw, ids)]


def test_all_updated() -> None:
    assert outcomes(200, {"total": 3, "updated": 3, "failed": 0}) == [UPDATED] * 3


def test_missing_ids_are_missing_and_the_rest_updated() -> None:
    assert outcomes(200, {"total": 3, "updated": 2, "failed": 1, "missing": ["b"]}) == [
        UPDATED,
        MISSING,
        UPDATED,
    ]


def test_errors_as_objects_reject_their_rows() -> None:
    body = {"updated": 2, "errors": [{"visitorId": "c", "error": "bad type"}]}
    result = every_row(200, json.dumps(body).encode())
    assert [o.outcome for o in result] == [UPDATED, UPDATED, REJECTED]
    assert result[2].reason == "bad type"


def test_errors_as_bare_ids_reject_their_rows() -> None:
    assert outcomes(200, {"updated": 2, "errors": ["a"]}) == [REJECTED, UPDATED, UPDATED]


def test_unattributable_error_leaves_every_other_row_unacknowledged() -> None:
    result = every_row(200, json.dumps({"updated": 2, "errors": ["something broke"]}).encode())
    assert [o.outcome for o in result] == [FAILED] * 3
    assert result[0].reason.startswith(UNATTRIBUTED)  # the client splits such a batch


def test_an_error_naming_no_row_in_a_batch_of_one_rejects_that_row() -> None:
    [result] = every_row(200, json.dumps({"updated": 0, "errors": ["bad value"]}).encode(), ["a"])
    assert result == RowOutcome("a", REJECTED, 'rejected by Pendo: "bad value"')


def test_counts_that_do_not_add_up_acknowledge_nothing() -> None:
    result = every_row(200, json.dumps({"updated": 1}).encode())
    assert [o.outcome for o in result] == [FAILED] * 3
    assert "updated=1, expected 3" in result[0].reason


def test_updated_can_be_derived_from_total_and_failed() -> None:
    assert outcomes(200, {"total": 3, "failed": 1, "missing": ["a"]}) == [MISSING, UPDATED, UPDATED]


def test_missing_ids_outside_the_batch_are_ignored() -> None:
    assert outcomes(200, {"updated": 3, "missing": ["zzz"]}) == [UPDATED] * 3


def test_empty_non_json_and_non_object_bodies_acknowledge_nothing() -> None:
    assert outcomes(200, b"") == [FAILED] * 3
    assert outcomes(200, b"<html>ok</html>") == [FAILED] * 3
    assert outcomes(200, b'{"updated": 3') == [FAILED] * 3
    assert outcomes(200, [1, 2]) == [FAILED] * 3


def test_http_errors() -> None:
    assert outcomes(400, b"missing field mappings") == [REJECTED] * 3
    result = every_row(503, b"<html><body>Service Unavailable</body></html>")
    assert {o.outcome for o in result} == {FAILED}
    assert "HTTP 503" in result[0].reason


@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["updated", "total", "failed", "missing", "errors", "visitorId", "x"]),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    ),
    status=st.sampled_from([200, 400, 500]),
)
def test_any_body_gives_one_outcome_per_row_and_never_raises(body: object, status: int) -> None:
    result = every_row(status, json.dumps(body).encode())
    assert [o.record_id for o in result] == IDS
    updated = sum(o.outcome == UPDATED for o in result)
    if isinstance(body, dict) and updated:
        claimed = body.get("updated")
        if not (isinstance(claimed, int) and not isinstance(claimed, bool)):
            claimed = body["total"] - body["failed"]
        assert claimed == updated


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert len(every_row(200, raw)) == 3


def test_an_unnamed_error_on_a_row_pendo_counted_updated_leaves_it_failed() -> None:
    [result] = every_row(200, json.dumps({"updated": 1, "errors": ["deprecated field"]}).encode(), ["a"])
    assert result.outcome == FAILED  # updated, or not? The answer does not say: resend, never assume
