"""The emulator's segments and parent accounts, and the client's `patch_segment`, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from pendo_sync.errors import UnknownSegmentError
from pendo_sync.pendo.client import ClientOptions, PendoClient
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.row_outcome import FAILED
from pendo_sync.settings import PendoSettings, Secret

KEY = "test-key"
AUTH = {"x-pendo-integration-key": KEY}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(KEY) as emulator:
        emulator.seed({"segments": {"s1": ["old"]}})
        yield emulator


def client(emu: Emulator) -> PendoClient:
    settings = PendoSettings(emu.url, emu.url, Secret(KEY), Secret(""))
    return PendoClient(settings, ClientOptions(threads=1, retries=4, timeout=5.0))


def patch(emu: Emulator, segment: str, body: object) -> requests.Response:
    return requests.patch(f"{emu.url}/api/v1/segment/{segment}/visitor", json=body, headers=AUTH, timeout=5)


def test_patch_adds_and_removes_members_and_answers_multistatus(emu: Emulator) -> None:
    body = {
        "patch": [
            {"op": "add", "path": "/visitors", "value": ["a", "b"]},
            {"op": "remove", "path": "/visitors", "value": ["old", "never"]},
        ]
    }
    response = patch(emu, "s1", body)
    assert response.status_code == 200
    assert response.json() == {
        "multistatus": [
            {"status": 200, "message": "ok", "operation": "add"},
            {"status": 200, "message": "ok", "operation": "remove"},
        ]
    }
    assert emu.segment("s1") == {"a", "b"}
    listed = requests.get(f"{emu.url}/_emulator/segments", timeout=5).json()
    assert listed == {"segments": {"s1": ["a", "b"]}}


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"patch": []},
        {"patch": [{"op": "delete", "path": "/visitors", "value": ["a"]}]},
        {"patch": [{"op": "add", "path": "/members", "value": ["a"]}]},
        {"patch": [{"op": "add", "path": "/visitors", "value": [""]}]},
        {"patch": [{"op": "add", "path": "/visitors", "value": [f"v{i}" for i in range(1001)]}]},
    ],
)
def test_malformed_patches_and_over_1000_visitors_are_400_and_change_nothing(
    emu: Emulator, body: object
) -> None:
    assert patch(emu, "s1", body).status_code == 400
    assert emu.segment("s1") == {"old"}


def test_an_unknown_segment_is_404_and_the_client_says_which(emu: Emulator) -> None:
    assert (
        patch(emu, "nope", {"patch": [{"op": "add", "path": "/visitors", "value": ["a"]}]}).status_code == 404
    )
    pendo = client(emu)
    with pytest.raises(UnknownSegmentError, match="Pendo has no segment 'nope'"):
        pendo.patch_segment("nope", [("add", ["a"])])
    pendo.close()


def test_the_client_resends_a_409_operation_in_progress_until_pendo_takes_it(emu: Emulator) -> None:
    emu.faults.set(parse_faults([{"match": "/api/v1/segment", "status": 409, "times": 2}]))
    pendo = client(emu)
    assert pendo.patch_segment("s1", [("add", ["a"]), ("remove", ["old"])]) == []
    pendo.close()
    assert emu.segment("s1") == {"a"}
    assert [r["status"] for r in emu.requests_log] == [409, 409, 200]


def test_the_client_fails_the_visitors_when_409s_outlast_its_retries(emu: Emulator) -> None:
    emu.faults.set(parse_faults([{"match": "/api/v1/segment", "status": 409}]))
    pendo = client(emu)
    outcomes = pendo.patch_segment("s1", [("add", ["a"])])
    pendo.close()
    assert [(o.record_id, o.outcome) for o in outcomes] == [("a", FAILED)]
    assert emu.segment("s1") == {"old"}


def test_parent_accounts_are_404_until_enabled_by_the_knob_or_a_seeded_schema() -> None:
    with Emulator(KEY) as emu:
        url = f"{emu.url}/api/v1/metadata/schema/parentAccount"
        assert requests.get(url, headers=AUTH, timeout=5).status_code == 404
        assert requests.post(f"{emu.url}/_emulator/settings", json={"parent_accounts": True}, timeout=5).ok
        assert set(requests.get(url, headers=AUTH, timeout=5).json()) == {"auto", "agent", "custom"}
    with Emulator(KEY) as emu:
        emu.seed({"parent_accounts": ["p1"], "schema": {"parentAccount": {"custom": {"tier": "string"}}}})
        body = [{"accountId": "p1", "values": {"tier": "gold"}}]
        response = requests.post(
            f"{emu.url}/api/v1/metadata/parentAccount/custom/value", json=body, headers=AUTH, timeout=5
        )
        assert response.json()["updated"] == 1
        assert emu.record("parentAccount", "p1") == {"agent": {}, "custom": {"tier": "gold"}}
