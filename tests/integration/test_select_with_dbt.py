"""--select/--exclude resolved by dbt's own selector (real `dbt ls`, in-process) on DuckDB and PostgreSQL."""

from __future__ import annotations

from pendo_sync.dbt_bridge.parsing import parse_project
from pendo_sync.dbt_bridge.selection import Selection
from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.project import SyncOptions, load_config
from tests.integration.harness import Project, environ


def selected(project: Project, select: tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[str]:
    options = SyncOptions(
        DbtTarget(project.path, project.path, project.target), selection=Selection(select, exclude)
    )
    with environ(project.env):
        _, parsed = load_config(options)
    return sorted(s.model.name for s in parsed.specs)


def test_dbt_selection_syntax_picks_tagged_models(project: Project) -> None:
    with environ(project.env):
        manifest = parse_project(DbtTarget(project.path, project.path, project.target), "target").manifest
    visitors = sorted(m.name for m in manifest.tagged() if m.pendo["object"] == "visitor")
    assert {"pendo_typed_visitors", "pendo_visitors", "validate_clean_visitors"} <= set(visitors)
    other_visitors = [v for v in visitors if v not in ("pendo_typed_visitors", "validate_clean_visitors")]
    cases: list[tuple[tuple[str, ...], tuple[str, ...], list[str]]] = [
        (("pendo_visitors",), (), ["pendo_visitors"]),
        (("config.meta.pendo.object:visitor",), (), visitors),
        (("tag:product_analytics",), (), ["pendo_events"]),
        (("path:models/events",), (), ["pendo_events"]),
        (("events",), (), ["pendo_events"]),  # a folder, through dbt's fqn method
        (("validate_clean_events_input+",), (), ["validate_clean_events"]),  # an untagged model's children
        (("config.meta.pendo.object:visitor,path:models/validate_cases",), (), ["validate_clean_visitors"]),
        (
            ("pendo_accounts path:models/events",),
            (),
            ["pendo_accounts", "pendo_events"],
        ),  # a union in one value
        (
            ("pendo_accounts", "tag:product_analytics"),
            (),
            ["pendo_accounts", "pendo_events"],
        ),  # repeated flags
        (
            ("config.meta.pendo.object:visitor",),
            ("pendo_typed_visitors validate_clean_visitors",),
            other_visitors,
        ),
    ]
    for select, exclude, expected in cases:
        assert selected(project, select, exclude) == expected, (select, exclude)


def test_selection_on_the_command_line(project: Project, emulator: Emulator) -> None:
    synced = project.sync(emulator, "-s", "config.meta.pendo.object:account", "pendo_visitors")
    assert synced.exit_code == 0, synced.output
    assert "1 of 2 OK synced account model pendo_accounts" in synced.output
    assert "2 of 2 OK synced visitor model pendo_visitors" in synced.output
    assert "Running with dbt" not in synced.output and "Found " not in synced.output  # dbt's logs stay quiet

    for command in ("validate", "status", "plan", "sync", "exposures"):
        typo = project.sync(emulator, "--select", "pendo_visitors pendo_vistors", command=command)
        assert typo.exit_code == 2, (command, typo.output)
        assert "the selector pendo_vistors does not match any enabled model" in typo.output
        assert "pendo_visitors does not match" not in typo.output
    excluded = project.sync(emulator, "--select", "pendo_visitors", "--exclude", "tag:no_such_tag")
    assert excluded.exit_code == 2 and "the selector tag:no_such_tag does not match" in excluded.output
    untagged = project.sync(emulator, "--select", "validate_clean_events_input", command="plan")
    assert untagged.exit_code == 2, untagged.output
    assert "selects no model tagged with meta.pendo" in untagged.output

    before = len(emulator.requests_log)
    bad = project.sync(emulator, "--select", "bad_method:x")
    assert bad.exit_code == 2
    assert (
        "dbt could not resolve the selection (--select bad_method:x): 'bad_method' is not a valid method name"
        in bad.output
    )
    assert "Traceback" not in bad.output
    assert len(emulator.requests_log) == before
