"""`object: parent_account` end to end against the emulator: written with `kind=parentAccount` on the bulk
endpoint, after Pendo's parentAccount schema is read; refused, before anything is sent, when the
subscription has no parent accounts."""

from __future__ import annotations

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project

SELECT = ("--select", "pendo_parent_accounts")


def write_parent_model(project: Project) -> None:
    """Parent accounts from the suite's accounts seed: one parent per account, named after it."""
    folder = project.path / "models" / "parents"
    folder.mkdir(exist_ok=True)
    (folder / "pendo_parent_accounts.sql").write_text(
        "select 'parent-' || account_id as parent_id, name, plan from {{ ref('accounts') }}\n"
    )
    (folder / "parents.yml").write_text(
        "version: 2\nmodels:\n  - name: pendo_parent_accounts\n    config:\n      meta:\n        pendo:\n"
        "          object: parent_account\n          id_column: parent_id\n"
        "          fields: {agent: {name: name}, custom: {plan_tier: plan}}\n"
    )
    project.dbt("run", "--select", "pendo_parent_accounts")


def parent_ids(project: Project) -> list[str]:
    return [f"parent-{r['account_id']}" for r in project.seed_rows("accounts")]


def test_parent_accounts_are_written_with_kind_parent_account(project: Project, emulator: Emulator) -> None:
    schema = {"parentAccount": {"agent": {"name": "string"}, "custom": {"plan_tier": "string"}}}
    emulator.seed({"parent_accounts": parent_ids(project), "schema": schema})
    write_parent_model(project)
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 0, result.output
    acme = emulator.record("parentAccount", "parent-acme")
    assert acme is not None
    assert acme["agent"] == {"name": "Acme Corp"}
    assert acme["custom"] == {"plan_tier": "enterprise"}
    posts = {r["path"] for r in emulator.requests_log if r["method"] == "POST"}
    assert posts == {f"/api/v1/metadata/parentAccount/{g}/value" for g in ("agent", "custom")}
    assert project.results()["models"][0]["object"] == "parent_account"

    again = project.sync(emulator, *SELECT)
    assert "0 sent" in again.output


def test_a_subscription_without_parent_accounts_is_a_clear_error_before_anything_is_sent(
    project: Project, emulator: Emulator
) -> None:
    write_parent_model(project)
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 2, result.output
    assert "does not have parent accounts" in result.output
    assert "Pendo Support" in result.output
    assert "Traceback" not in result.output
    assert [r["method"] for r in emulator.requests_log] == ["GET"]  # the schema read, nothing written

    plan = project.sync(emulator, *SELECT, command="plan")
    assert plan.exit_code == 2, plan.output
    assert "does not have parent accounts" in plan.output
