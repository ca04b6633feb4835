"""Pendo's schema against the mappings: tolerant parsing, case, missing fields, agent-field creation."""

from __future__ import annotations

from typing import Any

import pytest

from pendo_sync.config import FieldMapping, MetadataSpec
from pendo_sync.field_plan import CUSTOM_FIX, check_fields, create_type, exact_as_double, plan_fields
from pendo_sync.manifest import ModelNode
from pendo_sync.pendo.schema import KindSchema, PendoField, parse_schema


def model(name: str) -> ModelNode:
    return ModelNode(f"model.p.{name}", name, None, "main", name, {})


def spec(name: str = "pendo_visitors", *, create: bool = False, **groups: dict[str, str]) -> MetadataSpec:
    fields = tuple(FieldMapping(g, f, c) for g, mapping in groups.items() for f, c in mapping.items())
    return MetadataSpec(model(name), "visitor", "user_id", fields, create_agent_fields=create)


SCHEMA = parse_schema(
    {
        "auto": {"lastvisit": {"Type": "time"}},
        "agent": {"email": {"Type": "string", "DisplayName": "email"}},
        "custom": {
            "plan_tier": {"Type": "string"},
            "seats": {"type": "Integer"},  # lowercase key, odd case: still read
            "score": {"Type": "float"},
        },
    }
)


def test_parse_tolerates_what_pendo_may_send() -> None:
    schema = parse_schema(
        {
            "custom": {
                "a": {"Type": "time"},
                "b": {},  # no type: untyped
                "c": "junk",
                "d": {"Type": ""},
                "e": {"Type": "hyperlink"},  # a type we do not know: untyped
                "f": {"Type": 7},
                "Mixed": {"Type": "boolean"},
                "gone": {"Type": "string", "isDeleted": True},  # deleted: as good as missing
            },
            "salesforce": ["not", "a", "group"],
            "hubspot": None,
        }
    )
    types = {f.name: f.type for f in schema.groups["custom"].values()}
    assert types == {"a": "time", "b": "", "c": "", "d": "", "e": "", "f": "", "Mixed": "boolean"}
    assert schema.find("custom", "mixed") == PendoField("Mixed", "boolean")
    assert schema.find("custom", "gone") is None
    assert schema.find("salesforce", "a") is None


@pytest.mark.parametrize("raw", [None, [], "text", 3])
def test_a_schema_that_is_not_an_object_is_an_error(raw: Any) -> None:
    with pytest.raises(ValueError):
        parse_schema(raw)


@pytest.mark.parametrize(
    ("warehouse_type", "pendo_type"),
    [
        ("VARCHAR", "string"),
        ("TEXT", "string"),
        ("UUID", "string"),
        ("BOOLEAN", "boolean"),
        ("INTEGER", "number"),
        ("BIGINT", "number"),
        ("DECIMAL(18,2)", "number"),
        ("DOUBLE", "number"),
        ("DATE", "time"),
        ("TIMESTAMP", "time"),
        ("TIMESTAMP WITH TIME ZONE", "time"),
        ("VARCHAR[]", "string"),  # Pendo's API cannot create list fields
        ("STRUCT(a INTEGER)", "string"),
        ("", "string"),
        # PostgreSQL type OIDs, as psycopg2's cursor.description gives them
        ("16", "boolean"),
        ("20", "number"),
        ("23", "number"),
        ("701", "number"),
        ("1700", "number"),
        ("1082", "time"),
        ("1114", "time"),
        ("1184", "time"),
        ("25", "string"),
        ("1043", "string"),
        ("1009", "string"),
    ],
)
def test_created_agent_fields_are_typed_from_the_column(warehouse_type: str, pendo_type: str) -> None:
    assert create_type(warehouse_type) == pendo_type


@pytest.mark.parametrize(
    ("warehouse_type", "exact"),
    [
        ("DECIMAL(12,2)", True),
        ("decimal(9, 3)", True),
        ("DECIMAL(15,15)", True),
        ("DECIMAL(16,2)", False),  # the unscaled integer may not fit a double exactly
        ("DECIMAL(38,10)", False),
        ("DOUBLE", False),  # already a float: nothing to cast
        ("1700", False),  # PostgreSQL's numeric OID says no precision
        ("", False),
    ],
)
def test_only_narrow_decimals_are_cast_to_double(warehouse_type: str, exact: bool) -> None:
    assert exact_as_double(warehouse_type) is exact


