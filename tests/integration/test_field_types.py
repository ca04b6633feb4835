"""Every Pendo field type end to end: dbt model -> pendo-dbt sync -> emulator -> `GET /api/v1/visitor/{id}`.

The model (integration_tests/models/pendo_typed_visitors.sql) feeds each Pendo type from the warehouse
types that map to it, on DuckDB and PostgreSQL. Expected values are written out by hand, not computed
with pendo-dbt's own coercion.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import KEY, TRACK, Project

MODEL = ("--select", "pendo_typed_visitors")
IDS = ("t001", "t002", "t003", "t004", "t005")
SCHEMA = {
    "visitor": {
        "agent": {"email": "string", "tags": "list", "topics": "list"},
        "custom": {
            "plan": "string",
            "signup_label": "string",
            "seats": "integer",
            "licenses": "integer",
            "score": "float",
            "revenue": "number",
            "amount": "float",
            "is_admin": "boolean",
            "active": "boolean",
            "signed_up_at": "time",
            "last_seen_at": "time",
            "renewal": "time",
            "trial_end": "time",
            "activated_s": "time",
            "activated_ms": "time",
            "notes": "string",
            "bio": "string",
        },
    }
}
CREATED = {"nickname": "string", "credits": "number", "beta": "boolean", "signup_day": "time"}


def ms(*parts: int, hours: float = 0) -> int:
    """Epoch milliseconds of a wall time at UTC offset `hours`."""
    when = datetime(*parts, tzinfo=timezone(timedelta(hours=hours)))  # type: ignore[misc]
    return (when - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


AGENT = {
    "t001": {"email": "ada@example.com", "tags": ["admin", "beta"], "topics": ["sso", "api"], "nickname": "Ada",
             "credits": 120, "beta": True, "signup_day": ms(2024, 1, 15)},
    "t002": {"email": "grace@example.com", "tags": ["ops"], "topics": [], "nickname": "Grace", "credits": 0,
             "beta": False, "signup_day": ms(1969, 7, 20)},
    "t003": {"email": "alan@example.com", "tags": ["beta"], "topics": ["ml"], "nickname": "Alan", "credits": 5,
             "beta": True, "signup_day": ms(2024, 2, 20)},
    "t004": {"email": "edsger@example.com", "tags": ["admin"], "topics": ["go-to"], "nickname": "Edsger",
             "credits": 250, "beta": False, "signup_day": ms(2023, 11, 30)},
    "t005": {"email": "barbara@example.com", "tags": ["ops", "admin", "beta"], "topics": ["dst"],
             "nickname": "Barbara", "credits": 1, "beta": True, "signup_day": ms(2024, 3, 5)},
}  # fmt: skip
CUSTOM = {
    "t001": {"plan": "pro", "signup_label": "2024-01-15", "seats": 12, "licenses": 12, "score": 4.75,
             "revenue": 120000.5, "amount": 120000.5, "is_admin": True, "active": True,
             "signed_up_at": ms(2024, 1, 15, 9, 30),
             "last_seen_at": ms(2024, 7, 1, 12, hours=2), "renewal": ms(2025, 6, 30),
             "trial_end": ms(2024, 2, 15), "activated_s": 1_705_311_000_000, "activated_ms": 1_705_311_000_123,
             "notes": "vip", "bio": "Mathematician."},
    # Before 1970: negative epochs. `notes` is null in the warehouse, so Pendo's value is left alone.
    "t002": {"plan": "free", "signup_label": "1969-07-20", "seats": 1, "licenses": 3, "score": -0.5,
             "revenue": 0, "amount": 0.0, "is_admin": False, "active": False,
             "signed_up_at": ms(1969, 7, 20, 20, 17, 40),
             "last_seen_at": ms(1960, 2, 29, 23, 59, 59, 999_000, hours=-5), "renewal": ms(1960, 2, 29),
             "trial_end": -1, "activated_s": -86_400_000, "activated_ms": -1_000_000_000_000,
             "notes": "set in Pendo", "bio": "Admiral."},
    # 01:30 on the day US clocks fall back, as EST (-05:00): the second 01:30 of that night.
    "t005": {"plan": "free", "signup_label": "2024-03-05", "seats": 1, "licenses": 10, "score": 2.5,
             "revenue": 1.1, "amount": 1.1, "is_admin": False, "active": True,
             "signed_up_at": ms(2024, 3, 5, 16, 45),
             "last_seen_at": ms(2024, 11, 3, 6, 30), "renewal": ms(2024, 12, 31),
             "trial_end": ms(2024, 11, 3, 6, 30), "activated_s": 0, "activated_ms": 100_000_000_000,
             "bio": "Liskov."},
}  # fmt: skip
REJECTED = {
    "t003": "column 'seats_text' value 'many' rejected for Pendo integer field 'licenses': not a number",
    "t004": (  # the reason shows the value shortened
        "column 'bio' value '" + "0123456789" * 5 + "012345... rejected for Pendo string field 'bio': "
        "1600 characters; Pendo keeps at most 1,500"
    ),
}


@pytest.fixture
def typed(project: Project) -> Project:
    project.dbt("build", "--select", "typed_visitors", "pendo_typed_visitors")
    return project


@pytest.fixture
def pendo() -> Iterator[Emulator]:
    """Pendo with the typed visitors and every field but the agent fields the sync is to create."""
    with Emulator(KEY, TRACK) as emulator:
        visitors: list[Any] = [i for i in IDS if i != "t002"]
        visitors.append({"id": "t002", "custom": {"notes": "set in Pendo"}})
        emulator.seed({"visitors": visitors, "schema": SCHEMA})
        yield emulator


def pendo_get(emulator: Emulator, path: str) -> Any:
    response = requests.get(f"{emulator.url}{path}", headers={"x-pendo-integration-key": KEY}, timeout=10)
    response.raise_for_status()
    return response.json()


def edit_mapping(project: Project, old: str, new: str) -> None:
    yml = project.path / "models" / "typed.yml"
    text = yml.read_text()
    assert old in text
    yml.write_text(text.replace(old, new))
    project.dbt("parse")


def posts(emulator: Emulator) -> list[str]:
    return [r["path"] for r in emulator.requests_log if r["method"] == "POST"]


def test_every_pendo_type_lands_as_pendo_stores_it(typed: Project, pendo: Emulator) -> None:
    result = typed.sync(pendo, *MODEL)

    assert result.exit_code == 1, result.output  # two rows are rejected for their custom group
    assert "[5 rows, 5 changed, 5 sent: 3 updated, 0 missing, 2 rejected, 0 failed" in result.output
    for name, type_name in CREATED.items():
        assert f"created Pendo visitor agent field '{name}' (type {type_name}" in result.output
    agent_schema = pendo_get(pendo, "/api/v1/metadata/schema/visitor")["agent"]
    assert {name: agent_schema[name]["Type"] for name in CREATED} == CREATED
    model = typed.results()["models"][0]
    assert {(p["id"], p["group"], p["reason"]) for p in model["problems"]} == {
        (key, "custom", reason) for key, reason in REJECTED.items()
    }
    for key in IDS:
        metadata = pendo_get(pendo, f"/api/v1/visitor/{key}")["metadata"]
        assert metadata["agent"] == AGENT[key], key
        assert metadata["custom"] == CUSTOM.get(key, {}), key  # a rejected row sets nothing, not a truncation
        for name, value in {**AGENT[key], **CUSTOM.get(key, {})}.items():
            assert type(value) is type(metadata["agent"].get(name, metadata["custom"].get(name))), (key, name)

    before = posts(pendo)
    again = typed.sync(pendo, *MODEL)  # rejected rows stay out of state: checked again, rejected again
    assert "[5 rows, 2 changed, 0 sent: 0 updated, 0 missing, 2 rejected" in again.output
    assert posts(pendo) == before  # nothing to send, and no agent field created twice


def test_nulls_skip_leaves_pendo_alone_and_clear_clears(typed: Project, pendo: Emulator) -> None:
    typed.sync(pendo, *MODEL)
    assert pendo_get(pendo, "/api/v1/visitor/t002")["metadata"]["custom"]["notes"] == "set in Pendo"

    edit_mapping(typed, "create_agent_fields: true", "create_agent_fields: true\n          nulls: clear")
    result = typed.sync(pendo, *MODEL)

    assert "5 changed" in result.output  # the null handling is part of what a row's hash covers
    custom = pendo_get(pendo, "/api/v1/visitor/t002")["metadata"]["custom"]
    assert "notes" not in custom  # sent as JSON null: Pendo cleared it
    assert custom == {k: v for k, v in CUSTOM["t002"].items() if k != "notes"}
    assert pendo_get(pendo, "/api/v1/visitor/t001")["metadata"]["custom"]["notes"] == "vip"


@pytest.mark.parametrize("unknown_field", ["accept", "reject400", "error"])
def test_a_custom_field_pendo_lacks_stops_the_run_before_any_row_is_sent(
    typed: Project, unknown_field: str
) -> None:
    custom = {k: v for k, v in SCHEMA["visitor"]["custom"].items() if k not in ("licenses", "score")}
    with Emulator(KEY, TRACK) as emulator:
        emulator.seed({"visitors": list(IDS), "schema": {"visitor": {**SCHEMA["visitor"], "custom": custom}}})
        emulator.unknown_field = unknown_field
        result = typed.sync(emulator, *MODEL)
        assert result.exit_code == 2, result.output
        for field in ("licenses", "score"):
            assert (
                f"pendo_typed_visitors: meta.pendo.fields.custom.{field}: Pendo has no visitor custom field "
                f"'{field}'. Fix: create it in Pendo under Settings > Data Mappings, then rerun"
            ) in result.output
        assert "2 configuration problems:" in result.output
        assert posts(emulator) == []  # not even the agent fields were created
        assert emulator.record("visitor", "t001") == {"agent": {}, "custom": {}}


def test_missing_agent_fields_need_create_agent_fields(typed: Project, pendo: Emulator) -> None:
    edit_mapping(typed, "create_agent_fields: true", "create_agent_fields: false")
    result = typed.sync(pendo, *MODEL)
    assert result.exit_code == 2, result.output
    assert (
        "pendo_typed_visitors: meta.pendo.fields.agent: Pendo has no visitor agent field(s) 'nickname', "
        "'credits', 'beta', 'signup_day'. Fix: set `create_agent_fields: true` in meta.pendo"
    ) in result.output
    assert posts(pendo) == []


def test_a_field_name_differing_in_case_resolves_to_pendos_with_a_warning(
    typed: Project, pendo: Emulator
) -> None:
    edit_mapping(typed, "plan: plan ", "Plan: plan ")
    result = typed.sync(pendo, *MODEL)
    assert (
        "[WARNING] pendo_typed_visitors: meta.pendo.fields.custom.Plan: Pendo stores field names lowercased; "
        "sending it to Pendo's field 'plan'"
    ) in result.output
    assert typed.results()["warnings"][-1].startswith("pendo_typed_visitors: meta.pendo.fields.custom.Plan")
    custom = pendo_get(pendo, "/api/v1/visitor/t001")["metadata"]["custom"]
    assert custom["plan"] == "pro" and "Plan" not in custom
