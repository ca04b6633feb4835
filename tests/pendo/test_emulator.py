"""The Pendo emulator over real HTTP on loopback: the contract other tests and the demo rely on."""

from __future__ import annotations

import base64
import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.limits import Limits

KEY = "test-key"
SECRET = "track-secret"
AUTH = {"x-pendo-integration-key": KEY}
TRACK_AUTH = {"x-pendo-integration-key": SECRET}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(KEY, SECRET) as emulator:
        yield emulator


def call(
    emu: Emulator, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> requests.Response:
    """One request with the integration key unless `headers` replaces it."""
    return requests.request(
        method, emu.url + path, json=body, headers=AUTH if headers is None else headers, timeout=10
    )


def bulk(emu: Emulator, kind: str, group: str, rows: Any, query: str = "") -> requests.Response:
    return call(emu, "POST", f"/api/v1/metadata/{kind}/{group}/value{query}", rows)


def track_event(**overrides: Any) -> dict[str, Any]:
    event = {"type": "track", "event": "Registered", "visitorId": "u1", "timestamp": 1524069206000}
    event.update(overrides)
    return event


# -- auth -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/api/v1/token/verify", {"x-pendo-integration-key": "wrong"}),
        ("GET", "/api/v1/token/verify", {}),
        ("POST", "/api/v1/metadata/visitor/custom/value", {}),
        ("GET", "/api/v1/no/such/endpoint", {}),
        ("POST", "/data/track", AUTH),  # the integration key is not the track secret
        ("POST", "/data/track", {}),
        ("GET", "/api/v1/token/verify", TRACK_AUTH),  # and the track secret is not an API key
    ],
)
def test_refused_key_is_403_with_empty_body(
    emu: Emulator, method: str, path: str, headers: dict[str, str]
) -> None:
    response = call(emu, method, path, [] if method == "POST" else None, headers=headers)
    assert response.status_code == 403
    assert response.content == b""


def test_key_header_name_is_case_insensitive(emu: Emulator) -> None:
    response = call(emu, "GET", "/api/v1/token/verify", headers={"X-PENDO-INTEGRATION-KEY": KEY})
    assert response.status_code == 200


def test_no_track_secret_configured_refuses_all_track_requests() -> None:
    with Emulator(KEY) as emulator:
        response = call(
            emulator, "POST", "/data/track", track_event(), headers={"x-pendo-integration-key": ""}
        )
    assert response.status_code == 403


def test_token_verify(emu: Emulator) -> None:
    response = call(emu, "GET", "/api/v1/token/verify")
    assert response.status_code == 200
    assert response.json() == {"valid": True, "writeAccess": True}


# -- bulk metadata ----------------------------------------------------------------------------------


def test_bulk_update_stores_values_and_counts(emu: Emulator) -> None:
    emu.seed(
        {"visitors": ["u1", "u2"], "schema": {"visitor": {"custom": {"plan": "string", "seats": "number"}}}}
    )
    rows = [
        {"visitorId": "u1", "values": {"plan": "pro", "seats": 5}},
        {"visitorId": "u2", "values": {"plan": "free"}},
    ]
    response = bulk(emu, "visitor", "custom", rows)
    assert response.status_code == 200
    assert response.json() == {"total": 2, "updated": 2, "failed": 0, "missing": [], "errors": []}
    assert emu.record("visitor", "u1") == {"agent": {}, "custom": {"plan": "pro", "seats": 5}}
    assert emu.record("visitor", "u2") == {"agent": {}, "custom": {"plan": "free"}}


def test_account_rows_use_account_id(emu: Emulator) -> None:
    emu.seed({"accounts": [{"id": "a1", "agent": {"name": "Acme"}}]})
    response = bulk(emu, "account", "agent", [{"accountId": "a1", "values": {"name": "Acme Corp"}}])
    assert response.json()["updated"] == 1
    assert emu.record("account", "a1") == {"agent": {"name": "Acme Corp"}, "custom": {}}


