"""What `verify` decides about one field of one record: Pendo's value against the model's. Pure.

The model's value goes through the very conversion `sync` sends it with (coercion.py, by the type of
Pendo's field), so a value sync would send unchanged matches what Pendo holds after that send: a
timestamp is compared as the epoch milliseconds Pendo returns, `12.00` in a number field as 12.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from pendo_sync.coercion import coercer

if TYPE_CHECKING:
    from collections.abc import Sequence

MATCH = "match"
DIFFER = "differ"
MISSING = "missing"  # Pendo has no record of this id
NULL = "null"  # NULL in the model under `nulls: skip`: sync leaves Pendo's value alone, so no match expected
REJECTED = "rejected"  # sync rejects this value (it cannot become the field's type): never sent
OUTCOMES = (MATCH, DIFFER, MISSING, NULL, REJECTED)
LABELS = {
    MATCH: "match",
    DIFFER: "differ",
    MISSING: "missing in Pendo",
    NULL: "NULL in the model (nulls: skip, not compared)",
    REJECTED: "rejected by sync (never sent)",
}
DRIFT = (DIFFER, MISSING)  # what makes `verify` exit 1


@dataclass(frozen=True)
class ComparedField:
    """One mapped field: where the model's value and Pendo's sit in a comparison row."""

    group: str
    field: str  # as Pendo spells it
    column: str
    pendo_type: str
    model_at: int
    pendo_at: int
    convert: Callable[[Any], Any]


def compared_field(
    group: str, name: str, column: str, pendo_type: str, model_at: int, pendo_at: int
) -> ComparedField:
    return ComparedField(group, name, column, pendo_type, model_at, pendo_at, coercer(pendo_type))


@dataclass(frozen=True)
class Verdict:
    outcome: str
    pendo: str | None = None  # Pendo's value as JSON text, for a difference
    model: str | None = None  # the model's value as sync would send it, as JSON text (or why not)


def judge(f: ComparedField, row: Sequence[Any], present: bool, nulls: str) -> Verdict:
    """The outcome for one field of one comparison row; `row[f.pendo_at]` is Pendo's value as JSON text
    (NULL when Pendo holds null or never set the field)."""
    raw = row[f.model_at]
    if raw is None and nulls == "skip":
        return Verdict(NULL)
    if raw is None:
        expected = None
    else:
        try:
            expected = f.convert(raw)
        except ValueError as exc:
            return Verdict(REJECTED, model=f"rejected by sync: {exc}")
    if not present:
        return Verdict(MISSING)
    held = row[f.pendo_at]
    actual = None if held is None else json.loads(held)
    if same(expected, actual):
        return Verdict(MATCH)
    return Verdict(DIFFER, pendo=_text(actual), model=_text(expected))


def same(expected: Any, actual: Any) -> bool:
    """JSON equality as Pendo's storage has it: 5 and 5.0 are the same number, but a boolean is never a
    number (Python's True == 1 is not Pendo's), nor text a number."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(expected[k], actual[k]) for k in expected)
    return type(expected) is type(actual) and bool(expected == actual)


def pendo_text(value: Any) -> str | None:
    """Pendo's value as staged in the warehouse: JSON text, NULL for null (never set reads null)."""
    return None if value is None else _text(value)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Tally:
    """Per field of a model: how many records had each outcome."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def add(self, outcome: str) -> None:
        self.counts[outcome] += 1
