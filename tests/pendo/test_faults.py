"""The client against the emulator's injected faults: what is retried, what is not, and what lands."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pendo_sync.errors import PendoAuthError, PendoUnavailable
from pendo_sync.pendo.client import ClientOptions, PendoClient, json_array
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.pendo.pacing import AdaptiveLimiter
from pendo_sync.row_outcome import FAILED, REJECTED, UPDATED
from pendo_sync.settings import settings_from_env

KEY = "fault-test-key"
IDS = [f"v{i}" for i in range(8)]
ENTRIES = [{"visitorId": i, "values": {"plan": "pro"}} for i in IDS]
BULK = "/api/v1/metadata/visitor/custom/value"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(KEY, "track") as emu:
        emu.seed({"visitors": IDS, "schema": {"visitor": {"custom": {"plan": "string"}}}})
        yield emu


def client_for(emulator: Emulator, **options: Any) -> PendoClient:
    """Resends at once (backoff 0) unless a test needs the wait: the retries are what is tested."""
    settings = settings_from_env({"PENDO_INTEGRATION_KEY": KEY, "PENDO_BASE_URL": emulator.url})
    return PendoClient(settings, ClientOptions(**{"backoff": 0.0, **options}))


def faults(emulator: Emulator, *rules: dict[str, Any]) -> None:
    emulator.faults.set(parse_faults(list(rules)), seed=7)


def post(client: PendoClient) -> list[str]:
    """Each id's outcome; the client lists only the rows Pendo did not update."""
    problems = {
        p.record_id: p.outcome for p in client.post_metadata("visitor", "custom", ENTRIES, IDS, create=False)
    }
    return [problems.get(i, UPDATED) for i in IDS]


def bulk_requests(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests_log if r["path"] == BULK)


@pytest.mark.parametrize(
    "rule",
    [
        {"status": 429, "retry_after": 1},
        {"status": 429, "retry_after": 1, "retry_after_format": "date"},
        {"status": 429},
        {"status": 409},
        {"status": 500},
        {"status": 502},
        {"status": 503},
        {"status": 504},
        {"status": 408},
        {"drop": "before"},
        {"drop": "after"},
        {"delay": 1.5},
    ],
    ids=lambda r: "-".join(f"{k}={v}" for k, v in r.items()),
)
def test_transient_faults_are_retried_until_pendo_acknowledges(
    emulator: Emulator, rule: dict[str, Any]
) -> None:
    faults(emulator, {"match": BULK, "times": 2, **rule})
    client = client_for(emulator, timeout=1.0)
    assert post(client) == [UPDATED] * 8
    assert emulator.record("visitor", "v3")["custom"] == {"plan": "pro"}  # type: ignore[index]
    assert emulator.faults.describe()[0]["hits"] == 2
    if "delay" not in rule:  # a delayed request is logged once answered, maybe after the retry's
        assert bulk_requests(emulator) == 3  # the log counts faulted requests too


@pytest.mark.parametrize("status", [429, 409])
def test_429_and_409_lower_the_rate_of_their_endpoint_only(emulator: Emulator, status: int) -> None:
    faults(emulator, {"match": BULK, "times": 1, "status": status})
    client = client_for(emulator, max_rps=100, threads=4)
    assert post(client) == [UPDATED] * 8
    throttled = client.limiter("metadata/visitor/custom")
    assert throttled.rps < 100 and throttled.throttles == 1
    assert throttled.concurrency == 4  # a rate limit, not a concurrency limit
    untouched = client.limiter("track")  # Pendo limits each endpoint on its own: so do we
    assert (untouched.rps, untouched.concurrency, untouched.throttles) == (100, 4, 0)


@pytest.mark.parametrize("how", ["empty", "truncated", "non_json", "bad_counts"])
def test_a_200_we_cannot_read_acknowledges_nothing(emulator: Emulator, how: str) -> None:
    faults(emulator, {"match": BULK, "corrupt": how})
    result = client_for(emulator).post_metadata("visitor", "custom", ENTRIES, IDS, create=False)
    assert [(o.record_id, o.outcome) for o in result] == [(i, FAILED) for i in IDS]
    assert bulk_requests(emulator) == 1  # answered: not retried now, resent next run


