"""Bad input gets a clear error naming what to fix, never a traceback."""

from __future__ import annotations

from urllib.parse import quote

import requests

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import KEY, Project


def edit(project: Project, file: str, old: str, new: str) -> None:
    path = project.path / "models" / file
    text = path.read_text()
    assert old in text, (file, old)
    path.write_text(text.replace(old, new, 1))


def test_the_project_is_parsed_for_the_command_not_read_from_a_stale_manifest(
    project: Project, emulator: Emulator
) -> None:
    (project.path / "target" / "manifest.json").write_text("{not json")
    (project.path / "target" / "partial_parse.msgpack").unlink()
    result = project.sync(emulator)
    assert result.exit_code == 0, result.output
    assert "OK synced visitor model pendo_visitors" in result.output


def test_a_project_dbt_cannot_parse_is_a_usage_error(project: Project, emulator: Emulator) -> None:
    edit(project, "schema.yml", "models:", "models:\n  - name: [unclosed")
    result = project.sync(emulator)
    assert result.exit_code == 2, result.output
    assert "dbt could not parse the project for this target" in result.output
    assert f"`dbt parse --project-dir {project.path}" in result.output
    assert f"--target {project.target}`" in result.output
    assert "Traceback" not in result.output and emulator.requests_log == []


def test_model_not_built_names_the_relation_and_the_command_for_this_target(
    project: Project, emulator: Emulator
) -> None:
    edit(
        project,
        "schema.yml",
        "  - name: pendo_visitors\n    config:\n",
        "  - name: pendo_visitors\n    config:\n      alias: never_built\n",
    )
    result = project.sync(emulator)
    assert result.exit_code == 2
    assert "never_built" in result.output and "does not exist in the warehouse" in result.output
    assert "meta.pendo.:" not in result.output and "pendo_visitors: meta" not in result.output
    assert f"dbt run -s pendo_visitors --project-dir {project.path}" in result.output
    assert f"--target {project.target}`" in result.output  # the fix acts on the target we read
    assert all(r["method"] == "GET" for r in emulator.requests_log)  # Pendo's schema read, nothing sent


def test_wrong_yaml_types_at_every_level_are_collected(project: Project, emulator: Emulator) -> None:
    edit(
        project,
        "schema.yml",
        "        pendo:\n          object: visitor\n",
        "        pendo: [object, visitor]\n        old:\n",
    )
    edit(
        project,
        "schema.yml",
        "            custom:\n              plan_tier: plan\n              arr_usd: arr_usd",
        "            custom: [plan]",
    )
    result = project.sync(emulator)
    assert result.exit_code == 2, result.output
    assert "pendo_visitors: meta.pendo: must be a mapping, got a list" in result.output
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


def test_problems_of_the_mapping_and_of_the_built_relations_come_in_one_run(
    project: Project, emulator: Emulator
) -> None:
    edit(project, "schema.yml", "email: email", "email: e_mail")
    edit(project, "schema.yml", "seats: seats", "seatz: seats")
    edit(project, "schema.yml", "object: account", "object: acount")
    for command in ("validate", "plan", "sync"):
        result = project.sync(emulator, command=command)
        assert result.exit_code == 2, result.output
        assert "seatz" in result.output  # a field Pendo lacks
        if command == "validate":  # it never reads the warehouse
            assert "2 configuration problems" in result.output
            continue
        assert "3 configuration problems" in result.output
        assert "pendo_accounts: meta.pendo.object: unknown object 'acount'" in result.output
        assert "did you mean `object: account`?" in result.output
        assert (
            "pendo_visitors: meta.pendo.fields.agent.email: column 'e_mail' is mapped but the built model "
            "has no such column. Fix: did you mean 'email'?"
        ) in result.output
    assert all(r["method"] == "GET" for r in emulator.requests_log)  # Pendo's schema, read only
