"""verify's judgement of one field: the model's value as sync converts it, against what Pendo returns."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from pendo_sync.verify_compare import (
    DIFFER,
    MATCH,
    MISSING,
    NULL,
    REJECTED,
    Tally,
    compared_field,
    judge,
    pendo_text,
    same,
)


def outcome(pendo_type: str, model: Any, pendo: Any, *, nulls: str = "skip", present: bool = True) -> Any:
    f = compared_field("custom", "x", "col", pendo_type, 0, 1)
    return judge(f, (model, pendo_text(pendo)), present, nulls)


@pytest.mark.parametrize(
    ("pendo_type", "model", "pendo"),
    [
        ("time", datetime(2024, 1, 15, 9, 30), 1705311000000),  # naive timestamps are UTC
        ("time", datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc), 1705314600000),
        ("time", date(2024, 1, 15), 1705276800000),
        ("time", 1705311000, 1705311000000),  # epoch seconds, as sync reads them
        ("time", "2024-01-15T09:30:00Z", 1705311000000),
        ("number", Decimal("12.00"), 12),
        ("number", 12, 12.0),  # Pendo may give a whole number back as a float
        ("float", Decimal("120000.50"), 120000.5),
        ("integer", "7", 7),
        ("boolean", "yes", True),
        ("string", date(2024, 1, 15), "2024-01-15"),
        ("list", ["a", "b"], ["a", "b"]),
        ("", 3, 3),
    ],
)
def test_a_value_as_sync_sends_it_matches(pendo_type: str, model: Any, pendo: Any) -> None:
    assert outcome(pendo_type, model, pendo).outcome == MATCH


@pytest.mark.parametrize(
    ("pendo_type", "model", "pendo", "shown"),
    [
        ("time", 1705311000, 1705311000001, ("1705311000001", "1705311000000")),
        ("boolean", True, 1, ("1", "true")),  # a number is not a boolean in Pendo
        ("number", 1, True, ("true", "1")),
        ("string", "7", 7, ("7", '"7"')),
        ("string", "Ada", None, ("null", '"Ada"')),  # never set reads null
        ("list", ["a", "b"], ["b", "a"], ('["b","a"]', '["a","b"]')),
    ],
)
def test_a_different_value_is_reported_with_both_sides(
    pendo_type: str, model: Any, pendo: Any, shown: tuple[str, str]
) -> None:
    verdict = outcome(pendo_type, model, pendo)
    assert (verdict.outcome, verdict.pendo, verdict.model) == (DIFFER, *shown)


def test_nulls_skip_is_not_compared_and_nulls_clear_expects_null() -> None:
    assert outcome("string", None, "kept by Pendo").outcome == NULL
    assert outcome("string", None, None, nulls="clear").outcome == MATCH
    cleared = outcome("string", None, "kept", nulls="clear")
    assert (cleared.outcome, cleared.pendo, cleared.model) == (DIFFER, '"kept"', "null")


def test_a_record_pendo_lacks_is_missing_and_a_value_sync_rejects_is_never_expected() -> None:
    assert outcome("string", "Ada", None, present=False).outcome == MISSING
    rejected = outcome("integer", "many", None)
    assert rejected.outcome == REJECTED
    assert rejected.model == "rejected by sync: not a number"


def test_same_is_json_equality_by_type() -> None:
    assert same({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not same({"a": 1}, {"a": 1, "b": None})
    assert not same(0, False) and not same(None, "")


def test_tally_counts_each_outcome() -> None:
    tally = Tally()
    for o in (MATCH, DIFFER, MISSING, NULL, REJECTED, DIFFER):
        tally.add(o)
    assert tally.counts == {MATCH: 1, DIFFER: 2, MISSING: 1, NULL: 1, REJECTED: 1}
