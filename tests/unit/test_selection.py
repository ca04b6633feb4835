"""--select/--exclude: the dbt ls invocation, its output, the by-name shortcut, the variadic option."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pendo_sync.cli_options import SelectorOption
from pendo_sync.errors import ConfigError
from pendo_sync.manifest import Manifest, ModelNode
from pendo_sync.selection import (
    Selection,
    keep_selected,
    ls_args,
    names_only,
    nothing_selected,
    parse_ls_output,
)
from pendo_sync.warehouse import DbtTarget


def model(fqn: tuple[str, ...], tagged: bool = True, versioned: bool = False) -> ModelNode:
    name = fqn[-1]
    return ModelNode(
        f"model.{fqn[0]}.{name}",
        name,
        None,
        "main",
        name,
        {"object": "visitor"} if tagged else None,
        package_name=fqn[0],
        fqn=fqn,
        versioned=versioned,
    )


MANIFEST = Manifest(
    "duckdb",
    (
        model(("proj", "pendo_visitors")),
        model(("proj", "events", "pendo_events")),
        model(("proj", "staging", "stg_users"), tagged=False),
        model(("other_pkg", "pendo_visitors")),
    ),
    "proj",
)


def test_dbt_ls_gets_dbts_own_flags_and_every_selector_untouched() -> None:
    target = DbtTarget(Path("/p"), Path("/profiles"), "ci", None, "{x: 1}")
    args = ls_args(Selection(("a b", "tag:x,config.meta.pendo.object:visitor"), ("+c",)), target, "tgt")
    assert args[:7] == ["ls", "--resource-type", "model", "--output", "json", "--output-keys", "unique_id"]
    assert {"--quiet", "--no-write-json"} <= set(args)
    assert args[args.index("--log-level") + 1] == "none"
    pairs = list(zip(args, args[1:]))
    for pair in [
        ("--project-dir", "/p"),
        ("--profiles-dir", "/profiles"),
        ("--target", "ci"),
        ("--vars", "{x: 1}"),
        ("--target-path", "tgt"),
        ("--select", "a b"),
        ("--select", "tag:x,config.meta.pendo.object:visitor"),
        ("--exclude", "+c"),
    ]:
        assert pair in pairs
    assert "--profile" not in args  # unset flags are left to dbt's own defaults


def test_ls_output_is_read_as_unique_ids_and_garbage_is_a_usage_error() -> None:
    assert parse_ls_output(['{"unique_id": "model.p.a"}', '{"unique_id": "model.p.b"}']) == [
        "model.p.a",
        "model.p.b",
    ]
    with pytest.raises(ConfigError, match="unexpected output from `dbt ls`"):
        parse_ls_output(["model.p.a"])


def test_only_tagged_models_dbt_selected_are_kept_in_manifest_order() -> None:
    kept = keep_selected(
        MANIFEST.tagged(), ["model.proj.pendo_events", "model.proj.stg_users", "model.x.gone"]
    )
    assert [m.unique_id for m in kept] == ["model.proj.pendo_events"]


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        (("pendo_visitors",), ["model.proj.pendo_visitors", "model.other_pkg.pendo_visitors"]),
        (("pendo_events stg_users",), ["model.proj.pendo_events"]),
        (("stg_users",), []),  # a model, but not tagged: nothing selected
    ],
)
def test_bare_model_names_are_answered_from_the_manifest(
    select: tuple[str, ...], expected: list[str]
) -> None:
    found = names_only(MANIFEST, Selection(select))
    assert found is not None
    assert sorted(m.unique_id for m in found) == sorted(expected)


@pytest.mark.parametrize(
    "selection",
    [
        Selection(("events",)),  # a folder: dbt's fqn method selects everything in it
        Selection(("proj",)),  # a package
        Selection(("other_pkg",)),
        Selection(("no_such_model",)),
        Selection(("pendo_visitors+",)),
        Selection(("tag:pendo",)),
        Selection(("pendo_visitors",), ("pendo_events",)),
        Selection(("pendo_*",)),
    ],
)
def test_anything_but_bare_model_names_goes_to_dbt(selection: Selection) -> None:
    assert names_only(MANIFEST, selection) is None


def test_a_model_named_like_a_folder_or_a_versioned_model_goes_to_dbt() -> None:
    folder_clash = Manifest("duckdb", (*MANIFEST.models, model(("proj", "events"))), "proj")
    assert names_only(folder_clash, Selection(("events",))) is None
    versioned = Manifest("duckdb", (*MANIFEST.models, model(("proj", "v", "x_v2"), versioned=True)), "proj")
    assert names_only(versioned, Selection(("pendo_visitors",))) is None


def test_nothing_selected_says_which_flags_did_it() -> None:
    message = nothing_selected(Selection(("tag:nope",), ("a b",)))
    assert message.startswith(
        "Nothing to do: no model tagged with meta.pendo matches --select tag:nope --exclude 'a b'"
    )
    assert "no models are tagged" in nothing_selected(Selection())


def test_select_takes_the_words_after_it_like_dbt() -> None:
    @click.command()
    @click.option("--select", "-s", "select", cls=SelectorOption, multiple=True)
    @click.option("--exclude", cls=SelectorOption, multiple=True)
    @click.option("--flag", is_flag=True)
    def command(select: tuple[str, ...], exclude: tuple[str, ...], flag: bool) -> None:
        click.echo(repr((select, exclude, flag)))

    result = CliRunner().invoke(command, ["-s", "a", "b", "--flag", "-s", "tag:x,c", "--exclude", "+d", "e"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr((("a b", "tag:x,c"), ("+d e",), True))