def test_unknown_ids_are_missing_without_create(emu: Emulator) -> None:
    emu.seed({"visitors": ["u1"]})
    rows = [{"visitorId": "u1", "values": {"plan": "pro"}}, {"visitorId": "ghost", "values": {"plan": "pro"}}]
    body = bulk(emu, "visitor", "custom", rows).json()
    assert body == {"total": 2, "updated": 1, "failed": 1, "missing": ["ghost"], "errors": []}
    assert emu.record("visitor", "ghost") is None


def test_create_true_creates_records(emu: Emulator) -> None:
    body = bulk(
        emu, "visitor", "agent", [{"visitorId": "new", "values": {"email": "a@b.c"}}], "?create=true"
    ).json()
    assert body["updated"] == 1
    assert body["missing"] == []
    assert emu.record("visitor", "new") == {"agent": {"email": "a@b.c"}, "custom": {}}


def test_null_clears_a_field(emu: Emulator) -> None:
    emu.seed({"visitors": [{"id": "u1", "custom": {"plan": "pro", "seats": 3}}]})
    assert (
        bulk(emu, "visitor", "custom", [{"visitorId": "u1", "values": {"plan": None}}]).json()["updated"] == 1
    )
    assert emu.record("visitor", "u1") == {"agent": {}, "custom": {"seats": 3}}


def test_unknown_field_accept_adds_typed_fields_to_schema(emu: Emulator) -> None:
    emu.seed({"visitors": ["u1"]})
    values = {"s": "x", "b": True, "i": 2, "f": 1.5, "l": ["a"]}
    assert bulk(emu, "visitor", "agent", [{"visitorId": "u1", "values": values}]).json()["updated"] == 1
    agent_schema = call(emu, "GET", "/api/v1/metadata/schema/visitor").json()["agent"]
    types = {name: agent_schema[name]["Type"] for name in values}
    assert types == {"s": "string", "b": "boolean", "i": "integer", "f": "float", "l": "list"}
    assert emu.record("visitor", "u1") == {"agent": values, "custom": {}}


def test_unknown_field_reject400_stores_nothing(emu: Emulator) -> None:
    emu.seed({"visitors": ["u1", "u2"], "schema": {"visitor": {"custom": {"plan": "string"}}}})
    emu.unknown_field = "reject400"
    rows = [{"visitorId": "u1", "values": {"plan": "pro"}}, {"visitorId": "u2", "values": {"typo": 1}}]
    response = bulk(emu, "visitor", "custom", rows)
    assert response.status_code == 400
    assert response.json() == {"error": "unknown field(s): typo"}
    assert emu.record("visitor", "u1") == {"agent": {}, "custom": {}}
    assert "typo" not in call(emu, "GET", "/api/v1/metadata/schema/visitor").json()["custom"]


def test_unknown_field_error_fails_only_that_row(emu: Emulator) -> None:
    emu.seed({"visitors": ["u1", "u2"], "schema": {"visitor": {"custom": {"plan": "string"}}}})
    emu.unknown_field = "error"
    rows = [
        {"visitorId": "u1", "values": {"plan": "pro"}},
        {"visitorId": "u2", "values": {"plan": "pro", "typo": 1}},
    ]
    body = bulk(emu, "visitor", "custom", rows).json()
    assert body["total"] == 2
    assert body["updated"] == 1
    assert body["failed"] == 1
    assert body["errors"] == [{"visitorId": "u2", "error": "unknown field 'typo'"}]
    assert emu.record("visitor", "u1") == {"agent": {}, "custom": {"plan": "pro"}}
    assert emu.record("visitor", "u2") == {"agent": {}, "custom": {}}


def test_unknown_field_setting_validates_and_is_settable_over_http(emu: Emulator) -> None:
    with pytest.raises(ValueError):
        emu.unknown_field = "sometimes"
    assert call(emu, "POST", "/_emulator/settings", {"unknown_field": "bogus"}).status_code == 400
    assert call(emu, "POST", "/_emulator/settings", {"unknown_field": "error"}).json() == {}
    assert emu.unknown_field == "error"


