"""Segment PATCH bodies and the `multistatus` answer: which visitors Pendo acknowledged."""

from __future__ import annotations

import json

import pytest

from pendo_sync.pendo.responses import parse_multistatus
from pendo_sync.pendo.segments import patch_body
from pendo_sync.row_outcome import FAILED, REJECTED, RowOutcome

OPS = [("add", ["v1", "v2"]), ("remove", ["v3"])]


def test_patch_body_has_pendos_shape_and_leaves_out_empty_operations() -> None:
    assert json.loads(patch_body(OPS)) == {
        "patch": [
            {"op": "add", "path": "/visitors", "value": ["v1", "v2"]},
            {"op": "remove", "path": "/visitors", "value": ["v3"]},
        ]
    }
    assert json.loads(patch_body([("add", []), ("remove", ["v3"])]))["patch"] == [
        {"op": "remove", "path": "/visitors", "value": ["v3"]}
    ]


def test_the_public_answer_shape_acknowledges_every_visitor() -> None:
    """pendo-api.md section 10: `{"multistatus":[{"status":200,"message":"...","operation":"add"}]}`."""
    body = b'{"multistatus":[{"status":200,"message":"ok","operation":"add"}]}'
    assert parse_multistatus(200, body, [("add", ["v1", "v2"]), ("remove", [])]) == []


def test_each_operation_is_decided_by_its_own_entry() -> None:
    body = json.dumps(
        {
            "multistatus": [
                {"status": 200, "operation": "remove"},
                {"status": 400, "message": "bad visitor", "operation": "add"},
            ]
        }
    ).encode()
    assert parse_multistatus(200, body, OPS) == [
        RowOutcome("v1", REJECTED, "Pendo answered 400 to the add operation: bad visitor"),
        RowOutcome("v2", REJECTED, "Pendo answered 400 to the add operation: bad visitor"),
    ]


def test_entries_without_operation_names_are_matched_by_position() -> None:
    body = b'{"multistatus":[{"status":200},{"status":500,"message":"oops"}]}'
    assert [(o.record_id, o.outcome) for o in parse_multistatus(200, body, OPS)] == [("v3", FAILED)]


@pytest.mark.parametrize(
    ("status", "body", "outcome", "reason"),
    [
        (200, b"", FAILED, "without a multistatus list"),
        (200, b"<html>", FAILED, "not JSON"),
        (200, b'{"ok":true}', FAILED, "without a multistatus list"),
        (200, b'{"multistatus":[{"status":200,"operation":"remove"}]}', FAILED, "no outcome for the add"),
        (200, b'{"multistatus":[{"status":409,"operation":"add"}]}', FAILED, "answered 409"),
        (400, b"bad", REJECTED, "HTTP 400"),
        (503, b"", FAILED, "HTTP 503"),
    ],
)
def test_anything_but_an_acknowledgement_leaves_the_visitors_out_of_state(
    status: int, body: bytes, outcome: str, reason: str
) -> None:
    outcomes = parse_multistatus(status, body, [("add", ["v1"])])
    assert [(o.record_id, o.outcome) for o in outcomes] == [("v1", outcome)]
    assert reason in outcomes[0].reason
