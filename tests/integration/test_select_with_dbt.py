"""--select/--exclude resolved by dbt's own selector (real `dbt ls`, in-process) on DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest

from pendo_sync import selection as selection_module
from pendo_sync.manifest import load_manifest
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.selection import Selection, list_models, names_only
from pendo_sync.sync import SyncOptions, load_config
from pendo_sync.warehouse import DbtTarget
from tests.integration.harness import Project, environ

PKG = "pendo_sync_integration_tests"


def selected(project: Project, select: tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[str]:
    options = SyncOptions(
        DbtTarget(project.path, project.path, project.target), selection=Selection(select, exclude)
    )
    with environ(project.env):
        _, parsed = load_config(options)
    return sorted(s.model.name for s in parsed.specs)


def test_dbt_selection_syntax_picks_tagged_models(project: Project) -> None:
    visitors = sorted(m.name for m in load_manifest(project.path).tagged() if m.pendo["object"] == "visitor")
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
        (("tag:no_such_tag",), (), []),
    ]
    for select, exclude, expected in cases:
        assert selected(project, select, exclude) == expected, (select, exclude)


def test_the_by_name_shortcut_agrees_with_dbt(project: Project) -> None:
    manifest = load_manifest(project.path)
    target = DbtTarget(project.path, project.path, project.target)
    tagged = {m.unique_id for m in manifest.tagged()}
    names = sorted({m.name for m in manifest.tagged()} | {"accounts_untagged_no_model", "pendo_sync_state"})
    words = [*names, "events", "validate_cases", PKG, "pendo_sync"]
    shortcut_taken = 0
    with environ(project.env):
        for word in words:
            by_name = names_only(manifest, Selection((word,)))
            by_dbt = sorted(set(list_models(Selection((word,)), target, "target")) & tagged)
            if by_name is not None:
                shortcut_taken += 1
                assert sorted(m.unique_id for m in by_name) == by_dbt, word
            else:
                assert word in (
                    "accounts_untagged_no_model",
                    "events",
                    "validate_cases",
                    PKG,
                    "pendo_sync",
                ), word
    assert shortcut_taken == len(names) - 1  # every model name; not the name no model has


def test_selection_on_the_command_line(
    project: Project, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = project.sync(emulator, "-s", "config.meta.pendo.object:account", "pendo_visitors")
    assert synced.exit_code == 0, synced.output
    assert "1 of 2 OK synced account model pendo_accounts" in synced.output
    assert "2 of 2 OK synced visitor model pendo_visitors" in synced.output
    assert "Running with dbt" not in synced.output and "Found " not in synced.output  # dbt's logs stay quiet

    for command in ("validate", "status", "plan", "sync"):
        nothing = project.sync(emulator, "--select", "tag:no_such_tag", command=command)
        assert nothing.exit_code == 0, (command, nothing.output)
        assert (
            "Nothing to do: no model tagged with meta.pendo matches --select tag:no_such_tag"
            in nothing.output
        )

    before = len(emulator.requests_log)
    bad = project.sync(emulator, "--select", "bad_method:x")
    assert bad.exit_code == 2
    assert (
        "dbt could not resolve the selection (--select bad_method:x): 'bad_method' is not a valid method name"
        in bad.output
    )
    assert "Traceback" not in bad.output
    assert len(emulator.requests_log) == before

    def no_dbt(*args: object) -> list[str]:
        raise AssertionError("dbt ls ran for a selection the manifest answers")

    monkeypatch.setattr(selection_module, "list_models", no_dbt)
    for args in ((), ("-s", "pendo_visitors", "pendo_accounts")):
        result = project.sync(emulator, *args, command="validate")
        assert result.exit_code == 0 and "OK: " in result.output, result.output
