"""A model whose latest dbt build failed is not synced from the table it left, unless --allow-stale;
a misspelt `pendo` key under meta is a warning, not a silently untagged model."""

from __future__ import annotations

import os
import time

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project, metadata_posts


def test_a_model_whose_latest_build_failed_is_refused_and_the_others_go_on(
    project: Project, emulator: Emulator
) -> None:
    sql = project.path / "models" / "pendo_visitors.sql"
    sql.write_text(sql.read_text() + "\nwhere no_such_column = 1")
    failed = project.dbt("run", "-s", "pendo_visitors", "pendo_accounts", expect_ok=False)
    assert not failed.success  # the old pendo_visitors table stays

    for command in ("plan", "sync"):
        result = project.sync(emulator, command=command)
        assert result.exit_code == 1, result.output
        assert "its latest dbt build at " in result.output and "ended with error" in result.output
        assert "no_such_column" in result.output  # dbt's reason
        assert "dbt run -s pendo_visitors" in result.output and "--allow-stale" in result.output
    assert "OK synced account model pendo_accounts" in result.output
    assert all("/visitor/" not in post["path"] for post in metadata_posts(emulator))

    stale = project.sync(emulator, "--allow-stale")
    assert stale.exit_code == 0, stale.output
    assert "OK synced visitor model pendo_visitors" in stale.output

    project.dbt("run", "-s", "pendo_accounts")  # a later run without the model says nothing about it
    assert project.sync(emulator).exit_code == 0


def test_a_near_miss_of_the_pendo_key_is_warned_about(project: Project, emulator: Emulator) -> None:
    schema = project.path / "models" / "schema.yml"
    schema.write_text(
        schema.read_text().replace(
            "        pendo:\n          object: account", "        pendoo:\n          object: account"
        )
    )
    result = project.sync(emulator, "-s", "pendo_visitors", command="validate")
    assert result.exit_code == 0, result.output
    assert "[WARNING] pendo_accounts: meta.pendoo is not read" in result.output
    assert "rename `pendoo:` to `pendo:`" in result.output
    selected = project.sync(emulator, "-s", "pendo_accounts", command="validate")
    assert selected.exit_code == 2
    assert "selects no model tagged with meta.pendo (only pendo_accounts)" in selected.output
    assert "pendo_accounts: meta.pendoo is not read" in selected.output


def test_a_model_edited_since_its_latest_build_is_warned_about(project: Project, emulator: Emulator) -> None:
    project.dbt("run", "-s", "pendo_visitors", "pendo_accounts")
    fresh = project.sync(emulator, command="plan")
    assert fresh.exit_code == 0 and "changed after its latest dbt build" not in fresh.output

    sql = project.path / "models" / "pendo_visitors.sql"
    sql.write_text(sql.read_text() + "\n-- edited, not rebuilt")
    later = time.time() + 5  # after the build started, whatever the clocks' resolution
    os.utime(sql, (later, later))
    edited = project.sync(emulator, command="plan")
    assert edited.exit_code == 0, edited.output
    assert (
        "[WARNING] pendo_visitors: models/pendo_visitors.sql changed after its latest dbt build"
        in edited.output
    )
    assert f"Fix: `dbt run -s pendo_visitors --project-dir {project.path}" in edited.output
    assert "pendo_accounts: models" not in edited.output
