"""The emulator enforces field types by JSON type, per row, as pendo-api.md describes; and field admin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pendo_sync.pendo.emulator import Emulator

KEY = "test-key"
AUTH = {"x-pendo-integration-key": KEY}
TYPES = {
    "s": "string",
    "b": "boolean",
    "n": "number",
    "i": "integer",
    "f": "float",
    "t": "time",
    "l": "list",
    "u": "",
}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(KEY) as emulator:
        emulator.seed(
            {"visitors": ["u1", "u2"], "schema": {"visitor": {"agent": {"l": "list"}, "custom": TYPES}}}
        )
        yield emulator


def call(emu: Emulator, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, emu.url + path, json=body, headers=AUTH, timeout=10)


def bulk(emu: Emulator, group: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    response = call(emu, "POST", f"/api/v1/metadata/visitor/{group}/value", rows)
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("s", "text"),
        ("b", False),
        ("n", 3),
        ("n", 2.5),
        ("i", -7),
        ("f", 1.5),
        ("f", 2),
        ("t", 1_700_000_000_000),
        ("t", -86_400_000),
        ("l", ["a", 1]),
        ("u", {"any": "thing"}),
        ("s", None),  # null clears, whatever the type
        ("t", None),
    ],
)
def test_values_of_the_fields_type_are_stored(emu: Emulator, field: str, value: Any) -> None:
    body = bulk(emu, "custom", [{"visitorId": "u1", "values": {field: value}}])
    assert (body["updated"], body["errors"]) == (1, [])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("s", 5),
        ("s", True),
        ("b", "true"),
        ("b", 1),
        ("n", "5"),
        ("n", True),
        ("i", 1.5),
        ("i", "7"),
        ("f", "1.5"),
        ("t", "2024-01-01T00:00:00Z"),  # dates are epoch milliseconds through the API
        ("t", 1.7e12),
        ("t", True),
        ("l", "a,b"),
        ("l", {"a": 1}),
    ],
)
def test_a_value_of_another_json_type_fails_that_row_only(emu: Emulator, field: str, value: Any) -> None:
    rows = [
        {"visitorId": "u1", "values": {"s": "kept", field: value}},
        {"visitorId": "u2", "values": {"s": "stored"}},
    ]
    body = bulk(emu, "custom", rows)
    assert (body["total"], body["updated"], body["failed"]) == (2, 1, 1)
    (error,) = body["errors"]
    assert error["visitorId"] == "u1"
    assert error["error"].startswith(f"field '{field}' is of type {TYPES[field]}, got ")
    assert emu.record("visitor", "u1") == {"agent": {}, "custom": {}}  # nothing of a failed row is stored
    assert emu.record("visitor", "u2") == {"agent": {}, "custom": {"s": "stored"}}


def test_every_mistyped_field_of_a_row_is_named(emu: Emulator) -> None:
    body = bulk(emu, "custom", [{"visitorId": "u1", "values": {"i": "x", "b": 0}}])
    assert body["errors"] == [
        {
            "visitorId": "u1",
            "error": "field 'i' is of type integer, got \"x\"; field 'b' is of type boolean, got 0",
        }
    ]


def test_types_are_per_group(emu: Emulator) -> None:
    assert bulk(emu, "agent", [{"visitorId": "u1", "values": {"l": "x"}}])["failed"] == 1
    assert bulk(emu, "custom", [{"visitorId": "u1", "values": {"l": ["x"]}}])["updated"] == 1


def test_single_value_put_of_the_wrong_type_is_400(emu: Emulator) -> None:
    path = "/api/v1/metadata/visitor/custom/value/u1/t"
    response = call(emu, "PUT", path, "2024-01-01")
    assert response.status_code == 400
    assert response.json() == {"error": "field 't' is of type time, got \"2024-01-01\""}
    assert call(emu, "PUT", path, 1_700_000_000_000).status_code == 200
    assert call(emu, "GET", path).json() == 1_700_000_000_000


def test_created_fields_are_stored_lowercased_and_typed(emu: Emulator) -> None:
    fields = [{"name": "NickName", "displayname": "NickName", "type": "time"}]
    assert call(emu, "POST", "/api/v1/metadata/schema/visitor/agent", fields).status_code == 200
    agent = call(emu, "GET", "/api/v1/metadata/schema/visitor").json()["agent"]
    assert agent["nickname"]["Type"] == "time"
    assert agent["nickname"]["DisplayName"] == "NickName"
    assert bulk(emu, "agent", [{"visitorId": "u1", "values": {"nickname": "x"}}])["failed"] == 1


def test_deleting_a_field_removes_it_from_the_schema(emu: Emulator) -> None:
    assert call(emu, "DELETE", "/api/v1/metadata/schema/visitor/custom/s").json() == {}
    assert "s" not in call(emu, "GET", "/api/v1/metadata/schema/visitor").json()["custom"]
    assert call(emu, "DELETE", "/api/v1/metadata/schema/visitor/custom/s").status_code == 404
    emu.unknown_field = "error"
    body = bulk(emu, "custom", [{"visitorId": "u1", "values": {"s": "x"}}])
    assert body["errors"] == [{"visitorId": "u1", "error": "unknown field 's'"}]
