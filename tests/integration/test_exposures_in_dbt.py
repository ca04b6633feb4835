"""`pendo-dbt exposures` writes YAML that real dbt parses into an exposure downstream of the synced models."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pendo_sync.cli import main
from pendo_sync.dbt_bridge.parsing import parse_project
from pendo_sync.dbt_bridge.target import DbtTarget
from tests.integration.harness import Project, environ


def test_the_exposure_parses_and_depends_on_every_selected_tagged_model(project: Project) -> None:
    runner = CliRunner()
    args = ["exposures", *project.flags, "--exclude", "path:models/validate_cases", "--owner-name", "Growth"]
    env = {**project.env, "PENDO_REGION": "eu"}
    with environ(project.env):
        manifest = parse_project(DbtTarget(project.path, project.path, project.target), "target").manifest
    tagged = sorted(m.unique_id for m in manifest.tagged() if "validate_cases" not in m.original_file_path)
    assert "model.pendo_sync_integration_tests.pendo_visitors" in tagged
    first = runner.invoke(main, args, env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert f"exposure 'pendo' depends on {len(tagged)} models" in first.output
    path = project.path / "models" / "pendo_exposures.yml"
    assert "ref('pendo_visitors')" in path.read_text()
    assert "Unchanged:" in runner.invoke(main, args, env=env).output  # rerunning rewrites nothing

    project.dbt("parse")
    manifest = json.loads((project.path / "target" / "manifest.json").read_text())
    exposure = manifest["exposures"][f"exposure.{manifest['metadata']['project_name']}.pendo"]
    assert exposure["type"] == "application" and exposure["label"] == "Pendo"
    assert exposure["url"] == "https://app.eu.pendo.io"
    assert exposure["owner"]["name"] == "Growth"
    assert sorted(exposure["depends_on"]["nodes"]) == tagged
    validated = runner.invoke(main, ["validate", *project.flags], env=project.env)
    assert validated.exit_code == 0, validated.output  # the exposure is no model: pendo-dbt ignores it

    no_owner = runner.invoke(main, ["exposures", *project.flags], env=project.env)
    assert no_owner.exit_code == 2 and "dbt requires an exposure owner" in no_owner.output


def test_an_output_outside_the_model_paths_is_refused_and_not_written(project: Project) -> None:
    args = ["exposures", *project.flags, "--owner-name", "Growth", "--output", "pendo_exposures.yml"]
    result = CliRunner().invoke(main, args, env=project.env)
    assert result.exit_code == 2
    assert "outside the project's model paths (models/), where dbt never reads it" in result.output
    assert "nothing was sent" not in result.output.lower()  # exposures sends nothing anyway
    assert not (project.path / "pendo_exposures.yml").exists()