@pytest.mark.parametrize(
    "body",
    [
        {"visitorId": "u1", "values": {}},  # an object, not an array
        [{"values": {"plan": "pro"}}],
        [{"visitorId": "", "values": {}}],
        [{"visitorId": 7, "values": {}}],
        [{"accountId": "u1", "values": {}}],  # wrong id key for visitors
        [{"visitorId": "u1", "values": ["plan"]}],
        [{"visitorId": "u1"}],
        ["u1"],
    ],
)
def test_malformed_bulk_body_is_400(emu: Emulator, body: Any) -> None:
    emu.seed({"visitors": ["u1"]})
    response = bulk(emu, "visitor", "custom", body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_non_json_bulk_body_is_400(emu: Emulator) -> None:
    response = requests.post(
        emu.url + "/api/v1/metadata/visitor/custom/value", data=b"{not json", headers=AUTH, timeout=10
    )
    assert response.status_code == 400
    assert response.json() == {"error": "body is not valid JSON"}


def test_unknown_kind_and_unwritable_group_are_400(emu: Emulator) -> None:
    rows = [{"visitorId": "u1", "values": {}}]
    assert bulk(emu, "user", "custom", rows).status_code == 400
    response = bulk(emu, "visitor", "salesforce", rows)
    assert response.status_code == 400
    assert response.text == "group not writable"


# -- schema -----------------------------------------------------------------------------------------


def test_default_schema_has_auto_time_fields(emu: Emulator) -> None:
    schema = call(emu, "GET", "/api/v1/metadata/schema/account").json()
    assert set(schema) == {"auto", "agent", "custom"}
    assert schema["auto"]["lastvisit"]["Type"] == "time"
    assert schema["auto"]["firstvisit"]["isDeleted"] is False


def test_schema_post_creates_fields(emu: Emulator) -> None:
    fields = [
        {"name": "plan_tier", "displayname": "Plan Tier", "type": "string"},
        {"name": "n", "type": "number"},
    ]
    response = call(emu, "POST", "/api/v1/metadata/schema/visitor/custom", fields)
    assert response.status_code == 200
    assert response.json() == {}
    custom = call(emu, "GET", "/api/v1/metadata/schema/visitor").json()["custom"]
    assert custom["plan_tier"]["Type"] == "string"
    assert custom["plan_tier"]["DisplayName"] == "Plan Tier"
    assert custom["n"] == {
        "Type": "number",
        "DisplayName": "n",
        "ElementType": "",
        "ElementFormat": "",
        "Dirty": False,
        "isHidden": False,
        "isDeleted": False,
        "isCalculated": False,
        "isPerApp": False,
        "neverIndex": False,
    }


def test_schema_post_rejects_bad_type(emu: Emulator) -> None:
    response = call(emu, "POST", "/api/v1/metadata/schema/visitor/custom", [{"name": "x", "type": "list"}])
    assert response.status_code == 400
    assert "x" not in call(emu, "GET", "/api/v1/metadata/schema/visitor").json()["custom"]


def test_seeded_schema_is_served(emu: Emulator) -> None:
    emu.seed({"schema": {"visitor": {"agent": {"email": "string"}, "custom": {"plan_tier": "string"}}}})
    schema = call(emu, "GET", "/api/v1/metadata/schema/visitor").json()
    assert schema["agent"]["email"]["Type"] == "string"
    assert schema["custom"]["plan_tier"]["DisplayName"] == "plan_tier"


# -- record lookup ----------------------------------------------------------------------------------


def test_get_visitor_and_account(emu: Emulator) -> None:
    emu.seed(
        {
            "visitors": [{"id": "u1", "agent": {"email": "a@b.c"}, "custom": {"plan": "pro"}}],
            "accounts": ["a1"],
        }
    )
    visitor = call(emu, "GET", "/api/v1/visitor/u1")
    assert visitor.status_code == 200
    assert visitor.json() == {
        "id": "u1",
        "visitorId": "u1",
        "metadata": {"agent": {"email": "a@b.c"}, "custom": {"plan": "pro"}, "auto": {"id": "u1"}},
    }
    account = call(emu, "GET", "/api/v1/account/a1").json()
    assert account["accountId"] == "a1"
    assert account["metadata"]["auto"] == {"id": "a1"}


def test_unknown_visitor_is_404_with_empty_body(emu: Emulator) -> None:
    response = call(emu, "GET", "/api/v1/visitor/nobody")
    assert response.status_code == 404
    assert response.content == b""


WEIRD_ID = "a/b?c#d %é✓"


def test_percent_encoded_id_in_path(emu: Emulator) -> None:
    emu.seed({"visitors": [WEIRD_ID]})
    response = call(emu, "GET", "/api/v1/visitor/" + quote(WEIRD_ID, safe=""))
    assert response.status_code == 200
    assert response.json()["visitorId"] == WEIRD_ID


def test_base64_encoded_id_in_path(emu: Emulator) -> None:
    emu.seed({"accounts": [WEIRD_ID]})
    encoded = base64.urlsafe_b64encode(WEIRD_ID.encode()).decode().rstrip("=")
    headers = {**AUTH, "x-pendo-base64-encoded-params": "true"}
    response = call(emu, "GET", "/api/v1/account/" + encoded, headers=headers)
    assert response.status_code == 200
    assert response.json()["id"] == WEIRD_ID
    assert call(emu, "GET", "/api/v1/account/" + encoded).status_code == 404  # without the header


# -- single values ----------------------------------------------------------------------------------


def test_single_value_put_then_get(emu: Emulator) -> None:
    emu.seed({"visitors": [WEIRD_ID]})
    path = f"/api/v1/metadata/visitor/custom/value/{quote(WEIRD_ID, safe='')}/tags"
    put = call(emu, "PUT", path, ["a", "b"])
    assert put.status_code == 200
    assert put.content == b""
    assert put.headers["Content-Type"].startswith("text/plain")
    got = call(emu, "GET", path)
    assert got.status_code == 200
    assert got.json() == ["a", "b"]
    assert emu.record("visitor", WEIRD_ID) == {"agent": {}, "custom": {"tags": ["a", "b"]}}


def test_single_value_get_absent_is_404(emu: Emulator) -> None:
    emu.seed({"visitors": ["u1"]})
    response = call(emu, "GET", "/api/v1/metadata/visitor/agent/value/u1/email")
    assert response.status_code == 404
    assert response.content == b""
    assert call(emu, "PUT", "/api/v1/metadata/visitor/agent/value/ghost/email", "x").status_code == 404


# -- track ------------------------------------------------------------------------------------------


def test_valid_track_event_is_recorded(emu: Emulator) -> None:
    event = track_event(accountId="a1", properties={"plan": "pro"}, context={})
    response = call(emu, "POST", "/data/track", event, headers=TRACK_AUTH)
    assert response.status_code == 200
    assert response.content == b""
    assert emu.events == [event]
    assert call(emu, "GET", "/_emulator/events").json() == {"events": [event]}


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (track_event(type="identify"), "type"),
        ({k: v for k, v in track_event().items() if k != "event"}, "event"),
        (track_event(event=""), "event"),
        (track_event(visitorId=5), "visitorId"),
        (track_event(timestamp=1.5), "timestamp"),
        (track_event(timestamp=True), "timestamp"),
        (track_event(timestamp="1524069206000"), "timestamp"),
        (track_event(properties=[1]), "properties"),
        (track_event(context="x"), "context"),
        (track_event(accountId=3), "accountId"),
        ([track_event()], "object"),
    ],
)
def test_invalid_track_event_is_400(emu: Emulator, event: Any, problem: str) -> None:
    response = call(emu, "POST", "/data/track", event, headers=TRACK_AUTH)
    assert response.status_code == 400
    assert problem in response.json()["error"]
    assert emu.events == []


