"""Accounting of one answered batch: each row counted once, with the worst outcome of its groups."""

from __future__ import annotations

from pendo_sync.report import ModelResult
from pendo_sync.row_outcome import MISSING, REJECTED, RowOutcome
from pendo_sync.sender import UNSENT, Batch, Request
from pendo_sync.state_writes import TOMBSTONE, Chunk, StateWrite


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


def test_a_chunk_keeps_each_keys_latest_entry_and_every_problem() -> None:
    """A key a write replaces gets a tombstone unless that write (or a later one) acknowledges it."""
    first = StateWrite("m", "r", {"agent": [("a", "h1")]}, {"agent": {"a", "x"}}, {})
    second = StateWrite(
        "m",
        "r",
        {"agent": [("b", "h2"), ("x", "hx")], "custom": [("b", "H2")]},
        {"custom": {"b", "c"}},
        {"custom": [RowOutcome("c", MISSING, "not found")]},
    )
    chunk = Chunk("m", "r")
    chunk.add(first)
    chunk.add(second)
    assert chunk.entries == {
        "agent": {"a": "h1", "x": "hx", "b": "h2"},
        "custom": {"b": "H2", "c": TOMBSTONE},
    }
    assert chunk.problems == {"custom": [RowOutcome("c", MISSING, "not found")]}
    assert chunk.size == 6
