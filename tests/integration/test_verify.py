"""End to end: dbt models -> sync -> the emulator, then `pendo-dbt verify` reads Pendo back through the
Aggregation API and compares it with the models, on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pendo_sync import verify as verify_module
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import Project, metadata_posts
from tests.integration.test_field_types import MODEL as TYPED
from tests.integration.test_field_types import ms


def verify(project: Project, emulator: Emulator, *args: str) -> Any:
    return project.sync(emulator, *args, command="verify")


def verify_results(project: Project) -> dict[str, Any]:
    return dict(json.loads((project.path / "target" / "pendo_verify_results.json").read_text()))


def aggregations(emulator: Emulator) -> list[dict[str, Any]]:
    return [r for r in emulator.requests_log if r["path"] == "/api/v1/aggregation"]


def differences_table(project: Project, run_id: str) -> list[tuple[Any, ...]]:
    """The differences a run logged in the warehouse (the package's pendo_sync_verify_differences)."""
    result = project.dbt(
        "show",
        "--inline",
        "select record_key, pendo_group, field, outcome, pendo_value, model_value from "
        "{{ target.schema }}_pendo_sync.pendo_sync_verify_differences "
        f"where run_id = '{run_id}' order by record_key, pendo_group",
    )
    return [tuple(r) for r in result.result.results[0].agate_table.rows]


def test_a_clean_sync_verifies_clean_and_verify_writes_nothing_to_pendo(
    project: Project, emulator: Emulator
) -> None:
    assert project.sync(emulator).exit_code == 0
    posts = len(metadata_posts(emulator))

    result = verify(project, emulator)

    assert result.exit_code == 0, result.output
    assert "OK visitor model pendo_visitors: 10 records compared, 0 records drifted" in result.output
    assert "OK account model pendo_accounts: 4 records compared, 0 records drifted" in result.output
    assert "custom.plan_tier: 10 match, 0 differ" in result.output
    assert "Pendo holds what the models say." in result.output
    assert len(metadata_posts(emulator)) == posts  # read only
    results = verify_results(project)
    assert results["differences"] == []
    assert results["totals"] == {"records_drifted": 0, "success": True}


def test_a_value_changed_in_pendo_is_drift_named_by_id_field_and_both_values(
    project: Project, emulator: Emulator
) -> None:
    assert project.sync(emulator).exit_code == 0
    emulator.set_value("visitor", "u002", "custom", "plan_tier", "enterprise")
    emulator.set_value("account", "acme", "custom", "arr_usd", 1.5)

    result = verify(project, emulator)

    assert result.exit_code == 1, result.output
    assert 'differs: u002 plan_tier: Pendo "enterprise", model "free"' in result.output
    assert "differs: acme arr_usd: Pendo 1.5, model 120000.5" in result.output
    assert "custom.plan_tier: 9 match, 1 differ" in result.output
    assert "Drift: 2 records in Pendo differ from the model (exit 1)." in result.output
    results = verify_results(project)
    assert {(d["id"], d["field"], d["pendo"], d["model_value"]) for d in results["differences"]} == {
        ("u002", "plan_tier", '"enterprise"', '"free"'),
        ("acme", "arr_usd", "1.5", "120000.5"),
    }
    assert differences_table(project, results["run_id"]) == [
        ("acme", "custom", "arr_usd", "differ", "1.5", "120000.5"),
        ("u002", "custom", "plan_tier", "differ", '"enterprise"', '"free"'),
    ]


def test_repair_makes_the_next_sync_resend_exactly_the_drifted_records(
    project: Project, emulator: Emulator
) -> None:
    assert project.sync(emulator).exit_code == 0
    emulator.set_value("visitor", "u002", "custom", "plan_tier", "enterprise")
    emulator.set_value("visitor", "u005", "agent", "email", None)  # cleared in Pendo
    posts = len(metadata_posts(emulator))

    repaired = verify(project, emulator, "--repair")

    assert repaired.exit_code == 1, repaired.output
    assert "--repair: forgot the sync state of 2 drifted records" in repaired.output
    assert "differs: u005 email: Pendo null" in repaired.output
    assert len(metadata_posts(emulator)) == posts  # verify --repair writes nothing to Pendo either
    before = len(emulator.requests_log)

    resync = project.sync(emulator)

    assert resync.exit_code == 0, resync.output
    sent = [(r["path"], r["rows"]) for r in emulator.requests_log[before:] if r["method"] == "POST"]
    assert sorted(sent) == [
        ("/api/v1/metadata/visitor/agent/value", 1),
        ("/api/v1/metadata/visitor/custom/value", 1),
    ]
    assert "[10 rows, 2 changed, 2 sent: 2 updated" in resync.output
    assert verify(project, emulator).exit_code == 0


def test_a_record_pendo_does_not_have_is_reported_missing(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0
    emulator.drop_record("visitor", "u003")

    result = verify(project, emulator)

    assert result.exit_code == 1, result.output
    assert "missing in Pendo: u003" in result.output
    assert "agent.email: 9 match, 0 differ, 1 missing in Pendo" in result.output
    missing = [d for d in verify_results(project)["differences"] if d["outcome"] == "missing"]
    assert {(d["id"], d["group"]) for d in missing} == {("u003", "agent"), ("u003", "custom")}


def test_nulls_under_skip_are_counted_not_compared(project: Project, emulator: Emulator) -> None:
    """u009 has no first name and u008 no seats: with `nulls: skip` Pendo keeps whatever it has."""
    assert project.sync(emulator).exit_code == 0
    emulator.set_value("visitor", "u009", "agent", "firstname", "Dennis")

    result = verify(project, emulator)

    assert result.exit_code == 0, result.output
    assert (
        "agent.firstname: 9 match, 0 differ, 1 NULL in the model (nulls: skip, not compared)" in result.output
    )
    assert "custom.seats: 9 match, 0 differ, 1 NULL in the model" in result.output


def test_paging_across_the_emulators_row_cap(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0
    emulator.aggregation_row_cap = 3
    emulator.set_value("visitor", "u010", "custom", "is_admin", False)  # on the last page

    too_big = verify(project, emulator)
    assert too_big.exit_code == 1
    assert "Pendo answered HTTP 400 to reading" in too_big.output
    assert "page with sort, skip and limit" in too_big.output
    before = len(aggregations(emulator))

    result = verify(project, emulator, "--page-size", "3")

    assert result.exit_code == 1, result.output
    assert "differs: u010 is_admin: Pendo false, model true" in result.output
    assert "10 records compared, 1 record drifted [" in result.output
    assert "4 records compared, 0 records drifted" in result.output
    assert len(aggregations(emulator)) - before == 4 + 2  # 3+3+3+1 visitors, 3+1 accounts


def tallies(output: str) -> list[str]:
    """The per-field counts a verify printed, without the log's time prefix."""
    return sorted(line.split(" ", 1)[1].strip() for line in output.splitlines() if " match, " in line)


def test_a_comparison_in_partitions_finds_what_one_join_finds(
    project: Project, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Partitions of 16 values, a record or two each (on DuckDB, which joins in our process; one join on
    PostgreSQL)."""
    assert project.sync(emulator).exit_code == 0
    emulator.set_value("visitor", "u002", "custom", "plan_tier", "enterprise")
    emulator.set_value("visitor", "u010", "custom", "is_admin", False)
    emulator.drop_record("visitor", "u003")
    whole = verify(project, emulator)
    monkeypatch.setattr(verify_module, "PART_VALUES", 16)

    parted = verify(project, emulator)

    assert parted.exit_code == 1, parted.output
    assert "10 records compared, 3 records drifted [" in parted.output
    assert "custom.plan_tier: 8 match, 1 differ, 1 missing in Pendo" in parted.output
    assert "4 records compared, 0 records drifted" in parted.output
    found = sorted(
        (d["id"], d["group"], d["field"], d["outcome"]) for d in verify_results(project)["differences"]
    )
    assert found == [
        ("u002", "custom", "plan_tier", "differ"),
        ("u003", "agent", "", "missing"),
        ("u003", "custom", "", "missing"),
        ("u010", "custom", "is_admin", "differ"),
    ]
    assert tallies(parted.output) == tallies(whole.output)


def test_sample_reads_only_the_sampled_records_by_filter(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0
    for visitor in ("u001", "u002", "u003", "u004", "u005", "u006", "u007", "u008", "u009", "u010"):
        emulator.set_value("visitor", visitor, "agent", "email", "edited@example.com")

    result = verify(project, emulator, "--sample", "3", "--select", "pendo_visitors")

    assert result.exit_code == 1, result.output
    assert "a sample of 3 records each" in result.output
    assert "3 records compared, 3 records drifted [" in result.output
    assert len(aggregations(emulator)) == 1  # one filtered read, no paging


def test_a_key_without_aggregation_access_is_a_configuration_error_naming_the_fix(
    project: Project, emulator: Emulator
) -> None:
    assert project.sync(emulator).exit_code == 0
    emulator.faults.set(parse_faults([{"match": "/api/v1/aggregation", "status": 403}]))

    result = verify(project, emulator)

    assert result.exit_code == 2, result.output
    assert "Aggregation API" in result.output
    assert "Fix: use an integration key with write access" in result.output


def test_every_field_type_verifies_as_sync_sent_it(project: Project) -> None:
    """Time fields (from timestamps, dates, ISO text, epoch seconds) come back as epoch milliseconds,
    lists, booleans, floats from decimals: every value sync sent verifies as a match."""
    from tests.integration.harness import KEY, TRACK
    from tests.integration.test_field_types import IDS, SCHEMA

    project.dbt("build", "--select", "typed_visitors", "pendo_typed_visitors")
    with Emulator(KEY, TRACK) as pendo:
        pendo.seed({"visitors": list(IDS), "schema": SCHEMA})
        project.sync(
            pendo, *TYPED
        )  # t003 and t004 are rejected for their custom group (see test_field_types)

        result = verify(project, pendo, *TYPED)

        assert "agent.signup_day: 5 match, 0 differ" in result.output  # created time field, from a date
        assert "custom.signed_up_at: 3 match, 2 differ" in result.output  # the two rejected rows' group
        assert "custom.licenses: 3 match, 1 differ, 0" not in result.output
        assert "1 rejected by sync (never sent)" in result.output
        assert "(all differences: target/pendo_verify_results.json and pendo_sync_verify_differences)" in (
            result.output
        )
        drifted = {d["id"] for d in verify_results(project)["differences"]}
        assert drifted == {"t003", "t004"}

        sent = pendo.record("visitor", "t001")
        assert sent is not None
        pendo.set_value("visitor", "t001", "custom", "signed_up_at", sent["custom"]["signed_up_at"] + 1)
        again = verify(project, pendo, *TYPED)
        assert again.exit_code == 1
        assert "custom.signed_up_at: 2 match, 3 differ" in again.output
        t001 = [d for d in verify_results(project)["differences"] if d["id"] == "t001"]
        assert [(d["field"], d["pendo"], d["model_value"]) for d in t001] == [
            ("signed_up_at", str(ms(2024, 1, 15, 9, 30) + 1), str(ms(2024, 1, 15, 9, 30)))
        ]


def test_event_models_are_not_read_back_and_say_so(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0

    result = verify(project, emulator, "--select", "pendo_visitors", "pendo_events")

    assert result.exit_code == 0, result.output
    assert "SKIP event model pendo_events: events are not read back" in result.output
    assert "OK visitor model pendo_visitors: 10 records compared" in result.output


def test_a_model_with_duplicate_ids_is_not_verified_and_fails_the_run(
    project: Project, emulator: Emulator
) -> None:
    assert project.sync(emulator).exit_code == 0
    rows = project.seed_rows("visitors")
    project.write_seed("visitors", [*rows, dict(rows[3], email="again@example.com")])
    project.rebuild()

    result = verify(project, emulator)

    assert result.exit_code == 1, result.output
    assert (
        "ERROR visitor model pendo_visitors: not verified: 1 duplicate value(s) in id column 'user_id'"
        in (result.output)
    )
    assert "OK account model pendo_accounts: 4 records compared" in result.output
    assert verify_results(project)["totals"] == {"records_drifted": 0, "success": False}


def test_json_log_lines_carry_each_models_counts(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0
    emulator.set_value("account", "globex", "agent", "name", "Globex Corp")

    result = project.sync(emulator, command="verify", log_format="json")

    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    data = {line["data"]["model"]: line["data"] for line in lines if "data" in line}
    assert data["pendo_accounts"]["drifted"] == 1
    assert data["pendo_accounts"]["fields"]["agent.name"]["differ"] == 1
    assert data["pendo_visitors"]["fields"]["custom.seats"] == {
        "match": 9,
        "differ": 0,
        "missing": 0,
        "null": 1,
        "rejected": 0,
    }