def test_rows_pendo_never_answered_say_why(emulator: Emulator) -> None:
    faults(emulator, {"match": BULK, "drop": "before"})
    result = client_for(emulator, retries=0).post_metadata("visitor", "custom", ENTRIES, IDS, create=False)
    assert {(o.outcome, o.reason) for o in result} == {
        (FAILED, "no answer from Pendo after retries: Connection aborted: Remote end closed connection "
         "without response")
    }  # fmt: skip


def test_a_dead_pendo_ends_the_run_with_a_clear_error(emulator: Emulator) -> None:
    faults(emulator, {"match": BULK, "status": 503})
    client = client_for(emulator, retry_budget=1.0, backoff=0.5)  # backoffs outlast the budget
    start = time.monotonic()
    with pytest.raises(PendoUnavailable, match="no usable answer for over 1 s"):
        post(client)
    assert time.monotonic() - start < 30


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_without_retrying(emulator: Emulator, status: int) -> None:
    faults(emulator, {"match": BULK, "status": status})
    with pytest.raises(PendoAuthError, match="Check PENDO_INTEGRATION_KEY") as info:
        post(client_for(emulator))
    assert KEY not in str(info.value)
    assert emulator.faults.describe()[0]["hits"] == 1


def test_a_404_is_not_retried_and_fails_the_rows_without_blaming_them(emulator: Emulator) -> None:
    """The bulk path names no id: a 404 is a missing endpoint or access, not the rows' fault."""
    faults(emulator, {"match": BULK, "status": 404})
    assert set(post(client_for(emulator))) == {FAILED}
    assert emulator.faults.describe()[0]["hits"] == 1


@pytest.mark.parametrize(("status", "outcome"), [(404, FAILED), (400, REJECTED), (503, FAILED)])
def test_track_and_bulk_read_a_status_the_same_way(emulator: Emulator, status: int, outcome: str) -> None:
    faults(emulator, {"match": BULK, "status": status}, {"match": "/data/track", "status": status})
    settings = settings_from_env(
        {"PENDO_INTEGRATION_KEY": KEY, "PENDO_TRACK_EVENT_SECRET": "track", "PENDO_BASE_URL": emulator.url}
    )
    client = PendoClient(settings, ClientOptions(retries=0))
    event = {"type": "track", "event": "e", "visitorId": "v0", "timestamp": 1}
    track = client.post_track("e1", event)
    bulk = client.post_metadata("visitor", "custom", ENTRIES[:1], IDS[:1], create=False)
    client.close()
    assert track is not None and track.outcome == outcome
    assert [o.outcome for o in bulk] == [outcome]


def test_a_batch_rejected_whole_is_split_until_the_bad_row_is_isolated(emulator: Emulator) -> None:
    emulator.unknown_field = "reject400"  # Pendo answers 400 for the whole request
    entries = [dict(e) for e in ENTRIES]
    entries[5] = {"visitorId": "v5", "values": {"no_such_field": 1}}
    result = client_for(emulator).post_metadata("visitor", "custom", entries, IDS, create=False)
    (rejected,) = result  # only v5 was not updated
    assert (rejected.record_id, rejected.outcome) == ("v5", REJECTED)
    assert "HTTP 400" in rejected.reason
    assert bulk_requests(emulator) == 7  # 8 -> 4+4 -> (2+2) -> (1+1): 1 + 2 + 2 + 2
    assert emulator.record("visitor", "v7")["custom"] == {"plan": "pro"}  # type: ignore[index]


def test_errors_naming_no_row_split_the_batch_until_each_names_its_row(emulator: Emulator) -> None:
    emulator.bare_errors = True  # {"errors": ["..."]}: which row Pendo means is left open
    entries = [dict(e) for e in ENTRIES]
    entries[2] = {"visitorId": "v2", "values": {"plan": 42}}  # a number for a string field
    result = client_for(emulator).post_metadata("visitor", "custom", entries, IDS, create=False)
    assert [(o.record_id, o.outcome) for o in result] == [("v2", REJECTED)]
    assert "string" in result[0].reason
    assert all(emulator.record("visitor", i)["custom"] == {"plan": "pro"} for i in IDS if i != "v2")  # type: ignore[index]


