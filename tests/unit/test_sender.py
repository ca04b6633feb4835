"""Accounting of one answered batch: each row counted once, with the worst outcome of its groups."""

from __future__ import annotations

from pendo_sync.report import ModelResult
from pendo_sync.row_outcome import MISSING, REJECTED, RowOutcome
from pendo_sync.sender import UNSENT, Batch, Request
from pendo_sync.state import StateWrite


def no_send() -> list[RowOutcome]:
    raise AssertionError("not sent in this test")


def test_each_row_gets_the_worst_outcome_of_its_groups() -> None:
    batch = Batch(rows=5, sending=4)
    agent = Request("agent", ["a", "b", "e"], ["ha", "hb", "he"], no_send)
    custom = Request("custom", ["a", "b", "c"], ["Ha", "Hb", "Hc"], no_send)
    batch.requests += [agent, custom]
    batch.settle("agent", "c", UNSENT, "hc")  # nothing to send for c's agent group; its custom group is sent
    batch.settle("agent", "d", UNSENT, "hd")  # d: nothing to send at all
    batch.settle("custom", "e", REJECTED, reason="not an integer")  # e: agent sent, custom rejected here
    batch.answer(agent, [])
    batch.answer(custom, [RowOutcome("a", MISSING, "not found in Pendo")])
    result = ModelResult("m", "visitor")
    batch.count(result)
    assert (result.sent, result.updated, result.missing, result.rejected, result.unsent) == (4, 2, 1, 1, 1)
    assert [(p.id, p.group, p.outcome) for p in result.problems] == [
        ("e", "custom", REJECTED),
        ("a", "custom", MISSING),
    ]
    assert batch.acknowledged == {
        "agent": [("c", "hc"), ("d", "hd"), ("a", "ha"), ("b", "hb"), ("e", "he")],
        "custom": [("b", "Hb"), ("c", "Hc")],
    }


def test_merged_state_writes_keep_every_row_of_both() -> None:
    first = StateWrite("m", "r", {"agent": [("a", "h1")]}, {"agent": {"a"}}, {})
    second = StateWrite(
        "m",
        "r",
        {"agent": [("b", "h2")], "custom": [("b", "H2")]},
        {"custom": {"b"}},
        {"custom": [RowOutcome("c", MISSING, "not found")]},
    )
    first.absorb(second)
    assert first.acknowledged == {"agent": [("a", "h1"), ("b", "h2")], "custom": [("b", "H2")]}
    assert first.replaced == {"agent": {"a"}, "custom": {"b"}}
    assert first.problems == {"custom": [RowOutcome("c", MISSING, "not found")]}