# -- emulator endpoints and behaviour -----------------------------------------------------------------


def test_request_log_lists_api_requests_only(emu: Emulator) -> None:
    emu.seed({"visitors": ["u1"]})
    rows = [{"visitorId": "u1", "values": {}}, {"visitorId": "u2", "values": {}}]
    bulk(emu, "visitor", "custom", rows, "?create=true")
    call(emu, "POST", "/data/track", track_event(), headers=TRACK_AUTH)
    call(emu, "GET", "/api/v1/token/verify", headers={})
    call(emu, "GET", "/_emulator/events")
    expected = [
        {
            "method": "POST",
            "path": "/api/v1/metadata/visitor/custom/value",
            "query": "create=true",
            "status": 200,
            "rows": 2,
        },
        {"method": "POST", "path": "/data/track", "query": "", "status": 200, "rows": 1},
        {"method": "GET", "path": "/api/v1/token/verify", "query": "", "status": 403, "rows": 0},
    ]
    assert emu.requests_log == expected
    assert call(emu, "GET", "/_emulator/requests").json() == {"requests": expected}


def test_inspection_properties_return_copies(emu: Emulator) -> None:
    emu.seed({"visitors": [{"id": "u1", "custom": {"plan": "pro"}}]})
    call(emu, "GET", "/api/v1/token/verify")
    emu.requests_log.clear()
    record = emu.record("visitor", "u1")
    assert record is not None
    record["custom"]["plan"] = "changed"
    assert len(emu.requests_log) == 1
    assert emu.record("visitor", "u1") == {"agent": {}, "custom": {"plan": "pro"}}


