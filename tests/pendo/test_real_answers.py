"""The client against Pendo's answers as public sources show them, not as our emulator gives them.

Each test replays a fixture of tests/fixtures/pendo/ (sources in its README) through a loopback server
that sends the recorded bytes, so a misreading of Pendo's API that the emulator shares still fails here.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from pendo_sync.errors import PendoAuthError
from pendo_sync.payloads import metadata_entry, track_event
from pendo_sync.pendo.client import ClientOptions, PendoClient
from pendo_sync.pendo.responses import FAILED, MISSING
from pendo_sync.pendo.schema import PendoField
from pendo_sync.settings import PendoSettings, Secret
from tests.pendo.replay import FIXTURES, Replay

KEY, TRACK = "real-shapes-integration-key", "real-shapes-track-secret"


def client_for(replay: Replay) -> PendoClient:
    """No retries: each test is about how one recorded answer is read."""
    settings = PendoSettings(replay.url, replay.url, Secret(KEY), Secret(TRACK))
    return PendoClient(settings, ClientOptions(threads=1, retries=0, timeout=5.0))


def documented_request(name: str) -> Any:
    return json.loads((FIXTURES / "requests" / f"{name}.json").read_text())


def test_an_unknown_visitor_in_missing_is_that_row_alone_and_the_other_was_updated() -> None:
    with Replay("bulk_missing") as pendo:
        ids = ["v1", "thisVisitorDoesNotExist"]
        entries = [metadata_entry("visitor", i, {"plan": "pro"}) for i in ids]
        outcomes = client_for(pendo).post_metadata("visitor", "custom", entries, ids, create=False)
    assert [(o.record_id, o.outcome) for o in outcomes] == [("thisVisitorDoesNotExist", MISSING)]


def test_the_schema_is_read_with_its_capital_type_and_every_group() -> None:
    with Replay("schema_visitor") as pendo:
        schema = client_for(pendo).get_schema("visitor")
    assert schema.find("agent", "email") == PendoField("email", "string")
    assert schema.find("auto", "lastvisit") == PendoField("lastvisit", "time")
    assert schema.find("custom", "testaccountcustomfield") == PendoField("testaccountcustomfield", "string")
    assert pendo.requests[0].path == "/api/v1/metadata/schema/visitor"


def test_a_403_with_an_empty_body_is_a_refused_key_on_every_call() -> None:
    with Replay("forbidden_empty") as pendo:
        client = client_for(pendo)
        with pytest.raises(PendoAuthError, match="Check PENDO_INTEGRATION_KEY"):
            client.get_schema("visitor")
        with pytest.raises(PendoAuthError, match="Check PENDO_INTEGRATION_KEY"):
            client.post_metadata(
                "visitor", "custom", [metadata_entry("visitor", "v1", {})], ["v1"], create=False
            )
        with pytest.raises(PendoAuthError, match="Check PENDO_TRACK_EVENT_SECRET"):
            client.post_track("e1", documented_request("track_event"))


@pytest.mark.parametrize("answer", ["track_empty", "track_ok_text", "track_status_ok"])
def test_every_documented_200_to_a_track_event_is_received(answer: str) -> None:
    with Replay(answer) as pendo:
        assert client_for(pendo).post_track("e1", documented_request("track_event")) is None


def test_an_html_503_fails_the_rows_with_a_readable_reason_and_keeps_them_for_the_next_run() -> None:
    with Replay("waf_503") as pendo:
        client = client_for(pendo)
        bulk = client.post_metadata(
            "visitor", "custom", [metadata_entry("visitor", "v1", {})], ["v1"], create=False
        )
        track = client.post_track("e1", documented_request("track_event"))
    assert [o.outcome for o in bulk] == [FAILED]
    assert bulk[0].reason.startswith("Pendo answered HTTP 503: <html><head><title>503 Service Unavailable")
    assert track is not None and track.outcome == FAILED and "HTTP 503" in track.reason


def test_a_bulk_request_is_the_documented_array_of_ids_and_values() -> None:
    documented = documented_request("bulk_visitor_values")
    with Replay("bulk_missing") as pendo:
        entries = [metadata_entry("visitor", e["visitorId"], e["values"]) for e in documented]
        client_for(pendo).post_metadata("visitor", "custom", entries, ["v1", "v2"], create=False)
    sent = pendo.requests[0]
    assert (sent.method, sent.path) == ("POST", "/api/v1/metadata/visitor/custom/value")
    assert json.loads(sent.body) == documented
    assert sent.headers["x-pendo-integration-key"] == KEY
    assert sent.headers["Content-Type"].startswith("application/json")


def test_a_field_is_created_with_the_documented_body() -> None:
    with Replay("track_empty") as pendo:  # any 200 will do: the request is what is checked
        client_for(pendo).create_fields("visitor", "custom", [PendoField("f1", "string")])
    sent = pendo.requests[0]
    assert (sent.method, sent.path) == ("POST", "/api/v1/metadata/schema/visitor/custom")
    assert json.loads(sent.body) == documented_request("create_field")


def test_a_track_event_built_from_a_row_is_the_documented_event() -> None:
    documented = documented_request("track_event")
    event = track_event(
        documented["event"],
        documented["visitorId"],
        documented["accountId"],
        datetime.fromtimestamp(documented["timestamp"] / 1000, tz=timezone.utc),
        [(name, name, value) for name, value in documented["properties"].items()],
        [(name, name, value) for name, value in documented["context"].items()],
        visitor_column="user_id",
        timestamp_column="occurred_at",
    )
    with Replay("track_empty") as pendo:
        assert client_for(pendo).post_track("e1", event) is None
    sent = pendo.requests[0]
    assert (sent.method, sent.path) == ("POST", "/data/track")
    assert json.loads(sent.body) == documented
    assert sent.headers["x-pendo-integration-key"] == TRACK  # the Track secret, not the integration key
