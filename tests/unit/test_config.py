"""meta.pendo validation: every problem found at once, each naming model, key and fix."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.backfill import BackfillWindow
from pendo_sync.config import EventSpec, MetadataSpec, check_columns, near_misses, parse_models
from pendo_sync.errors import ConfigError, Problem
from pendo_sync.manifest import ModelNode


def node(name: str, pendo: object) -> ModelNode:
    return ModelNode(f"model.p.{name}", name, "db", "main", name, pendo)


VISITOR = {
    "object": "visitor",
    "id_column": "user_id",
    "fields": {"agent": {"email": "email"}, "custom": {"plan": "plan"}},
}


def problems_of(*models: ModelNode) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_models(models).check()
    assert info.value.exit_code == 2
    return [str(p) for p in info.value.problems]


def test_valid_visitor_mapping_becomes_a_typed_spec() -> None:
    parsed = parse_models([node("v", VISITOR)])
    (spec,) = parsed.specs
    assert isinstance(spec, MetadataSpec)
    assert spec.kind == "visitor"
    assert spec.groups == ("agent", "custom")
    assert spec.columns == ("user_id", "email", "plan")
    assert (spec.nulls, spec.missing, spec.create_agent_fields) == ("skip", "skip", False)


def test_all_problems_in_all_models_are_reported_together() -> None:
    bad_object = node("a", {"object": "visitors", "id_column": "x", "fields": {"agent": {"e": "e"}}})
    no_id = node("b", {"object": "account", "fields": {"custom": {"plan": "plan"}}})
    bad_group = node("c", {**VISITOR, "fields": {"salesforce": {"x": "y"}}})
    found = problems_of(bad_object, no_id, bad_group)
    assert len(found) == 3
    assert found[0].startswith("a: meta.pendo.object: unknown object 'visitors'")
    assert "visitor, account, event" in found[0]
    assert found[1].startswith("b: meta.pendo.id_column: is required")
    assert found[2].startswith("c: meta.pendo.fields.salesforce: unknown Pendo group")


@pytest.mark.parametrize("name", ["300", "first name", "a-b", "é", "__x__"])
def test_field_names_breaking_pendo_rules_are_errors(name: str) -> None:
    (found,) = problems_of(node("m", {**VISITOR, "fields": {"custom": {name: "col"}}}))
    assert f"fields.custom.{name}" in found and "Pendo's naming rules" in found


def test_fields_equal_up_to_case_collide() -> None:
    (found,) = problems_of(node("m", {**VISITOR, "fields": {"custom": {"Plan": "a", "plan": "b"}}}))
    assert "same field as 'Plan'" in found


def test_typo_in_a_key_suggests_the_right_one() -> None:
    (found,) = problems_of(node("m", {**VISITOR, "id_colum": "user_id"}))
    assert "id_colum" in found and "did you mean `id_column`" in found


@pytest.mark.parametrize(
    ("pendo", "fragment"),
    [
        ("visitor", "must be a mapping, got a string"),
        (["object"], "must be a mapping, got a list"),
        ({**VISITOR, "fields": ["email"]}, "fields: must be a non-empty mapping of groups, got a list"),
        (
            {**VISITOR, "fields": {"agent": "email"}},
            "fields.agent: must map Pendo field -> column, got a string",
        ),
        (
            {**VISITOR, "fields": {"agent": {"email": 3}}},
            "fields.agent.email: must name a model column, got int",
        ),
        ({**VISITOR, "id_column": ["a"]}, "id_column: must be a column name, got a list"),
        ({**VISITOR, "nulls": "drop"}, "nulls: unknown value 'drop'"),
        ({**VISITOR, "create_agent_fields": "yes"}, "create_agent_fields: must be true or false"),
        ({**VISITOR, "batch_size": 0}, "batch_size: must be a positive whole number"),
        ({**VISITOR, "batch_bytes": "2MB"}, "batch_bytes: must be a positive whole number"),
    ],
)
def test_wrong_yaml_types_at_every_level_are_named(pendo: object, fragment: str) -> None:
    (found,) = problems_of(node("m", pendo))
    assert fragment in found


def test_event_mapping_with_properties_list_and_context() -> None:
    parsed = parse_models(
        [
            node(
                "e",
                {
                    "object": "event",
                    "event_id_column": "event_id",
                    "event_name": "Signed Up",
                    "visitor_id_column": "user_id",
                    "timestamp_column": "at",
                    "properties": ["plan", "amount"],
                    "context": {"user_agent": "ua", "ip": "ip"},
                },
            )
        ]
    )
    (spec,) = parsed.specs
    assert isinstance(spec, EventSpec)
    assert spec.properties == (("plan", "plan"), ("amount", "amount"))
    assert spec.context == (("userAgent", "ua"), ("ip", "ip"))
    assert spec.columns == ("event_id", "user_id", "at", "plan", "amount", "ua", "ip")
    assert any("account_id_column is not set" in w for w in parsed.warnings)


def test_event_needs_exactly_one_name_source_and_valid_property_names() -> None:
    found = problems_of(
        node(
            "e",
            {
                "object": "event",
                "event_id_column": "id",
                "visitor_id_column": "u",
                "timestamp_column": "t",
                "properties": {"a" * 33: "x", "1st": "y"},
            },
        )
    )
    assert any("exactly one of event_name_column and event_name" in p for p in found)
    assert sum("Pendo's naming rules" in p for p in found) == 2


def test_a_property_that_names_no_column_is_named_by_its_key() -> None:
    event = {"object": "event", "event_id_column": "id", "visitor_id_column": "u", "timestamp_column": "t"}
    found = problems_of(node("e", {**event, "event_name": "E", "properties": {"ok": "plan", "x": 3}}))
    assert len(found) == 1 and "meta.pendo.properties.x: must name a model column, got int" in found[0]
    found = problems_of(node("e", {**event, "event_name": "E", "properties": ["plan", {"x": "y"}]}))
    assert len(found) == 1 and "meta.pendo.properties[1]: must name a model column, got a mapping" in found[0]


def test_a_floating_point_id_column_is_refused_with_the_cast_to_make() -> None:
    (spec,) = parse_models([node("v", VISITOR)]).specs
    columns = [("user_id", "DOUBLE"), ("email", "VARCHAR"), ("plan", "VARCHAR")]
    found = [str(p) for p in check_columns(spec, columns)]
    assert len(found) == 1 and found[0].startswith("v: meta.pendo.id_column: column 'user_id' is a DOUBLE")
    assert "cast(user_id as bigint)" in found[0]
    assert check_columns(spec, [("user_id", "BIGINT"), ("email", "VARCHAR"), ("plan", "VARCHAR")]) == []


def test_missing_columns_are_named_with_a_suggestion() -> None:
    (spec,) = parse_models([node("v", VISITOR)]).specs
    found = [
        str(p)
        for p in check_columns(spec, [("user_id", "VARCHAR"), ("emails", "VARCHAR"), ("plan", "VARCHAR")])
    ]
    assert found == [
        "v: meta.pendo.fields.agent.email: column 'email' is mapped but the built model has no such column. "
        "Fix: did you mean 'emails'? Correct the mapping, or add the column to the model and `dbt run` it"
    ]


YAMLISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "object",
                    "id_column",
                    "fields",
                    "agent",
                    "custom",
                    "event_id_column",
                    "visitor_id_column",
                    "timestamp_column",
                    "event_name",
                    "event_name_column",
                    "properties",
                    "context",
                    "nulls",
                    "missing",
                    "backfill",
                    "batch_size",
                    "batch_bytes",
                    "x",
                ]
            )
            | st.text(max_size=5),
            inner,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@given(YAMLISH)
def test_any_meta_pendo_gives_a_spec_or_a_config_error(pendo: object) -> None:
    parsed = parse_models([node("fuzz", pendo)])
    if parsed.problems:
        assert not parsed.specs
        assert all(str(p).startswith("fuzz: meta.pendo") for p in parsed.problems)
    else:
        assert len(parsed.specs) == 1


def test_an_object_in_the_wrong_case_and_a_yaml_boolean_get_a_hint() -> None:
    found = problems_of(node("v", {**VISITOR, "object": "Visitor"}))
    assert found == [
        "v: meta.pendo.object: unknown object 'Visitor'. Fix: did you mean `object: visitor`? (lowercase) "
        "set `object:` to one of visitor, account, event, parent_account, segment"
    ]
    (found,) = problems_of(node("v", {**VISITOR, "missing": True}))  # YAML's reading of `missing: yes`
    assert "unknown value True (YAML reads an unquoted yes/no/on/off/true/false as a boolean)" in found
    assert "use one of: skip, create" in found


def test_event_columns_missing_from_the_model_are_named_by_their_key() -> None:
    event = {
        "object": "event",
        "event_id_column": "id",
        "visitor_id_column": "user_id",
        "timestamp_column": "at",
        "event_name": "E",
        "account_id_column": "acct",
        "properties": {"plan": "plan_x"},
        "context": {"user_agent": "ua"},
    }
    (spec,) = parse_models([node("e", event)]).specs
    found = [
        p.key for p in check_columns(spec, [("id", "VARCHAR"), ("user_id", "VARCHAR"), ("at", "TIMESTAMP")])
    ]
    assert found == ["account_id_column", "properties.plan", "context.user_agent"]


def test_a_near_miss_of_the_pendo_key_is_a_warning_with_the_fix() -> None:
    models = [
        ModelNode("model.p.a", "a", None, "s", "a", None, meta_keys=("pendoo",)),
        ModelNode("model.p.b", "b", None, "s", "b", None, meta_keys=("Pendo", "owner")),
        ModelNode("model.p.c", "c", None, "s", "c", None, meta_keys=("pendo_sync",)),
        ModelNode("model.p.d", "d", None, "s", "d", None, meta_keys=("owner", "pandas")),
        ModelNode("model.p.e", "e", None, "s", "e", VISITOR, meta_keys=("pendo", "pendo_notes")),
    ]
    warnings = near_misses(models)
    assert warnings == [
        "a: meta.pendoo is not read: pendo-dbt syncs models tagged with `meta.pendo` (lowercase). "
        "Fix: rename `pendoo:` to `pendo:` to sync this model",
        "b: meta.Pendo is not read: pendo-dbt syncs models tagged with `meta.pendo` (lowercase). "
        "Fix: rename `Pendo:` to `pendo:` to sync this model",
        "c: meta.pendo_sync is not read: pendo-dbt syncs models tagged with `meta.pendo` (lowercase). "
        "Fix: rename `pendo_sync:` to `pendo:` to sync this model",
    ]


def test_a_problem_not_about_a_key_has_no_dangling_key_path() -> None:
    assert str(Problem("m", None, "x does not exist", "run it")) == "m: x does not exist. Fix: run it"
    assert (
        str(Problem("m", "", "must be a mapping", "write one"))
        == "m: meta.pendo: must be a mapping. Fix: write one"
    )
    assert str(Problem("m", "id_column", "is required", "set it")).startswith("m: meta.pendo.id_column: ")


EVENT = {
    "object": "event",
    "event_id_column": "id",
    "event_name": "Paid",
    "visitor_id_column": "u",
    "account_id_column": "a",
    "timestamp_column": "t",
}


@pytest.mark.parametrize(
    ("backfill", "sends_history", "window"),
    [
        (True, True, None),
        (False, False, None),
        ({"days": 30}, True, BackfillWindow(days=30)),
        ({"since": "2026-01-01"}, True, BackfillWindow(since=datetime(2026, 1, 1))),
        ({"since": date(2026, 1, 1)}, True, BackfillWindow(since=datetime(2026, 1, 1))),
        ({"since": "2026-01-01T09:30:00+02:00"}, True, BackfillWindow(since=datetime(2026, 1, 1, 7, 30))),
        ({"since": "2026-01-01T09:30:00Z"}, True, BackfillWindow(since=datetime(2026, 1, 1, 9, 30))),
    ],
)
def test_backfill_is_a_boolean_or_a_window(backfill: object, sends_history: bool, window: object) -> None:
    (spec,) = parse_models([node("e", {**EVENT, "backfill": backfill})]).specs
    assert isinstance(spec, EventSpec)
    assert (spec.backfill, spec.backfill_window) == (sends_history, window)


@pytest.mark.parametrize(
    ("backfill", "key", "says"),
    [
        ("yes", "backfill", "must be true, false or a window, got 'yes'"),
        (30, "backfill", "must be true, false or a window, got 30"),
        ({}, "backfill", "needs exactly one of `since` and `days`"),
        ({"days": 7, "since": "2026-01-01"}, "backfill", "needs exactly one of `since` and `days`"),
        ({"days": 0}, "backfill.days", "must be a positive whole number, got 0"),
        ({"days": "30"}, "backfill.days", "must be a positive whole number, got '30'"),
        ({"days": True}, "backfill.days", "must be a positive whole number, got True"),
        ({"since": "last week"}, "backfill.since", "'last week' is not an ISO-8601 date or timestamp"),
        ({"since": 20260101}, "backfill.since", "20260101 is not a date or timestamp"),
        ({"day": 30}, "backfill.day", "unknown key. Fix: did you mean `days`?"),
    ],
)
def test_a_bad_backfill_names_the_key_and_the_forms_it_takes(backfill: object, key: str, says: str) -> None:
    found = problems_of(node("e", {**EVENT, "backfill": backfill}))
    assert any(p.startswith(f"e: meta.pendo.{key}: {says}") for p in found), found
    assert all("backfill" in p for p in found)
