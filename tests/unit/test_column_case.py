"""Mapped column names resolve to the stored name regardless of case; two candidates are a problem."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.column_case import resolve_columns
from pendo_sync.config import EventSpec, FieldMapping, MetadataSpec
from pendo_sync.manifest import ModelNode


def node() -> ModelNode:
    return ModelNode("model.p.users", "users", None, "s", "users", {})


def spec(*columns: str) -> MetadataSpec:
    fields = tuple(FieldMapping("custom", f"f{i}", c) for i, c in enumerate(columns))
    return MetadataSpec(node(), "visitor", "user_id", fields)


def test_snowflake_upper_case_columns_are_found() -> None:
    resolved, problems = resolve_columns(spec("first_name"), ["USER_ID", "FIRST_NAME"])
    assert problems == []
    assert isinstance(resolved, MetadataSpec)
    assert resolved.id_column == "USER_ID"
    assert resolved.columns == ("USER_ID", "FIRST_NAME")


def test_an_exact_match_wins_and_keeps_the_spec() -> None:
    original = spec("Plan")
    resolved, problems = resolve_columns(original, ["user_id", "Plan", "plan"])
    assert problems == [] and resolved is original


def test_two_columns_differing_in_case_are_ambiguous() -> None:
    _, problems = resolve_columns(spec("PLAN"), ["user_id", "Plan", "plan"])
    assert len(problems) == 1
    text = str(problems[0])
    assert "users" in text and "'Plan'" in text and "'plan'" in text


def test_event_columns_resolve_too() -> None:
    events = EventSpec(node(), "event_id", "user_id", "ts", properties=(("plan", "plan"),))
    resolved, problems = resolve_columns(events, ["EVENT_ID", "USER_ID", "TS", "PLAN"])
    assert problems == []
    assert isinstance(resolved, EventSpec)
    assert resolved.columns == ("EVENT_ID", "USER_ID", "TS", "PLAN")
    assert resolved.properties == (("plan", "PLAN"),)


@given(st.from_regex(r"[a-z_]{1,12}", fullmatch=True))
def test_any_case_of_a_unique_name_resolves_to_it(name: str) -> None:
    stored = name.upper()
    resolved, problems = resolve_columns(spec(name), sorted({"USER_ID", stored}))
    assert problems == [] and isinstance(resolved, MetadataSpec)
    assert resolved.fields[0].column == stored