def test_decimal_columns_feeding_only_float_fields_are_fetched_as_doubles() -> None:
    schema = parse_schema({"custom": {"score": {"Type": "float"}, "ratio": {"Type": "float"}, "amount": {"Type": "number"}, "seats": {"Type": "integer"}}})  # fmt: skip
    mapping = spec(custom={"score": "arr", "ratio": "share", "amount": "share", "seats": "wide"})
    columns = {"arr": "DECIMAL(12,2)", "share": "DECIMAL(5,4)", "wide": "DECIMAL(12,0)"}
    assert check_fields(mapping, schema, columns).doubles == {"arr"}  # share also feeds a number
    wide = spec(custom={"score": "wide"})
    assert check_fields(wide, schema, {"wide": "DECIMAL(18,2)"}).doubles == frozenset()


def test_existing_fields_resolve_with_their_types() -> None:
    check = check_fields(
        spec(agent={"email": "email"}, custom={"plan_tier": "plan", "seats": "seats"}), SCHEMA, {}
    )
    assert check.problems == () and check.warnings == () and check.create == ()
    assert check.types == {
        ("agent", "email"): "string",
        ("custom", "plan_tier"): "string",
        ("custom", "seats"): "integer",
    }


def test_a_name_differing_only_in_case_resolves_to_pendos_with_a_warning() -> None:
    check = check_fields(spec(custom={"Plan_Tier": "plan"}), SCHEMA, {})
    assert check.problems == ()
    assert [f.field for f in check.spec.fields] == ["plan_tier"]
    assert check.types == {("custom", "plan_tier"): "string"}
    (warning,) = check.warnings
    assert "fields.custom.Plan_Tier" in warning and "'plan_tier'" in warning


def test_a_missing_custom_field_is_a_problem_naming_model_field_and_fix() -> None:
    check = check_fields(spec(custom={"plan_teir": "plan", "seats": "seats"}), SCHEMA, {})
    (problem,) = check.problems
    assert problem.model == "pendo_visitors"
    assert problem.key == "fields.custom.plan_teir"
    assert "Pendo has no visitor custom field 'plan_teir' (did you mean 'plan_tier'?)" in str(problem)
    assert problem.fix == CUSTOM_FIX == "create it in Pendo under Settings > Data Mappings, then rerun"


def test_missing_agent_fields_are_listed_with_the_option_that_creates_them() -> None:
    check = check_fields(spec(agent={"email": "email", "nickname": "nick", "age": "age"}), SCHEMA, {})
    (problem,) = check.problems
    assert problem.key == "fields.agent"
    assert "agent field(s) 'nickname', 'age'" in problem.message
    assert "create_agent_fields: true" in problem.fix
    assert check.create == ()


def test_create_agent_fields_creates_them_typed_from_the_columns() -> None:
    columns = {"nick": "VARCHAR", "signup": "TIMESTAMP WITH TIME ZONE", "credits": "1700", "beta": "BOOLEAN"}
    mapping = {
        "nickname": "nick",
        "SignupAt": "signup",
        "credits": "credits",
        "beta": "beta",
        "email": "email",
    }
    check = check_fields(spec(create=True, agent=mapping), SCHEMA, columns)
    assert check.problems == ()
    assert check.create == (
        PendoField("nickname", "string"),
        PendoField("signupat", "time"),  # Pendo stores names lowercased: created and sent that way
        PendoField("credits", "number"),
        PendoField("beta", "boolean"),
    )
    assert check.types[("agent", "signupat")] == "time"
    assert check.types[("agent", "email")] == "string"  # existing fields are not created again
    assert len(check.warnings) == 1 and "'signupat'" in check.warnings[0]


def test_create_agent_fields_never_creates_custom_fields() -> None:
    check = check_fields(spec(create=True, custom={"nope": "x"}), SCHEMA, {})
    assert [p.key for p in check.problems] == ["fields.custom.nope"]
    assert check.create == ()


def test_plan_creates_a_field_once_and_the_next_model_uses_its_type() -> None:
    first = spec("a", create=True, agent={"nickname": "nick"})
    second = spec("b", create=True, agent={"nickname": "nick"})
    types = {"model.p.a": {"nick": "BIGINT"}, "model.p.b": {"nick": "VARCHAR"}}
    plan = plan_fields([first, second], {"visitor": SCHEMA}, types)
    assert plan.create == {"visitor": (PendoField("nickname", "number"),)}
    assert plan.checks["model.p.b"].create == ()
    assert plan.checks["model.p.b"].types[("agent", "nickname")] == "number"
    assert plan.problems == [] and plan.warnings == []


def test_plan_collects_problems_of_every_model() -> None:
    plan = plan_fields(
        [spec("a", custom={"x": "x"}), spec("b", agent={"y": "y"})], {"visitor": KindSchema({})}, {}
    )
    assert [(p.model, p.key) for p in plan.problems] == [("a", "fields.custom.x"), ("b", "fields.agent")]
    assert plan.create == {}