def test_a_batch_whose_every_row_has_an_unnamed_error_is_not_split(emulator: Emulator) -> None:
    emulator.bare_errors = True  # halves would say the same: splitting would cost ~2n requests for nothing
    entries = [{"visitorId": i, "values": {"plan": 42}} for i in IDS]
    result = client_for(emulator).post_metadata("visitor", "custom", entries, IDS, create=False)
    assert {o.outcome for o in result} == {FAILED} and len(result) == 8
    assert bulk_requests(emulator) == 1


def test_a_413_splits_the_batch_like_a_400(emulator: Emulator) -> None:
    faults(emulator, {"match": BULK, "status": 413, "times": 1})
    assert post(client_for(emulator)) == [UPDATED] * 8
    assert [r["rows"] for r in emulator.requests_log if r["path"] == BULK] == [8, 4, 4]


def test_a_batch_over_its_byte_limit_is_sent_in_halves_and_every_row_lands(emulator: Emulator) -> None:
    body = json_array(ENTRIES)
    limit = len(body) // 3  # the whole batch and its halves are over it; its quarters are not
    assert len(json_array(ENTRIES[:2])) <= limit < len(json_array(ENTRIES[:4]))
    result = client_for(emulator).post_metadata(
        "visitor", "custom", ENTRIES, IDS, create=False, max_bytes=limit
    )
    assert result == []  # every row updated
    sent = [r["rows"] for r in emulator.requests_log if r["path"] == BULK]
    assert sent == [2, 2, 2, 2]
    assert all(emulator.record("visitor", i)["custom"] == {"plan": "pro"} for i in IDS)  # type: ignore[index]


def test_a_single_record_over_the_byte_limit_is_still_sent(emulator: Emulator) -> None:
    client = client_for(emulator)
    assert client.post_metadata("visitor", "custom", ENTRIES[:1], IDS[:1], create=False, max_bytes=1) == []
    assert bulk_requests(emulator) == 1


def test_retry_after_is_clamped() -> None:
    from pendo_sync.pendo.pacing import MAX_RETRY_AFTER, PendoRetry

    class Response:
        def __init__(self) -> None:
            self.headers = {"Retry-After": "86400"}

        def getheader(self, name: str) -> str | None:
            return self.headers.get(name)

    assert PendoRetry().get_retry_after(Response()) == MAX_RETRY_AFTER  # type: ignore[arg-type]


def test_a_host_that_refuses_connections_is_given_up_sooner_than_one_that_fails_answers() -> None:
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

    from pendo_sync.pendo.pacing import CONNECT_RETRIES, Health, retry_policy

    def attempts(error: Exception) -> int:
        retry = retry_policy(AdaptiveLimiter(100, 4), Health(budget=3600), attempts=8)
        for attempt in range(1, 20):
            try:
                retry = retry.increment("POST", "/api/v1/metadata", error=error)
            except MaxRetryError:
                return attempt
        raise AssertionError("never gave up")

    refused = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    assert attempts(refused) == CONNECT_RETRIES + 1 == 4
    assert attempts(ProtocolError("Connection aborted.", ConnectionResetError())) == 9


def test_backoff_sets_the_wait_between_resends_and_zero_resends_at_once() -> None:
    from urllib3.exceptions import ProtocolError

    from pendo_sync.pendo.pacing import Health, retry_policy

    def wait_before_third_resend(backoff: float) -> float:
        retry = retry_policy(AdaptiveLimiter(100, 4), Health(budget=3600), backoff=backoff)
        for _ in range(3):
            retry = retry.increment("POST", "/api/v1/metadata", error=ProtocolError("Connection aborted."))
        return retry.get_backoff_time()

    assert wait_before_third_resend(0.0) == 0.0
    assert 2.0 <= wait_before_third_resend(0.5) <= 2.5  # 0.5 x 2^(3 - 1), plus up to 0.5 of jitter


def test_faults_endpoint_validates_rules(emulator: Emulator) -> None:
    bad = requests.post(
        f"{emulator.url}/_emulator/faults", json={"faults": [{"drop": "sideways"}]}, timeout=5
    )
    assert bad.status_code == 400 and b"drop must be one of" in bad.content
    ok = requests.post(
        f"{emulator.url}/_emulator/faults", json={"faults": [{"status": 503, "times": 1}]}, timeout=5
    )
    assert ok.status_code == 200
    assert requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json()["faults"][0]["status"] == 503
