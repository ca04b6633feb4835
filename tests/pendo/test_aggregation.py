"""The Aggregation API subset `verify` reads with: the pipelines PendoClient sends, the emulator's answers
over real HTTP, and Pendo's own published answer shape (pendo-api.md §10)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pendo_sync.errors import PendoAuthError, PendoError
from pendo_sync.pendo.aggregation import (
    ids_pipeline,
    page_pipeline,
    parse_results,
    request_body,
    selected_fields,
)
from pendo_sync.pendo.client import ClientOptions, PendoClient
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.settings import settings_from_env

KEY = "agg-key"
FIELDS = selected_fields([("agent", "Email"), ("custom", "plan_tier"), ("custom", "signed_up")])


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(KEY) as emulator:
        emulator.seed(
            {
                "visitors": [
                    {"id": f"v{i:02d}", "agent": {"email": f"v{i}@x.io"}, "custom": {"plan_tier": "pro"}}
                    for i in range(7)
                ],
                "accounts": ["acme"],
                "schema": {"visitor": {"custom": {"signed_up": "time"}}},
            }
        )
        yield emulator


@pytest.fixture
def client(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[PendoClient]:
    monkeypatch.setenv("PENDO_INTEGRATION_KEY", KEY)
    pendo = PendoClient(settings_from_env(base_url=emu.url), ClientOptions(threads=1, retries=1))
    yield pendo
    pendo.close()


def test_pendos_published_answer_shape_reads_as_rows() -> None:
    rows = parse_results(b'{"results":[{"accountId":"444001f746ca5","planlevel":null}]}', "account")
    assert rows == [{"accountId": "444001f746ca5", "planlevel": None}]


@pytest.mark.parametrize(
    "raw", [b"<html>", b'{"result": []}', b'{"results": {}}', b'{"results": [{"planlevel": 1}]}']
)
def test_an_answer_of_another_shape_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_results(raw, "account")


def test_pipelines_follow_pendos_example_and_page_sorted_by_id() -> None:
    """Pendo's own example: source accounts, identified, select of metadata.<group>.<field>."""
    pipeline = page_pipeline("account", selected_fields([("custom", "PlanLevel")]), 10, 5)
    assert pipeline == [
        {"source": {"accounts": None}},
        {"identified": "accountId"},
        {"select": {"accountId": "accountId", "f0": "metadata.custom.planlevel"}},
        {"sort": ["accountId"]},
        {"skip": 10},
        {"limit": 5},
    ]
    assert request_body(pipeline).startswith(b'{"response":{"mimeType":"application/json"},"request":')
    by_id = ids_pipeline("visitor", FIELDS[:1], ['a"b', "c"])
    assert by_id[1] == {"filter": 'visitorId == "a\\"b" || visitorId == "c"'}


def test_pages_cover_every_record_once(client: PendoClient) -> None:
    pages = [client.aggregate("visitor", page_pipeline("visitor", FIELDS, skip, 3)) for skip in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    ids = [row["visitorId"] for page in pages for row in page]
    assert ids == [f"v{i:02d}" for i in range(7)]
    # field names are matched lowercased; a field never set reads as null
    assert pages[0][0] == {"visitorId": "v00", "f0": "v0@x.io", "f1": "pro", "f2": None}


def test_a_filter_reads_only_those_ids_that_pendo_has(client: PendoClient) -> None:
    rows = client.aggregate("visitor", ids_pipeline("visitor", FIELDS, ["v03", "nobody", "v05"]))
    assert sorted(r["visitorId"] for r in rows) == ["v03", "v05"]


def test_a_value_changed_behind_the_clients_back_reads_back(emu: Emulator, client: PendoClient) -> None:
    emu.set_value("visitor", "v01", "custom", "signed_up", 1_700_000_000_000)
    emu.drop_record("visitor", "v02")
    rows = client.aggregate("visitor", page_pipeline("visitor", FIELDS, 0, 10))
    assert [r["visitorId"] for r in rows] == ["v00", "v01", "v03", "v04", "v05", "v06"]
    assert rows[1]["f2"] == 1_700_000_000_000


def test_a_call_over_the_row_cap_fails_so_clients_must_page(emu: Emulator, client: PendoClient) -> None:
    emu.aggregation_row_cap = 4
    with pytest.raises(PendoError, match=r"HTTP 400.*page with sort, skip and limit"):
        client.aggregate("visitor", page_pipeline("visitor", FIELDS, 0, 5))
    assert len(client.aggregate("visitor", page_pipeline("visitor", FIELDS, 4, 4))) == 3


@pytest.mark.parametrize("status", [403, 404])
def test_a_key_that_may_not_aggregate_gets_the_fix(emu: Emulator, client: PendoClient, status: int) -> None:
    emu.faults.set(parse_faults([{"match": "/api/v1/aggregation", "status": status}]))
    with pytest.raises(PendoAuthError, match="integration key with write access") as caught:
        client.aggregate("visitor", page_pipeline("visitor", FIELDS, 0, 5))
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    "stage",
    [
        {"group": {}},
        {"sort": ["metadata.agent.email"]},
        {"filter": 'contains(visitorId, "v")'},
        {"limit": -1},
    ],
)
def test_stages_beyond_the_subset_are_refused(emu: Emulator, stage: dict[str, Any]) -> None:
    body = {"response": {}, "request": {"pipeline": [{"source": {"visitors": None}}, stage]}}
    answer = requests.post(
        f"{emu.url}/api/v1/aggregation", json=body, headers={"x-pendo-integration-key": KEY}, timeout=10
    )
    assert answer.status_code == 400
