"""meta.pendo for `object: segment` and `object: parent_account`: typed specs, and each problem named."""

from __future__ import annotations

import pytest

from pendo_sync.config import MetadataSpec, SegmentSpec, check_columns, key_column, parse_models
from pendo_sync.errors import ConfigError
from pendo_sync.manifest import ModelNode

SEGMENT = {"object": "segment", "segment_id": "abc123", "visitor_id_column": "user_id"}
PARENT = {"object": "parent_account", "id_column": "parent_id", "fields": {"custom": {"tier": "tier"}}}


def node(name: str, pendo: object) -> ModelNode:
    return ModelNode(f"model.p.{name}", name, "db", "main", name, pendo)


def problems_of(*models: ModelNode) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_models(models).check()
    return [str(p) for p in info.value.problems]


def test_a_segment_mapping_becomes_a_segment_spec() -> None:
    (spec,) = parse_models([node("s", SEGMENT)]).specs
    assert spec == SegmentSpec(node("s", SEGMENT), "abc123", "user_id")
    assert (spec.pendo_object, spec.columns, key_column(spec)) == ("segment", ("user_id",), "user_id")


def test_a_numeric_segment_id_is_taken_as_its_text() -> None:
    (spec,) = parse_models([node("s", {**SEGMENT, "segment_id": 42})]).specs
    assert isinstance(spec, SegmentSpec) and spec.segment_id == "42"


@pytest.mark.parametrize(
    ("pendo", "key", "text"),
    [
        ({k: v for k, v in SEGMENT.items() if k != "segment_id"}, "segment_id", "got nothing"),
        ({**SEGMENT, "segment_id": "  "}, "segment_id", "must be the id of a Pendo segment"),
        ({**SEGMENT, "segment_id": True}, "segment_id", "got a boolean"),
        ({k: v for k, v in SEGMENT.items() if k != "visitor_id_column"}, "visitor_id_column", "is required"),
        ({**SEGMENT, "id_column": "user_id"}, "id_column", "unknown key"),
        ({**SEGMENT, "segment": "x"}, "segment", "did you mean `segment_id`?"),
    ],
)
def test_segment_problems_name_the_model_and_key(pendo: dict[str, object], key: str, text: str) -> None:
    (found,) = problems_of(node("seg", pendo))
    assert found.startswith(f"seg: meta.pendo.{key}:")
    assert text in found
    assert "Fix:" in found


def test_a_segment_model_without_its_visitor_column_is_a_problem() -> None:
    (spec,) = parse_models([node("s", SEGMENT)]).specs
    (problem,) = check_columns(spec, [("id", "varchar")])
    assert problem.key == "visitor_id_column"
    assert "'user_id' is mapped but the built model has no such column" in str(problem)
    assert check_columns(spec, [("user_id", "varchar")]) == []


def test_a_parent_account_mapping_is_metadata_of_kind_parent_account() -> None:
    (spec,) = parse_models([node("p", PARENT)]).specs
    assert isinstance(spec, MetadataSpec)
    assert (spec.kind, spec.pendo_object, spec.id_column) == ("parentAccount", "parent_account", "parent_id")


def test_parent_account_keys_are_validated_like_accounts() -> None:
    found = problems_of(node("p", {"object": "parent_account", "fields": {"custom": {"x": "x"}}, "bad": 1}))
    assert any(f.startswith("p: meta.pendo.id_column: is required") for f in found)
    assert any(f.startswith("p: meta.pendo.bad: unknown key") for f in found)


def test_unknown_objects_list_segment_and_parent_account() -> None:
    (found,) = problems_of(node("x", {"object": "segments"}))
    assert "did you mean `object: segment`?" in found
    assert "visitor, account, event, parent_account, segment" in found


@pytest.mark.parametrize("obj", [[], {}, ["segment"]])
def test_an_object_that_is_not_text_is_a_problem_not_a_crash(obj: object) -> None:
    (found,) = problems_of(node("x", {"object": obj}))
    assert found.startswith("x: meta.pendo.object: unknown object")
