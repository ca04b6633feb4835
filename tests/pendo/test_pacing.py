"""Pacing: the rate, and how many requests are in flight (fixed `--threads N`, or adaptive to Pendo's
answer time with `--threads auto`), checked alone and against the emulator answering late."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.pendo.client import TRACK_ENDPOINT, ClientOptions, PendoClient
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.pendo.pacing import AUTO_THREADS, BACKOFF_SHARE, MIN_RPS, AdaptiveLimiter, schedule
from pendo_sync.settings import settings_from_env

KEY, SECRET = "pacing-key", "pacing-secret"
EVENT = {"type": "track", "event": "Paced", "visitorId": "v1", "timestamp": 1_700_000_000_000}


def test_a_429_sets_the_rate_just_under_what_pendo_accepted_over_the_last_second() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=8)
    for _ in range(10):
        limiter.wait_turn()
        limiter.succeeded()
    limiter.wait_turn()
    limiter.throttled()
    assert limiter.rps == pytest.approx(10 * BACKOFF_SHARE)
    assert limiter.concurrency == 8  # a rate limit: what is in flight stays


def test_a_429_with_nothing_accepted_lately_halves_the_rate_down_to_the_floor() -> None:
    limiter = AdaptiveLimiter(max_rps=8, max_concurrency=4)
    rates = []
    for _ in range(3):
        limiter.wait_turn()
        limiter.throttled()
        rates.append(limiter.rps)
    assert rates == pytest.approx([4 * BACKOFF_SHARE, 2 * BACKOFF_SHARE**2, MIN_RPS])


def test_answers_to_requests_sent_before_a_cut_do_not_cut_again() -> None:
    """The requests in flight when Pendo starts refusing all come back 429: one episode, one cut. Halving
    per 429 took the rate to 1 request/s within a second against a limit of 10."""
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=8)
    limiter.wait_turn()
    limiter.throttled()
    after_one = limiter.rps
    for _ in range(5):
        limiter.throttled()  # same thread, no new turn: a request sent before the cut
    assert limiter.rps == after_one and limiter.throttles == 6
    limiter.wait_turn()  # sent after the cut, and still refused: cut again
    limiter.throttled()
    assert limiter.rps < after_one


def test_retry_after_holds_the_whole_endpoint_back() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=8)
    limiter.wait_turn()
    limiter.throttled(retry_after=0.3)
    start = time.monotonic()
    limiter.wait_turn()
    assert time.monotonic() - start >= 0.29


def test_without_throttling_the_rate_grows_back_to_the_maximum() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=8)
    limiter.wait_turn()
    limiter.throttled()
    low = limiter.rps
    time.sleep(0.2)
    limiter.succeeded()
    assert limiter.rps > low
    limiter._grown_at -= 1000  # a long calm
    limiter.succeeded()
    assert limiter.rps == 100


def test_limiter_paces_requests() -> None:
    limiter = AdaptiveLimiter(max_rps=50, max_concurrency=4)
    start = time.monotonic()
    for _ in range(11):
        with limiter.slot():
            pass
    assert time.monotonic() - start >= 0.19  # 10 intervals of 20 ms


@given(
    st.floats(MIN_RPS, 10_000),
    st.lists(st.floats(0, 0.05), min_size=1, max_size=300),
)
def test_schedule_keeps_the_rate_and_holds_back_no_request_that_keeps_it(
    rps: float, gaps: list[float]
) -> None:
    """Requests asked for `gaps` apart: in any window at most as many start as the rate allows, none before
    it was asked for, and one asked for a whole interval after the previous start goes at once."""
    interval, due, now = 1.0 / rps, 0.0, 0.0
    starts: list[float] = []
    for gap in gaps:
        now += gap
        start, due = schedule(now, due, interval)
        assert start >= now
        if starts and now >= starts[-1] + interval:
            assert start == now
        starts.append(start)
    for i, first in enumerate(starts):
        for j in range(i + 1, len(starts)):
            assert j - i <= (starts[j] - first) / interval * (1 + 1e-9) + 1e-9


def test_fixed_concurrency_ignores_answer_time() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=6)
    for _ in range(50):
        limiter.succeeded(2.0)
    assert limiter.concurrency == limiter.goal() == 6


def test_adaptive_grows_to_rate_times_answer_time() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=AUTO_THREADS[1], adaptive=True)
    assert limiter.concurrency == AUTO_THREADS[0] == 4  # loopback-fast answers never need more
    for _ in range(20):
        limiter.succeeded(0.1)
    # 100 requests/s at 0.1 s per answer: 10 in flight, 25% more so slow answers do not idle the rate
    assert limiter.goal() == 13 and limiter.concurrency == 13
    for _ in range(40):
        limiter.succeeded(1.0)  # bulk calls of a second: 125 wanted, capped
    assert limiter.concurrency == AUTO_THREADS[1]
    for _ in range(100):
        limiter.succeeded(0.001)  # answers got fast again: no more in flight than the floor
    assert limiter.concurrency == AUTO_THREADS[0]


def test_adaptive_ignores_retried_answers() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=32, adaptive=True)
    for _ in range(30):
        limiter.succeeded(0.2)  # goal 25
    assert limiter.concurrency == 25
    limiter.succeeded(None)  # a retried request: its time includes its waits, so it says nothing
    assert limiter.answer_time == pytest.approx(0.2)


@given(
    st.integers(1, 64),
    st.floats(MIN_RPS, 10_000),
    st.booleans(),
    st.lists(st.one_of(st.none(), st.floats(0, 600), st.just("429")), max_size=200),
)
def test_limiter_stays_within_its_bounds(
    max_concurrency: int, max_rps: float, adaptive: bool, answers: list[float | str | None]
) -> None:
    limiter = AdaptiveLimiter(max_rps, max_concurrency, adaptive=adaptive)
    for answer in answers:
        if answer == "429":
            limiter.throttled()
        else:
            assert not isinstance(answer, str)
            limiter.succeeded(answer)
        assert 1 <= limiter.concurrency <= max_concurrency
        assert 1 <= limiter.goal() <= max_concurrency
        assert MIN_RPS <= limiter.rps <= max_rps


@pytest.fixture
def late_emulator() -> Iterator[Emulator]:
    """Track answered 0.2 s late: a distant Pendo."""
    with Emulator(KEY, SECRET) as emu:
        emu.faults.set(parse_faults([{"match": "/data/track", "delay": 0.2}]))
        yield emu


def client_for(emulator: Emulator, threads: int | None) -> PendoClient:
    settings = settings_from_env(
        {"PENDO_INTEGRATION_KEY": KEY, "PENDO_TRACK_EVENT_SECRET": SECRET, "PENDO_BASE_URL": emulator.url}
    )
    return PendoClient(settings, ClientOptions(threads=threads))


def send_events(emulator: Emulator, threads: int | None, count: int) -> PendoClient:
    client = client_for(emulator, threads)
    with ThreadPoolExecutor(client.options.workers) as pool:
        outcomes = list(pool.map(lambda i: client.post_track(f"e{i}", EVENT), range(count)))
    client.close()
    assert outcomes == [None] * count  # every event received
    return client


def test_auto_puts_as_many_in_flight_as_a_late_pendo_needs(late_emulator: Emulator) -> None:
    client = send_events(late_emulator, None, 120)
    limiter = client.limiter(TRACK_ENDPOINT)
    assert limiter.answer_time is not None and limiter.answer_time >= 0.2
    assert limiter.concurrency >= 25  # 100/s x 0.2 s x 1.25
    assert late_emulator.peak_in_flight > AUTO_THREADS[0]


def test_a_fixed_thread_count_bounds_what_is_in_flight(late_emulator: Emulator) -> None:
    client = send_events(late_emulator, 3, 12)
    assert client.limiter(TRACK_ENDPOINT).concurrency == 3
    assert late_emulator.peak_in_flight == 3


def test_a_retried_answer_tells_nothing_of_answer_time() -> None:
    with Emulator(KEY, SECRET) as emulator:
        emulator.faults.set(parse_faults([{"match": "/data/track", "status": 503, "times": 1}]))
        client = client_for(emulator, None)
        limiter = client.limiter(TRACK_ENDPOINT)
        assert client.post_track("e1", EVENT) is None  # received at the second try, after a backoff
        assert limiter.answer_time is None
        assert client.post_track("e2", EVENT) is None  # at the first try
        assert limiter.answer_time is not None and limiter.answer_time < 5
        client.close()


def test_two_endpoints_under_a_per_endpoint_limit_go_together_and_meet_few_429s() -> None:
    """At a limit of 10/s per endpoint, halving per 429 and a shared pace met 84 429s in 120 requests."""
    with Emulator(KEY, SECRET) as emulator:
        emulator.seed({"schema": {"visitor": {"agent": {"a": "string"}, "custom": {"b": "string"}}}})
        emulator.limits.configure({"rate_limit": 10, "latency": 0.02})
        client = client_for(emulator, None)

        def post(i: int) -> list[object]:
            group, field = ("agent", "a") if i % 2 else ("custom", "b")
            entries = [{"visitorId": f"v{i}", "values": {field: "x"}}]
            return list(client.post_metadata("visitor", group, entries, [f"v{i}"], create=True))

        with ThreadPoolExecutor(client.options.workers) as pool:
            outcomes = list(pool.map(post, range(60)))
        client.close()
    assert outcomes == [[]] * 60
    assert emulator.limits.throttled <= 12  # the first second's overshoot from 100/s, and a few more
    paths = [r["path"].split("/")[5] for r in emulator.requests_log if r["status"] == 200]
    last = {group: len(paths) - paths[::-1].index(group) for group in ("agent", "custom")}
    assert paths.index("agent") < last["custom"] and paths.index("custom") < last["agent"]  # together
