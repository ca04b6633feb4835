"""Bad input gets a clear error naming what to fix, never a traceback."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import KEY, Project


def manifest_path(project: Project) -> str:
    return str(project.path / "target" / "manifest.json")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "is not a readable dbt manifest"),
        ("[]", "has no 'nodes' object; it is not a dbt manifest"),
        ('{"nodes": {"model.x.y": {"resource_type": "model"}}}', "node model.x.y has no name or schema"),
    ],
)
def test_malformed_manifest(project: Project, emulator: Emulator, content: str, fragment: str) -> None:
    (project.path / "target" / "manifest.json").write_text(content)
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert fragment in result.output and "dbt parse" in result.output
    assert "Traceback" not in result.output


def test_no_manifest(project: Project, emulator: Emulator) -> None:
    (project.path / "target" / "manifest.json").unlink()
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert "No dbt manifest at" in result.output and "Run `dbt parse`" in result.output


def test_manifest_from_another_adapter(project: Project, emulator: Emulator) -> None:
    path = project.path / "target" / "manifest.json"
    manifest = json.loads(path.read_text())
    other = "postgres" if project.target == "duckdb" else "duckdb"
    manifest["metadata"]["adapter_type"] = other
    path.write_text(json.dumps(manifest))
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert f"produced for a {other} target" in result.output and "same --target" in result.output
    assert emulator.requests_log == []


def test_model_in_manifest_but_not_built(project: Project, emulator: Emulator) -> None:
    path = project.path / "target" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["nodes"]["model.pendo_sync_integration_tests.pendo_visitors"]["alias"] = "never_built"
    path.write_text(json.dumps(manifest))
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert "never_built" in result.output and "does not exist in the warehouse" in result.output
    assert "dbt run -s pendo_visitors" in result.output
    assert emulator.requests_log == []


def test_wrong_yaml_types_at_every_level_are_collected(project: Project, emulator: Emulator) -> None:
    path = project.path / "target" / "manifest.json"
    manifest = json.loads(path.read_text())
    nodes = manifest["nodes"]
    visitors = nodes["model.pendo_sync_integration_tests.pendo_visitors"]
    accounts = nodes["model.pendo_sync_integration_tests.pendo_accounts"]
    visitors["config"]["meta"]["pendo"] = ["object", "visitor"]
    accounts["config"]["meta"]["pendo"]["fields"] = {"custom": ["plan"]}
    path.write_text(json.dumps(manifest))
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert "pendo_visitors: meta.pendo.: must be a mapping, got a list" in result.output
    assert (
        "pendo_accounts: meta.pendo.fields.custom: must map Pendo field -> column, got a list"
        in result.output
    )


def test_hostile_column_names_are_quoted_not_executed(project: Project, emulator: Emulator) -> None:
    sql = project.path / "models" / "pendo_visitors.sql"
    sql.write_text(
        sql.read_text().replace("first_name,", 'first_name as "x""; drop table pendo_accounts; --",')
    )
    schema = project.path / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace("firstname: first_name", "firstname: 'x\"; drop table pendo_accounts; --'")
    )
    project.rebuild()
    result = project.sync(emulator)
    assert result.exit_code == 0, result.output
    assert "OK synced account model pendo_accounts" in result.output  # still there: nothing was executed
    again = project.sync(emulator)
    assert "[4 rows, 0 changed" in again.output


def test_awkward_ids_and_values_are_sent_exactly(project: Project, emulator: Emulator) -> None:
    awkward = ["a/b", "q?x=1&y=2", "frag#1", "ünïcødé-访客", "%2F", "x" * 1024]
    rows = project.seed_rows("visitors")
    for row, new_id in zip(rows, awkward):
        row["user_id"] = new_id
    rows[0]["email"] = "tab\tand\nnewline 🎉 \x01"
    project.write_seed("visitors", rows)
    project.rebuild()
    emulator.seed({"visitors": awkward})
    result = project.sync(emulator, "--select", "pendo_visitors")
    assert result.exit_code == 0, result.output
    assert "10 sent: 10 updated" in result.output
    for row in rows:
        response = requests.get(
            f"{emulator.url}/api/v1/visitor/{quote(row['user_id'], safe='')}",
            headers={"x-pendo-integration-key": KEY},
            timeout=10,
        )
        assert response.status_code == 200, row["user_id"]
        assert response.json()["metadata"]["agent"]["email"] == row["email"]


def test_a_target_the_profile_lacks_is_named_with_the_targets_it_has(
    project: Project, emulator: Emulator
) -> None:
    result = project.sync(emulator, "--target", "nope")
    assert result.exit_code == 2, result.output
    assert "does not have a target named 'nope'" in result.output
    assert "are: - " in result.output  # dbt's list of the valid targets, not only its last line
    assert "Traceback" not in result.output and emulator.requests_log == []