def test_reset_clears_data_and_schema(emu: Emulator) -> None:
    emu.seed({"visitors": ["u1"], "schema": {"visitor": {"custom": {"plan": "string"}}}})
    call(emu, "POST", "/data/track", track_event(), headers=TRACK_AUTH)
    assert call(emu, "POST", "/_emulator/reset").json() == {}
    assert emu.record("visitor", "u1") is None
    assert emu.events == []
    assert emu.requests_log == []
    assert call(emu, "GET", "/api/v1/metadata/schema/visitor").json()["custom"] == {}


def test_seed_over_http_and_seed_validation(emu: Emulator) -> None:
    seed = {"accounts": [{"id": "a1", "custom": {"tier": "gold"}}]}
    assert call(emu, "POST", "/_emulator/seed", seed).json() == {}
    assert emu.record("account", "a1") == {"agent": {}, "custom": {"tier": "gold"}}
    assert call(emu, "POST", "/_emulator/seed", {"visitors": [{"agent": {}}]}).status_code == 400
    with pytest.raises(ValueError):
        emu.seed({"schema": {"visitor": {"custom": {"x": "decimal"}}}})


def test_unknown_path_is_404_and_wrong_method_405(emu: Emulator) -> None:
    response = call(emu, "GET", "/nothing/here")
    assert response.status_code == 404
    assert response.content == b""
    assert call(emu, "GET", "/api/v1/visitor/u1/history").status_code == 404
    assert call(emu, "DELETE", "/api/v1/token/verify").status_code == 405


def test_track_accepted_with_absolute_form_target(emu: Emulator) -> None:
    """Clients aimed at data.pendo.io through a proxy send the full URL as the request target."""
    conn = http.client.HTTPConnection(emu.url.removeprefix("http://"), timeout=10)
    body = b'{"type": "track", "event": "e", "visitorId": "u1", "timestamp": 1}'
    headers = {**TRACK_AUTH, "Content-Type": "application/json"}
    conn.request("POST", "http://data.pendo.io/data/track", body=body, headers=headers)
    assert conn.getresponse().status == 200
    conn.close()
    assert len(emu.events) == 1


def test_keep_alive_serves_several_requests_on_one_connection(emu: Emulator) -> None:
    conn = http.client.HTTPConnection(emu.url.removeprefix("http://"), timeout=10)
    for path in ("/api/v1/token/verify", "/api/v1/visitor/nobody", "/api/v1/token/verify"):
        conn.request("GET", path, headers=AUTH)
        response = conn.getresponse()
        response.read()
        assert not response.will_close
    sock = conn.sock
    conn.request("GET", "/api/v1/token/verify", headers=AUTH)
    assert conn.getresponse().status == 200
    assert conn.sock is sock  # the same connection was reused throughout
    conn.close()


