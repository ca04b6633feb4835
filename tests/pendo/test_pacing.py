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
from pendo_sync.pendo.pacing import AUTO_THREADS, EARLY, MIN_RPS, AdaptiveLimiter, schedule
from pendo_sync.settings import settings_from_env

KEY, SECRET = "pacing-key", "pacing-secret"
EVENT = {"type": "track", "event": "Paced", "visitorId": "v1", "timestamp": 1_700_000_000_000}


def test_limiter_halves_on_throttle_and_recovers_slowly() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=8)
    limiter.throttled()
    limiter.throttled()
    assert (limiter.rps, limiter.concurrency) == (25, 2)
    for _ in range(20):
        limiter.succeeded()
    assert limiter.rps == 65 and limiter.concurrency == 3
    for _ in range(1000):
        limiter.succeeded()
    assert (limiter.rps, limiter.concurrency) == (100, 8)


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
    """Requests asked for `gaps` apart: in any window as many start as the rate allows and EARLY more, none
    before it was asked for, and one asked for a whole interval after the previous start goes at once."""
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
            assert j - i <= (starts[j] - first + EARLY) / interval * (1 + 1e-9) + 1e-9


def test_schedule_lets_requests_go_together_within_early_then_spaces_them() -> None:
    """At 10,000/s four answers arriving together must not each sleep a tenth of a millisecond: sleeps that
    short wake late, and strict spacing held events well under the rate asked for."""
    due, starts = 5.0, []
    for _ in range(24):
        start, due = schedule(5.0, due, 1e-4)
        starts.append(start)
    assert starts[:21] == [5.0] * 21  # EARLY is 20 intervals
    assert starts[21:] == pytest.approx([5.0001, 5.0002, 5.0003])


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


def test_adaptive_ignores_retried_answers_and_recovers_slowly_after_429() -> None:
    limiter = AdaptiveLimiter(max_rps=100, max_concurrency=32, adaptive=True)
    for _ in range(30):
        limiter.succeeded(0.2)  # goal 25
    assert limiter.concurrency == 25
    limiter.succeeded(None)  # a retried request: its time includes backoff, so it says nothing
    assert limiter.answer_time == pytest.approx(0.2)
    limiter.throttled()
    assert (limiter.rps, limiter.concurrency) == (50, 12)
    for _ in range(19):
        limiter.succeeded(0.2)
    assert limiter.concurrency == 12  # after a 429, one more in flight per 20 answers, not per answer
    limiter.succeeded(0.2)
    assert limiter.concurrency == 13


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
