"""Which models sync at once: never two that share a Pendo endpoint, never more than the slots, every
model once, and report lines in manifest order whatever order the models finish in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.scheduling import InOrder, Scheduler

ENDPOINTS = (
    "metadata/visitor/agent",
    "metadata/visitor/custom",
    "metadata/account/custom",
    "track",
    "segment/a",
)
uses_strategy = st.lists(st.frozensets(st.sampled_from(ENDPOINTS), max_size=3), max_size=8)


def test_a_metadata_model_and_an_event_model_start_together_a_second_visitor_model_waits() -> None:
    visitors = frozenset({"metadata/visitor/agent", "metadata/visitor/custom"})
    more_visitors = frozenset({"metadata/visitor/custom"})
    scheduler = Scheduler([visitors, more_visitors, frozenset({"track"})], slots=4)
    assert scheduler.start() == [0, 2]
    assert scheduler.waiting == [1]
    assert scheduler.start() == []
    scheduler.done(2)
    assert scheduler.start() == []  # the track model is done, but the visitor endpoints are in use
    scheduler.done(0)
    assert scheduler.start() == [1]


def test_one_slot_is_one_model_at_a_time_in_manifest_order() -> None:
    scheduler = Scheduler([frozenset({"track"}), frozenset({"segment/a"}), frozenset()], slots=1)
    order = []
    while started := scheduler.start():
        assert len(started) == 1
        order += started
        scheduler.done(started[0])
    assert order == [0, 1, 2]


@given(uses_strategy, st.integers(1, 4), st.randoms(use_true_random=False))
def test_every_model_runs_once_never_beside_one_sharing_an_endpoint(uses, slots, random) -> None:  # type: ignore[no-untyped-def]
    scheduler = Scheduler(uses, slots)
    running: list[int] = []
    ran: list[int] = []
    while True:
        started = scheduler.start()
        running += started
        ran += started
        assert len(running) <= slots
        for i in running:
            for j in running:
                assert i == j or not uses[i] & uses[j]
        if not running:
            break
        finished = running.pop(random.randrange(len(running)))
        scheduler.done(finished)
    assert sorted(ran) == list(range(len(uses)))
    assert scheduler.waiting == []


@given(st.permutations(list(range(6))))
def test_lines_come_in_manifest_order_whatever_order_models_finish_in(order: list[int]) -> None:
    shown: list[int] = []
    finished: set[int] = set()
    in_order = InOrder()
    for index in order:
        finished.add(index)
        ready = in_order.finished(index)
        assert set(ready) <= finished  # a model is never shown before it finished...
        shown += ready
        assert shown == list(range(len(shown)))  # ...nor before those before it...
        assert len(shown) == min(set(range(7)) - finished)  # ...and as soon as they are all done
    assert shown == list(range(6))
