"""--target and --vars decide which relations are read and where state lives, whatever target the
manifest in target/ was last parsed for."""

from __future__ import annotations

from typing import Any

import yaml

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project, environ


def add_alt_target(project: Project) -> None:
    """A second output of the same profile whose schema is the first's plus `_<var alt_schema>`."""
    path = project.path / "profiles.yml"
    profiles: dict[str, Any] = yaml.safe_load(path.read_text())
    outputs = profiles["pendo_sync_integration_tests"]["outputs"]
    alt = dict(outputs[project.target])
    alt["schema"] = f"{alt['schema']}_{{{{ var('alt_schema', 'alt') }}}}"
    outputs["alt"] = alt
    path.write_text(yaml.safe_dump(profiles))


def dbt(project: Project, *args: str) -> None:
    """dbt with the project's flags but the target given in `args`."""
    from dbt.cli.main import dbtRunner

    flags = ["--project-dir", str(project.path), "--profiles-dir", str(project.path)]
    with environ(project.env):
        result = dbtRunner().invoke([*args, *flags])
    assert result.success, result.exception


def test_the_target_given_decides_the_relations_and_the_state_schema(
    project: Project, emulator: Emulator
) -> None:
    add_alt_target(project)
    dbt(project, "parse", "--target", "alt")  # target/ now describes alt, where nothing is built

    plan = project.sync(emulator, "-s", "pendo_visitors", command="plan")  # --target <the built one>
    assert plan.exit_code == 0, plan.output
    assert f"Plan for target '{project.target}'" in plan.output
    assert "_alt" not in plan.output  # neither alt's relations nor alt's state schema
    assert "[10 rows, 10 changed, 10 to send" in plan.output

    dbt(project, "parse", "--target", project.target)  # and the other way round
    alt = project.sync(emulator, "-s", "pendo_visitors", "--target", "alt", command="plan")
    assert alt.exit_code == 2, alt.output
    assert (
        "_alt" in alt.output
        and "pendo_visitors\" does not exist in the warehouse (target 'alt')" in alt.output
    )
    assert "dbt run -s pendo_visitors" in alt.output and "--target alt`" in alt.output


def test_vars_that_move_a_schema_move_what_is_read(project: Project, emulator: Emulator) -> None:
    add_alt_target(project)
    moved = "{alt_schema: moved}"
    dbt(project, "build", "-s", "visitors", "pendo_visitors", "--target", "alt", "--vars", moved)
    dbt(project, "parse", "--target", "alt")  # the default var: schema ..._alt, not built

    synced = project.sync(emulator, "-s", "pendo_visitors", "--target", "alt", "--vars", moved)
    assert synced.exit_code == 0, synced.output
    assert "_moved_pendo_sync" in synced.output  # state next to the relations read
    assert "10 sent: 10 updated" in synced.output

    unmoved = project.sync(emulator, "-s", "pendo_visitors", "--target", "alt")
    assert unmoved.exit_code == 2 and '_alt"."pendo_visitors" does not exist' in unmoved.output
