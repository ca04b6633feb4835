"""--select/--exclude: the dbt ls invocation, its output, the variadic option."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pendo_sync.cli_options import SelectorOption
from pendo_sync.dbt_bridge.selection import (
    Selection,
    keep_selected,
    ls_args,
    parse_ls_output,
)
from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.errors import ConfigError
from pendo_sync.manifest import Manifest, ModelNode


def model(fqn: tuple[str, ...], tagged: bool = True) -> ModelNode:
    name = fqn[-1]
    return ModelNode(
        f"model.{fqn[0]}.{name}",
        name,
        None,
        "main",
        name,
        {"object": "visitor"} if tagged else None,
        package_name=fqn[0],
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


def test_a_fix_repeats_the_flags_that_chose_the_project_and_target_quoted_for_a_shell() -> None:
    target = DbtTarget(Path("/my project"), None, "prod", None, "{schema_suffix: x}")
    assert target.shell_flags() == " --project-dir '/my project' --target prod --vars '{schema_suffix: x}'"
    assert DbtTarget(Path(".")).shell_flags() == ""
