"""The dbt package on real dbt: the whole integration project builds (event_id tests included),
and every validate() failure mode fails `dbt build` with a message naming the model and the fix."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from click.testing import CliRunner

from pendo_sync import __version__
from pendo_sync.cli import main
from tests.integration.harness import REPO, Project

CASES = {
    "missing_column": ["mapped column 'plan_name' (meta.pendo.fields.custom.plan_tier) is missing"],
    "missing_event_column": [
        "mapped column 'currency' (meta.pendo.properties[1]) is missing",
        "mapped column 'page_url' (meta.pendo.context.url) is missing",
    ],
    "null_visitor_id": ["id_column 'user_id' has 1 NULL value(s) in 3 row(s)"],
    "dup_visitor_id": ["id_column 'user_id' has duplicated values", "e.g. 'u002' appears 2 times"],
    # Names resolved ignoring case (as pendo-dbt does), the key check run on the stored "USER_ID".
    "dup_case_folded_id": [
        "failed 1 check(s)",
        "id_column 'user_id' has duplicated values",
        "e.g. 'u002' appears 2 times",
    ],
    "dup_account_id": ["id_column 'account_id' has duplicated values", "e.g. 'acme' appears 3 times"],
    "null_event_id": ["event_id_column 'event_id' has 1 NULL value(s) in 2 row(s)"],
    "dup_event_id": ["event_id_column 'event_id' has duplicated values", "e.g. 'e2' appears 2 times"],
}


def messages(result: Any) -> str:
    parts = [str(result.exception or "")]
    for node in getattr(result.result, "results", None) or []:
        parts.append(str(node.message or ""))
    return "\n".join(parts)


def test_the_whole_integration_project_builds_and_its_tests_pass(project: Project) -> None:
    result = project.dbt("build")
    statuses = {str(r.status) for r in result.result.results}
    assert statuses <= {"success", "pass"}, statuses
    tests = [r for r in result.result.results if r.node.resource_type == "test"]
    assert len(tests) >= 20  # the event_id property tests and the package's model tests all ran


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_validate_failure_fails_the_build_naming_the_model(project: Project, case: str) -> None:
    result = project.dbt(
        "build", "--select", "validate_cases", "--vars", f"{{pendo_validate_case: {case}}}", expect_ok=False
    )
    assert not result.success
    text = messages(result)
    assert f"pendo_sync.validate: model 'validate_{case}'" in text
    assert "Fix:" in text
    for fragment in CASES[case]:
        assert fragment in text, (fragment, text)
    failed = [r.node.name for r in result.result.results if str(r.status) == "error"]
    assert failed == [f"validate_{case}"]  # the clean and untagged models in the same folder pass


def test_validate_warns_when_the_installed_package_is_another_version(project: Project) -> None:
    """The package in dbt_packages/ says 0.0.1 in its version() macro: every command warns, naming both."""
    installed = project.path / "dbt_packages" / "pendo_sync"
    installed.unlink() if installed.is_symlink() else shutil.rmtree(installed)
    for part in ("macros", "models"):
        shutil.copytree(REPO / part, installed / part)
    shutil.copy(REPO / "dbt_project.yml", installed)
    (installed / "macros" / "version.sql").write_text("{% macro version() %}0.0.1{% endmacro %}\n")
    argv = ["validate", *project.flags, "--select", "pendo_visitors"]
    result = CliRunner().invoke(main, argv, env={**project.env, "PENDO_INTEGRATION_KEY": ""})
    assert result.exit_code == 0, result.output
    assert f"version 0.0.1, but pendo-dbt is {__version__}" in result.output
    assert "[WARNING]" in result.output and "dbt deps" in result.output


def test_the_same_version_gives_no_version_warning(project: Project) -> None:
    argv = ["validate", *project.flags, "--select", "pendo_visitors"]
    result = CliRunner().invoke(main, argv, env={**project.env, "PENDO_INTEGRATION_KEY": ""})
    assert result.exit_code == 0, result.output
    assert "pendo-dbt is" not in result.output


DIALECTS = ("bigquery", "snowflake", "redshift", "spark", "databricks", "trino", "duckdb", "postgres")


def test_the_package_models_compile_to_sql_every_dialect_reads(project: Project) -> None:
    """The state models are empty typed selects; BigQuery rejects a WHERE without a FROM, so each one
    selects from a one-row subquery. Compiled by dbt (DuckDB), then read by sqlglot in every dialect."""
    import sqlglot
    from sqlglot import exp

    if project.target != "duckdb":
        pytest.skip("one compile is enough: the models' SQL does not depend on the engine here")
    project.dbt("compile", "--select", "package:pendo_sync")
    compiled = sorted((project.path / "target" / "compiled" / "pendo_sync" / "models").glob("*.sql"))
    assert len(compiled) == 5
    for path in compiled:
        for dialect in DIALECTS:
            tree = sqlglot.parse_one(path.read_text(), read=dialect)
            outer_from = tree.args.get("from_", tree.args.get("from"))  # the key sqlglot 30 renamed
            assert isinstance(tree, exp.Select) and outer_from is not None, (path.name, dialect)