def test_handler_exception_is_500_and_server_survives(emu: Emulator) -> None:
    host, port = emu.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /data/track HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 500")
    assert call(emu, "GET", "/api/v1/token/verify").status_code == 200


def test_concurrent_creates_are_all_stored(emu: Emulator) -> None:
    updated: list[int] = []

    def create(n: int) -> None:
        rows = [{"visitorId": f"v{n}-{i}", "values": {"n": n}} for i in range(10)]
        updated.append(bulk(emu, "visitor", "custom", rows, "?create=true").json()["updated"])

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert updated == [10] * 8
    assert all(emu.record("visitor", f"v{n}-{i}") is not None for n in range(8) for i in range(10))
    assert sum(entry["rows"] for entry in emu.requests_log) == 80


def test_stop_releases_the_port() -> None:
    emulator = Emulator(KEY).start()
    url = emulator.url
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/v1/token/verify", headers=AUTH, timeout=2)
    with pytest.raises(RuntimeError):
        _ = emulator.url


def test_usage_mistakes_starting_the_emulator_are_usage_errors_not_bugs() -> None:
    from click.testing import CliRunner

    from pendo_sync.cli import main

    no_key = CliRunner().invoke(main, ["emulator"], env={"PENDO_INTEGRATION_KEY": ""})
    assert no_key.exit_code == 2
    assert "Set PENDO_INTEGRATION_KEY" in no_key.output and "bug" not in no_key.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = CliRunner().invoke(main, ["emulator", "--port", str(port)], env={"PENDO_INTEGRATION_KEY": KEY})
    assert busy.exit_code == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in busy.output and "--port" in busy.output
    assert "bug" not in busy.output


def test_rate_limit_answers_429_per_endpoint_and_refills() -> None:
    """Each method and path has its own bucket of `rate_limit` tokens; a refused request costs none."""
    now = [0.0]
    limits = Limits(clock=lambda: now[0])
    limits.configure({"rate_limit": 2, "retry_after": True})
    track, bulk = "POST /data/track", "POST /api/v1/metadata/visitor/custom/value"
    assert [limits.admit(track) for _ in range(3)] == [None, None, 0.5]
    assert limits.admit(bulk) is None  # another endpoint: its own bucket
    assert limits.headers(0.5) == {"Retry-After": "1"}
    now[0] = 0.5
    assert limits.admit(track) is None and limits.admit(track) == 0.5
    assert limits.throttled == 2


@pytest.mark.parametrize(
    "settings",
    [{"rate_limit": 0}, {"rate_limit": "10"}, {"latency": -1}, {"latency": True}, {"retry_after": 1}],
)
def test_limit_knobs_are_validated(settings: dict[str, Any]) -> None:
    with Emulator(KEY) as emu:
        answer = requests.post(f"{emu.url}/_emulator/settings", json=settings, timeout=5)
    assert answer.status_code == 400 and b"must be" in answer.content


def test_the_emulator_limits_and_delays_over_http_but_never_its_own_api() -> None:
    event = {"type": "track", "event": "Limited", "visitorId": "v1", "timestamp": 1_700_000_000_000}
    with Emulator(KEY, SECRET) as emu:
        set_to = {"rate_limit": 1, "latency": 0.01, "retry_after": True}
        assert requests.post(f"{emu.url}/_emulator/settings", json=set_to, timeout=5).status_code == 200
        first = requests.post(f"{emu.url}/data/track", json=event, headers=TRACK_AUTH, timeout=5)
        second = requests.post(f"{emu.url}/data/track", json=event, headers=TRACK_AUTH, timeout=5)
        assert (first.status_code, second.status_code) == (200, 429)
        assert second.headers["Retry-After"] == "1"
        for _ in range(3):
            assert requests.get(f"{emu.url}/_emulator/requests", timeout=5).status_code == 200
        assert [r["status"] for r in emu.requests_log] == [200, 429]
        assert emu.limits.describe() == {**set_to, "throttled": 1}
