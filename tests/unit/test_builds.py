"""Which models' latest dbt build failed, from run_results.json: only entries about the relation we read."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pendo_sync.builds import edited_since_build, failed_builds, read_run_results
from pendo_sync.manifest import ModelNode

VISITORS = ModelNode("model.p.visitors", "visitors", "db", "prod", "visitors", {"object": "visitor"})
ACCOUNTS = ModelNode("model.p.accounts", "accounts", "db", "prod", "accounts", {"object": "account"})
RELATIONS = {VISITORS.unique_id: '"db"."prod"."visitors"', ACCOUNTS.unique_id: '"db"."prod"."accounts"'}


def results(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"generated_at": "2026-12-07T10:00:00Z"}, "results": list(entries)}


def entry(model: ModelNode, status: str, relation: str | None = None, message: str = "") -> dict[str, Any]:
    found = {"unique_id": model.unique_id, "status": status, "message": message}
    if relation is not None:
        found["relation_name"] = relation
    return found


def test_an_error_or_a_skip_of_the_relation_we_read_is_a_failed_build() -> None:
    run = results(
        entry(
            VISITORS, "error", '"db"."prod"."visitors"', "Database Error\n  mapped column email is missing"
        ),
        entry(ACCOUNTS, "skipped", "db.prod.accounts"),  # quoted differently: the same relation
    )
    failed = failed_builds(run, [VISITORS, ACCOUNTS], RELATIONS)
    assert failed[VISITORS.unique_id] == (
        "its latest dbt build at 2026-12-07T10:00:00Z ended with error "
        "(Database Error mapped column email is missing)"
    )
    assert failed[ACCOUNTS.unique_id].endswith("ended with skipped")


def test_a_build_of_another_target_or_an_absent_model_says_nothing() -> None:
    run = results(entry(VISITORS, "error", '"db"."dev"."visitors"'), entry(ACCOUNTS, "success"))
    assert failed_builds(run, [VISITORS, ACCOUNTS], RELATIONS) == {}
    assert failed_builds(results(), [VISITORS], RELATIONS) == {}
    assert failed_builds(None, [VISITORS], RELATIONS) == {}
    assert failed_builds({"results": "x"}, [VISITORS], RELATIONS) == {}


def test_a_missing_or_unreadable_file_is_nothing_known(tmp_path: Path) -> None:
    assert read_run_results(tmp_path / "run_results.json") is None
    (tmp_path / "run_results.json").write_text("{half")
    assert read_run_results(tmp_path / "run_results.json") is None


def test_a_model_file_newer_than_its_latest_successful_build_is_warned_about() -> None:
    run = {
        "metadata": {"invocation_started_at": "2026-12-07T10:00:00Z"},
        "results": [entry(VISITORS, "success", '"db"."prod"."visitors"'), entry(ACCOUNTS, "success")],
    }
    built = datetime(2026, 12, 7, 10, tzinfo=timezone.utc).timestamp()
    visitors = replace(VISITORS, original_file_path="models/visitors.sql")
    modified = {VISITORS.unique_id: built + 60, ACCOUNTS.unique_id: built - 60}
    assert edited_since_build(run, [visitors, ACCOUNTS], RELATIONS, modified, " --target prod") == [
        "visitors: models/visitors.sql changed after its latest dbt build (started 2026-12-07T10:00:00Z): its "
        "table may not reflect the edit. Fix: `dbt run -s visitors --target prod`"
    ]
    other_target = {**run, "results": [entry(VISITORS, "success", '"db"."dev"."visitors"')]}
    assert edited_since_build(other_target, [visitors], RELATIONS, modified) == []
    assert edited_since_build({"results": run["results"]}, [visitors], RELATIONS, modified) == []
