"""`pendo-dbt plan`: sync's own diff and payloads, nothing sent, nothing written; and --fail-on-rejected."""

from __future__ import annotations

import json
from typing import Any

from click.testing import Result

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project

ALL = ("-s", "pendo_visitors", "pendo_accounts", "pendo_events")


def plan_file(project: Project) -> dict[str, Any]:
    return dict(json.loads((project.path / "target" / "pendo_sync_plan.json").read_text()))


def model(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in plan["models"] if m["model"] == name)


def status_lines(project: Project, emulator: Emulator) -> list[str]:
    """`pendo-dbt status` without the clock time dbt-style lines start with."""
    return [line.split("  ", 1)[1] for line in project.sync(emulator, command="status").output.splitlines()]


def test_plan_shows_what_sync_then_sends_and_writes_nothing(project: Project, emulator: Emulator) -> None:
    first = project.sync(emulator, *ALL, "--samples", "10", command="plan")
    assert first.exit_code == 0, first.output
    assert "state not created yet: every row is new" in first.output
    assert "PLAN visitor model pendo_visitors ..." in first.output
    assert "[10 rows, 10 changed, 10 to send, 0 rejected]" in first.output
    assert "  custom: 10 records; values per field: plan_tier 10, seats 9, is_admin 10" in first.output
    assert "[6 rows, 6 changed, 6 to send, 0 rejected]" in first.output
    assert [(r["method"], r["path"]) for r in emulator.requests_log] == [  # Pendo's schema, read only
        ("GET", "/api/v1/metadata/schema/account"),
        ("GET", "/api/v1/metadata/schema/visitor"),
    ]
    assert emulator.events == []
    status = project.sync(emulator, command="status")
    assert "No sync state yet" in status.output, status.output  # plan created no state schema

    planned = plan_file(project)
    assert planned["state_exists"] is False and planned["typed"] is True
    assert planned["totals"]["to_send"] == 20
    events = model(planned, "pendo_events")["groups"]["event"]["samples"]
    visitors = model(planned, "pendo_visitors")["groups"]["custom"]["samples"]

    synced = project.sync(emulator, *ALL)
    assert synced.exit_code == 0, synced.output
    canonical = sorted(json.dumps(e, sort_keys=True) for e in emulator.events)
    assert canonical == sorted(json.dumps(e, sort_keys=True) for e in events)  # the payloads plan showed
    for sample in visitors:
        held = emulator.record("visitor", sample["visitorId"])
        assert held is not None and held["custom"] == sample["values"]

    status_before = status_lines(project, emulator)
    assert any("last run" in line for line in status_before)
    again = project.sync(emulator, *ALL, command="plan")
    assert again.exit_code == 0, again.output
    assert "state in schema" in again.output
    assert again.output.count(", 0 changed, 0 to send, 0 rejected]") == 3
    assert status_lines(project, emulator) == status_before  # no run recorded, no state touched

    refresh = project.sync(emulator, "-s", "pendo_events", "--full-refresh", command="plan")
    assert "[6 rows, 6 changed, 6 to send" in refresh.output, refresh.output


def test_plan_without_a_key_is_untyped_and_says_so_in_json(project: Project, emulator: Emulator) -> None:
    def plan_without_key(log_format: str) -> Result:
        return project.sync(
            emulator,
            "-s",
            "pendo_visitors",
            "--samples",
            "1",
            command="plan",
            log_format=log_format,
            env={"PENDO_INTEGRATION_KEY": ""},
        )

    result = plan_without_key("text")
    assert result.exit_code == 0, result.output
    assert "PENDO_INTEGRATION_KEY is not set" in result.output
    assert emulator.requests_log == []
    assert plan_file(project)["typed"] is False

    as_json = plan_without_key("json")
    records = [json.loads(line) for line in as_json.output.splitlines()]
    (visitors,) = [r["data"] for r in records if r.get("data", {}).get("model") == "pendo_visitors"]
    assert visitors["changed"] == 10 and visitors["groups"]["agent"]["fields"] == {
        "email": 10,
        "firstname": 9,
    }
    assert visitors["groups"]["custom"]["samples"] == [
        {"visitorId": "u001", "values": {"plan_tier": "pro", "seats": 12, "is_admin": True}}
    ]
    assert records[-1]["data"]["totals"]["to_send"] == 10


def test_rejected_rows_fail_plan_and_sync_unless_under_the_threshold(
    project: Project, emulator: Emulator
) -> None:
    rows = project.seed_rows("visitors")
    rows.append(dict(rows[0], user_id="", email="blank@example.com"))
    project.write_seed("visitors", rows)
    project.rebuild()
    select = ("-s", "pendo_visitors")

    planned = project.sync(emulator, *select, command="plan")
    assert planned.exit_code == 1, planned.output
    assert "[11 rows, 11 changed, 10 to send, 1 rejected]" in planned.output
    assert "1 would be rejected: None (id column 'user_id' is" in planned.output
    assert "more than --fail-on-rejected 0 allows; exit 1" in planned.output
    assert project.sync(emulator, *select, "--fail-on-rejected", "1", command="plan").exit_code == 0

    over = project.sync(emulator, *select, "--full-refresh", "--fail-on-rejected", "5%")
    assert over.exit_code == 1, over.output
    assert (
        "1 rejected or failed row (9.09% of 11 changed rows): more than --fail-on-rejected 5%" in over.output
    )
    within = project.sync(emulator, *select, "--full-refresh", "--fail-on-rejected", "10%")
    assert within.exit_code == 0, within.output
    assert "within --fail-on-rejected 10%; exit 0" in within.output
    assert project.results()["totals"]["rejected"] == 1  # tolerated, still reported

    usage = project.sync(emulator, *select, "--fail-on-rejected", "lots")
    assert usage.exit_code == 2 and "is not a row count" in usage.output
