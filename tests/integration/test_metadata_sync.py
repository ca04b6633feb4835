"""End to end: dbt models -> pendo-dbt sync -> the emulator, checked through Pendo's own GET endpoints."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from pendo_sync.pendo.client import PendoClient
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.pendo.schema import KindSchema
from tests.integration.harness import KEY, Project, metadata_posts


def pendo_record(emulator: Emulator, kind: str, record_id: str) -> dict[str, Any] | None:
    response = requests.get(
        f"{emulator.url}/api/v1/{kind}/{requests.utils.quote(record_id, safe='')}",
        headers={"x-pendo-integration-key": KEY},
        timeout=10,
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return dict(response.json()["metadata"])


def expected_visitor(row: dict[str, str]) -> dict[str, dict[str, Any]]:
    agent = {"email": row["email"]} | ({"firstname": row["first_name"]} if row["first_name"] else {})
    custom: dict[str, Any] = {"plan_tier": row["plan"], "is_admin": row["is_admin"] == "true"}
    if row["seats"]:
        custom["seats"] = int(row["seats"])
    return {"agent": agent, "custom": custom}


def assert_pendo_holds_visitors(project: Project, emulator: Emulator) -> None:
    for row in project.seed_rows("visitors"):
        metadata = pendo_record(emulator, "visitor", row["user_id"])
        assert metadata is not None, row["user_id"]
        expected = expected_visitor(row)
        assert metadata["agent"] == expected["agent"], row["user_id"]
        assert metadata["custom"] == expected["custom"], row["user_id"]


def test_first_sync_lands_every_row_and_second_sends_nothing(project: Project, emulator: Emulator) -> None:
    first = project.sync(emulator)
    assert first.exit_code == 0, first.output
    assert "OK synced visitor model pendo_visitors" in first.output
    assert "[10 rows, 10 changed, 10 sent: 10 updated, 0 missing, 0 rejected, 0 failed" in first.output
    assert_pendo_holds_visitors(project, emulator)
    acme = pendo_record(emulator, "account", "acme")
    assert acme is not None
    assert acme["agent"] == {"name": "Acme Corp"}
    assert acme["custom"] == {"plan_tier": "enterprise", "arr_usd": 120000.5}
    # One request per group per batch: visitors and accounts each have an agent and a custom group.
    assert sorted(r["path"] for r in metadata_posts(emulator)) == sorted(
        f"/api/v1/metadata/{k}/{g}/value" for k in ("visitor", "account") for g in ("agent", "custom")
    )

    before = len(metadata_posts(emulator))
    second = project.sync(emulator)
    assert second.exit_code == 0, second.output
    assert len(metadata_posts(emulator)) == before
    assert "[10 rows, 0 changed, 0 sent" in second.output
    results = project.results()
    assert results["success"] is True
    assert results["totals"]["sent"] == 0


def test_exactly_the_changed_rows_are_sent(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0
    rows = project.seed_rows("visitors")
    for row in rows[2:5]:
        row["plan"] = "scale"
    project.write_seed("visitors", rows)
    project.rebuild()
    before = len(emulator.requests_log)

    result = project.sync(emulator)

    assert result.exit_code == 0, result.output
    sent = [r for r in emulator.requests_log[before:] if r["method"] == "POST"]
    assert [(r["path"], r["rows"]) for r in sent] == [("/api/v1/metadata/visitor/custom/value", 3)]
    assert "[10 rows, 3 changed, 3 sent: 3 updated" in result.output
    assert_pendo_holds_visitors(project, emulator)


@pytest.mark.parametrize(
    ("fault", "args"),
    [
        ({"corrupt": "bad_counts", "times": 1}, ()),  # the row is reported failed
        ({"drop": "after"}, ("--retry-budget", "1")),  # the run gives up with the batch unanswered
    ],
    ids=["answer-unreadable", "answers-lost"],
)
def test_a_change_pendo_may_hold_is_resent_when_the_model_changes_back(
    project: Project, emulator: Emulator, fault: dict[str, Any], args: tuple[str, ...]
) -> None:
    """Pendo applied the new value but no answer counted it: the old hash must not stay in state, or a
    model changed back to the old value would match it while Pendo keeps the new one."""
    assert project.sync(emulator).exit_code == 0
    original = project.seed_rows("visitors")
    changed = [dict(row) for row in original]
    changed[0]["plan"] = "scale"
    project.write_seed("visitors", changed)
    project.rebuild()
    emulator.faults.set(parse_faults([{"match": "/api/v1/metadata/visitor/custom", **fault}]))
    failed = project.sync(emulator, *args)
    assert failed.exit_code != 0, failed.output
    visitors = next(m for m in project.results()["models"] if m["model"] == "pendo_visitors")
    assert [(p["id"], p["outcome"]) for p in visitors["problems"]] == [(original[0]["user_id"], "failed")]
    assert f"1 failed (no usable answer; retried next run): {original[0]['user_id']}" in failed.output
    record = pendo_record(emulator, "visitor", original[0]["user_id"])
    assert record is not None and record["custom"]["plan_tier"] == "scale"  # applied all the same

    emulator.faults.set([])
    project.write_seed("visitors", original)
    project.rebuild()
    reverted = project.sync(emulator)

    assert reverted.exit_code == 0, reverted.output
    assert "[10 rows, 1 changed, 1 sent: 1 updated" in reverted.output
    assert_pendo_holds_visitors(project, emulator)


def test_missing_records_are_reported_and_retried_until_pendo_has_them(
    project: Project, pendo_schema: dict[str, Any]
) -> None:
    with Emulator(KEY) as emulator:
        emulator.seed(
            {
                "visitors": [f"u00{i}" for i in range(1, 9)],
                "accounts": ["acme", "globex", "initech"],
                "schema": pendo_schema,
            }
        )
        first = project.sync(emulator)
        assert first.exit_code == 0, first.output  # missing is reported, not a failure
        assert "2 not found in Pendo (skipped; retried next run): u009, u010" in first.output
        visitors = next(m for m in project.results()["models"] if m["model"] == "pendo_visitors")
        assert visitors["missing"] == 2 and visitors["updated"] == 8
        assert {(p["id"], p["outcome"]) for p in visitors["problems"]} == {
            ("u009", "missing"),
            ("u010", "missing"),
        }
        assert pendo_record(emulator, "visitor", "u009") is None

        again = project.sync(emulator)
        assert "[10 rows, 2 changed, 2 sent: 0 updated, 2 missing" in again.output

        emulator.seed({"visitors": ["u009", "u010"], "accounts": ["umbrella"]})
        healed = project.sync(emulator)
        assert "[10 rows, 2 changed, 2 sent: 2 updated, 0 missing" in healed.output
        assert_pendo_holds_visitors(project, emulator)
        before = len(metadata_posts(emulator))
        assert project.sync(emulator).exit_code == 0
        assert len(metadata_posts(emulator)) == before


def test_missing_create_makes_pendo_create_the_records(
    project: Project, pendo_schema: dict[str, Any]
) -> None:
    schema = project.path / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace("id_column: user_id", "id_column: user_id\n          missing: create")
    )
    project.dbt("parse")
    with Emulator(KEY) as emulator:
        emulator.seed({"schema": pendo_schema})
        result = project.sync(emulator, "--select", "pendo_visitors")
        assert result.exit_code == 0, result.output
        assert "10 updated, 0 missing" in result.output
        assert_pendo_holds_visitors(project, emulator)
        assert all("create=true" in r["query"] for r in metadata_posts(emulator))


def test_changing_the_mapping_resends_only_the_affected_group(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0
    schema = project.path / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace("firstname: first_name", "firstname: first_name\n              plan: plan")
    )
    project.dbt("parse")
    before = len(emulator.requests_log)
    result = project.sync(emulator)
    assert result.exit_code == 0, result.output
    assert [(r["path"], r["rows"]) for r in emulator.requests_log[before:]] == [
        ("/api/v1/metadata/schema/account", 0),  # Pendo's schema, read once per kind and run
        ("/api/v1/metadata/schema/visitor", 0),
        ("/api/v1/metadata/visitor/agent/value", 10),
    ]
    assert pendo_record(emulator, "visitor", "u001")["agent"]["plan"] == "pro"  # type: ignore[index]


def test_rows_pendo_rejects_stay_unsynced_and_are_sent_again(
    project: Project, emulator: Emulator, pendo_schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    read_schema = PendoClient.get_schema

    def read_then_lose_fields(client: PendoClient, kind: str) -> KindSchema:
        """The custom fields are deleted in Pendo just after the run checked them: Pendo rejects each row."""
        schema = read_schema(client, kind)
        for name in pendo_schema["visitor"]["custom"]:
            requests.delete(
                f"{emulator.url}/api/v1/metadata/schema/visitor/custom/{name}",
                headers={"x-pendo-integration-key": KEY},
                timeout=10,
            ).raise_for_status()
        return schema

    monkeypatch.setattr(PendoClient, "get_schema", read_then_lose_fields)
    emulator.unknown_field = "error"
    first = project.sync(emulator, "--select", "pendo_visitors")
    assert first.exit_code == 1, first.output
    visitors = project.results()["models"][0]
    assert visitors["rejected"] == 10 and visitors["updated"] == 0
    assert "unknown field" in visitors["problems"][0]["reason"]

    monkeypatch.undo()
    emulator.seed({"schema": pendo_schema})  # the fields are created again
    emulator.unknown_field = "accept"
    second = project.sync(emulator, "--select", "pendo_visitors")
    assert second.exit_code == 0, second.output
    assert "10 changed, 10 sent: 10 updated" in second.output
    assert_pendo_holds_visitors(project, emulator)


def test_bad_rows_are_rejected_alone(project: Project, emulator: Emulator) -> None:
    rows = project.seed_rows("visitors")
    rows.append(dict(rows[0], user_id="", email="blank@example.com"))
    rows.append(dict(rows[0], user_id="   ", email="spaces@example.com"))
    project.write_seed("visitors", rows)
    project.rebuild()
    result = project.sync(emulator, "--select", "pendo_visitors")
    assert result.exit_code == 1
    assert "[12 rows, 12 changed, 10 sent: 10 updated, 0 missing, 2 rejected" in result.output
    reasons = [p["reason"] for p in project.results()["models"][0]["problems"]]
    # Seeds load a blank CSV cell as NULL on some adapters and as text on others: both are rejected.
    assert len(reasons) == 2
    assert set(reasons) <= {"id column 'user_id' is empty", "id column 'user_id' is null"}


def test_duplicate_ids_stop_that_model_only(project: Project, emulator: Emulator) -> None:
    rows = project.seed_rows("visitors")
    project.write_seed("visitors", [*rows, dict(rows[3], email="again@example.com")])
    project.rebuild()
    result = project.sync(emulator)
    assert result.exit_code == 1
    assert "ERROR syncing visitor model pendo_visitors" in result.output
    assert "1 duplicate value(s) in id column 'user_id' (e.g. 'u004')" in result.output
    assert "OK synced account model pendo_accounts" in result.output
    assert not any("/visitor/" in r["path"] for r in metadata_posts(emulator))


def test_configuration_errors_exit_2_before_any_io(project: Project, emulator: Emulator) -> None:
    schema = project.path / "models" / "schema.yml"
    text = (
        schema.read_text()
        .replace("object: account", "object: acount")
        .replace("plan_tier: plan", "plan tier: plan")
    )
    schema.write_text(text.replace("email: email", "email: e_mail"))
    project.dbt("parse")
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert "pendo_accounts: meta.pendo.object: unknown object 'acount'" in result.output
    assert (
        "pendo_visitors: meta.pendo.fields.custom.plan tier: 'plan tier' breaks Pendo's naming rules"
        in result.output
    )
    assert "Traceback" not in result.output
    assert emulator.requests_log == []


def test_threads_bound_the_requests_in_flight(project: Project, emulator: Emulator) -> None:
    emulator.faults.set(parse_faults([{"match": "/api/v1/metadata/", "delay": 0.1}]))  # a distant Pendo
    usage = project.sync(emulator, "--threads", "many")
    assert usage.exit_code == 2 and "'many' is not 'auto' or a whole number from 1 to 64" in usage.output
    visitors = ("--select", "pendo_visitors", "--batch-size", "2")
    one = project.sync(emulator, *visitors, "--threads", "1")
    assert one.exit_code == 0, one.output
    assert emulator.peak_in_flight == 1
    auto = project.sync(emulator, *visitors, "--full-refresh")  # the default: --threads auto
    assert auto.exit_code == 0, auto.output
    assert emulator.peak_in_flight > 1


def test_batch_bytes_bounds_every_bulk_body_and_every_row_still_lands(
    project: Project, emulator: Emulator
) -> None:
    usage = project.sync(emulator, "--batch-bytes", "0")
    assert usage.exit_code == 2 and "--batch-bytes" in usage.output
    result = project.sync(emulator, "--select", "pendo_visitors", "--batch-bytes", "300")
    assert result.exit_code == 0, result.output
    assert "[10 rows, 10 changed, 10 sent: 10 updated" in result.output
    rows = [r["rows"] for r in metadata_posts(emulator)]
    assert sum(rows) == 20 and len(rows) > 2  # two groups of 10 rows, in more than one body each
    assert_pendo_holds_visitors(project, emulator)


def test_mapped_columns_are_checked_against_the_built_model(project: Project, emulator: Emulator) -> None:
    schema = project.path / "models" / "schema.yml"
    schema.write_text(schema.read_text().replace("email: email", "email: e_mail"))
    project.dbt("parse")
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert "column 'e_mail' is mapped but the built model has no such column" in result.output
    assert all(r["method"] == "GET" for r in emulator.requests_log)  # Pendo's schema read, nothing sent


def test_state_and_runs_are_recorded_in_the_warehouse(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator).exit_code == 0
    result = project.dbt(
        "show",
        "--inline",
        "select status, count(*) as n from {{ target.schema }}_pendo_sync.pendo_sync_runs group by 1",
    )
    rows = [tuple(r) for r in result.result.results[0].agate_table.rows]
    assert rows == [("success", 1)]
    state = project.dbt(
        "show",
        "--inline",
        "select pendo_group, count(*) from {{ target.schema }}_pendo_sync.pendo_sync_state group by 1 order by 1",
    )
    assert [tuple(r) for r in state.result.results[0].agate_table.rows] == [("agent", 14), ("custom", 14)]

    # Changed rows replace their state row (one per key and group), never add a second one.
    rows = project.seed_rows("visitors")
    for row in rows[:3]:
        row["email"], row["plan"] = f"new-{row['email']}", "scale"
    project.write_seed("visitors", rows)
    project.rebuild()
    assert "3 changed, 3 sent: 3 updated" in project.sync(emulator).output
    again = project.dbt(
        "show",
        "--inline",
        "select pendo_group, count(*), count(distinct record_key) from {{ target.schema }}_pendo_sync.pendo_sync_state "
        "group by 1 order by 1",
    )
    assert [tuple(r) for r in again.result.results[0].agate_table.rows] == [
        ("agent", 14, 14),
        ("custom", 14, 14),
    ]


def test_status_reports_synced_and_pending_rows_from_the_warehouse(
    project: Project, emulator: Emulator, pendo_schema: dict[str, Any]
) -> None:
    never = project.sync(emulator, command="status")
    assert never.exit_code == 0, never.output
    assert "No sync state yet" in never.output
    assert "visitor model pendo_visitors: never synced; pending: 10 rows to send" in never.output
    with Emulator(KEY) as partial:
        partial.seed({"visitors": ["u001", "u002"], "accounts": ["acme"], "schema": pendo_schema})
        assert project.sync(partial).exit_code == 0
    status = project.sync(emulator, command="status")
    assert status.exit_code == 0, status.output
    assert "visitor model pendo_visitors: synced rows: agent 2, custom 2; last run 20" in status.output
    assert re.search(
        r"last run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: ok \(8 missing\); pending: 8 rows to send",
        status.output,
    )
    assert "account model pendo_accounts: synced rows: agent 1, custom 1" in status.output
    assert "ok (3 missing); pending: 3 rows to send" in status.output


def test_status_pending_is_what_the_next_sync_sends_after_a_run_that_stopped(
    project: Project, emulator: Emulator
) -> None:
    assert project.sync(emulator, "--select", "pendo_visitors").exit_code == 0
    project.write_seed("visitors", [dict(r, plan="renamed_tier") for r in project.seed_rows("visitors")])
    project.rebuild()
    emulator.faults.set(parse_faults([{"match": "/api/v1/metadata/visitor/", "status": 403}]))
    stopped = project.sync(emulator, "--select", "pendo_visitors", "--batch-size", "1", "--threads", "1")
    assert stopped.exit_code == 1
    reported = project.results()["models"][0]["failed"]
    assert 0 < reported < 10  # the run stopped before it read every changed row

    emulator.faults.set([])
    status = project.sync(emulator, "--select", "pendo_visitors", command="status", log_format="json")
    assert status.exit_code == 0, status.output
    [line] = [json.loads(line) for line in status.output.splitlines() if '"data"' in line]
    assert line["data"]["pending"] == 10 and line["data"]["last_run_status"] == "error"
    assert line["data"]["last_run"]["failed"] == reported
    assert "pending: 10 rows to send" in line["msg"]
    rerun = project.sync(emulator, "--select", "pendo_visitors")
    assert "10 changed, 10 sent: 10 updated" in rerun.output


def test_records_that_left_the_model_are_reported_not_counted_and_stay_in_pendo(
    project: Project, emulator: Emulator
) -> None:
    rows = project.seed_rows("visitors")
    project.write_seed("visitors", [*rows, dict(rows[0], user_id="", email="blank@example.com")])
    project.rebuild()
    assert project.sync(emulator, "--select", "pendo_visitors").exit_code == 1  # the blank id is rejected
    project.write_seed("visitors", rows[2:])
    project.rebuild()
    status = project.sync(emulator, "--select", "pendo_visitors", command="status")
    assert status.exit_code == 0, status.output
    assert "synced rows: agent 8, custom 8; last run" in status.output
    assert (
        ": warn (1 rejected); pending: none; 2 records left the model since synced (they stay in Pendo)"
        in status.output
    )
    assert pendo_record(emulator, "visitor", rows[0]["user_id"]) is not None
    plan = project.sync(emulator, "--select", "pendo_visitors", command="plan")
    assert "2 records left the model since they were synced; they stay in Pendo" in plan.output


def test_validate_needs_no_warehouse_and_checks_fields_against_pendo_with_a_key(project: Project) -> None:
    for leftover in project.path.glob("*.duckdb*"):
        leftover.unlink()  # no warehouse at all: validate reads only the manifest (and Pendo's schema)
    with Emulator(KEY) as bare:  # a Pendo without the custom fields the suite maps
        missing = project.sync(bare, command="validate")
        assert missing.exit_code == 2, missing.output
        assert "pendo_visitors" in missing.output and "plan_tier" in missing.output
        assert "Settings > Data Mappings" in missing.output
        no_key = project.sync(bare, command="validate", env={"PENDO_INTEGRATION_KEY": ""})
        assert no_key.exit_code == 0, no_key.output
        assert "Set PENDO_INTEGRATION_KEY to also check the fields" in no_key.output
        assert [r for r in bare.requests_log if r["path"].startswith("/api/v1/metadata/schema")]
        assert not [r for r in bare.requests_log if r["method"] == "POST"]  # validate never writes


def test_validate_passes_when_pendo_has_the_fields(project: Project, emulator: Emulator) -> None:
    result = project.sync(emulator, command="validate")
    assert result.exit_code == 0, result.output
    assert "OK: 2 tagged models, no configuration problems. Mapped fields exist in Pendo" in result.output


def test_a_run_stopped_by_a_refused_key_lists_every_model_and_still_sums_up(
    project: Project, emulator: Emulator
) -> None:
    # One model at a time (the profile's threads): the visitors are not reached. With models at once, see
    # test_models_in_parallel.py.
    emulator.faults.set(
        parse_faults([{"match": "/api/v1/metadata/account/", "method": "POST", "status": 403}])
    )
    result = project.sync(emulator, env={"PENDO_SYNC_TEST_THREADS": "1"})
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(" 1 of 2 ERROR syncing account model pendo_accounts" in line for line in lines)
    assert any(" 2 of 2 SKIP visitor model pendo_visitors " in line for line in lines)
    done = next(line for line in lines if "Done. " in line)
    assert "MODELS=2 OK=0 WARN=0 ERROR=1 SKIP=1" in done
    assert lines.index(done) < next(
        i for i, line in enumerate(lines) if line.startswith("Error: Pendo refused")
    )
    assert [m["status"] for m in project.results()["models"]] == ["error", "skipped"]
    assert metadata_posts(emulator) and not any("/visitor/" in r["path"] for r in metadata_posts(emulator))


def test_a_value_set_to_null_stays_in_pendo_with_nulls_skip_and_every_plan_and_sync_says_so(
    project: Project, emulator: Emulator
) -> None:
    rows = project.seed_rows("visitors")
    rows[0]["seats"] = "5"
    project.write_seed("visitors", rows)
    project.rebuild()
    assert project.sync(emulator, "--select", "pendo_visitors").exit_code == 0
    rows[0]["seats"] = ""  # NULL in the model
    project.write_seed("visitors", rows)
    project.rebuild()
    plan = project.sync(emulator, "--select", "pendo_visitors", command="plan")
    assert "1 NULL value would be left out (nulls: skip): Pendo keeps what it holds" in plan.output
    synced = project.sync(emulator, "--select", "pendo_visitors")
    assert synced.exit_code == 0, synced.output
    assert "1 changed, 1 sent: 1 updated" in synced.output
    assert "1 NULL value was left out (nulls: skip)" in synced.output
    assert project.results()["models"][0]["nulls_skipped"] == 1
    record = pendo_record(emulator, "visitor", rows[0]["user_id"])
    assert record is not None and record["custom"]["seats"] == 5  # as the note says


def test_only_sync_says_nothing_was_sent_after_a_configuration_error(
    project: Project, emulator: Emulator
) -> None:
    schema = project.path / "models" / "schema.yml"
    schema.write_text(schema.read_text().replace("object: account", "object: acount"))
    project.dbt("parse")
    synced = project.sync(emulator)
    assert synced.exit_code == 2 and "Nothing was sent." in synced.output
    for command in ("validate", "plan"):
        result = project.sync(emulator, command=command)
        assert result.exit_code == 2 and "unknown object 'acount'" in result.output
        assert "nothing was sent" not in result.output.lower(), command
