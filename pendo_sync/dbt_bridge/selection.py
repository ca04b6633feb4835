"""`--select` / `--exclude` with dbt's node selection syntax, resolved by dbt itself.

We do not re-implement dbt's selectors (names, `tag:`, `path:`, `config.meta...:`, `+` graph operators,
unions, intersections, `state:` with DBT_STATE, wildcards...): we run `dbt ls` in-process on the
manifest of the command's own parse (parsing.py), so it costs no second parse, and keep the tagged
models it lists. A selector that matches no model is an error, not an empty run: a scheduled sync
whose selector has a typo would otherwise sync nothing and stay green.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pendo_sync.config import near_misses
from pendo_sync.dbt_bridge.target import QUIET, DbtTarget, dbt_reason
from pendo_sync.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pendo_sync.dbt_bridge.parsing import ParsedProject
    from pendo_sync.manifest import ModelNode

SYNTAX_DOCS = "https://docs.getdbt.com/reference/node-selection/syntax"


@dataclass(frozen=True)
class Selection:
    """What the user selected; each item is one flag value, which may hold several space-separated terms."""

    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.select or self.exclude)

    def describe(self) -> str:
        parts = [f"--select {shlex.quote(s)}" for s in self.select]
        parts += [f"--exclude {shlex.quote(s)}" for s in self.exclude]
        return " ".join(parts)


def select_models(
    project: ParsedProject, selection: Selection, target: DbtTarget, target_path: str
) -> list[ModelNode]:
    """The tagged models dbt's selection keeps; all of them when nothing is selected. A selector that
    matches no model, or a selection without a tagged model, is a usage error naming it."""
    tagged = project.manifest.tagged()
    if not selection.active:
        return tagged
    listed = list_models(selection, target, target_path, project.dbt_manifest)
    if listed.unmatched:
        raise ConfigError(
            [
                f"the selector {shlex.quote(spec)} does not match any enabled model. Fix: check its spelling; "
                f"`dbt ls --resource-type model --select {shlex.quote(spec)}{target.shell_flags()}` lists "
                "what it matches"
                for spec in listed.unmatched
            ]
        )
    kept = keep_selected(tagged, listed.unique_ids)
    if not kept:
        untagged = keep_selected(project.manifest.models, listed.unique_ids)
        names = sorted(m.name for m in untagged)
        which = f" (only {', '.join(names[:10])}{' ...' if len(names) > 10 else ''})" if names else ""
        raise ConfigError(
            [
                f"{selection.describe()} selects no model tagged with meta.pendo{which}. Fix: select "
                "tagged models, or tag the selected ones with meta.pendo",
                *near_misses(untagged),
            ]
        )
    return kept


def keep_selected(models: Iterable[ModelNode], unique_ids: Iterable[str]) -> list[ModelNode]:
    selected = set(unique_ids)
    return [m for m in models if m.unique_id in selected]


NOTHING_TAGGED = "Nothing to do: no models are tagged with meta.pendo."


def ls_args(selection: Selection, target: DbtTarget, target_path: str) -> list[str]:
    """`dbt ls` arguments: dbt's own flags as the user gave them; quiet, writing no manifest and no log."""
    args = ["ls", "--resource-type", "model", "--output", "json", "--output-keys", "unique_id"]
    args += [*QUIET, "--no-write-json", "--target-path", target_path, *target.dbt_args()]
    for value in selection.select:
        args += ["--select", value]
    for value in selection.exclude:
        args += ["--exclude", value]
    return args


def parse_ls_output(lines: Iterable[str]) -> list[str]:
    """unique_ids from `dbt ls --output json --output-keys unique_id` (one JSON object per line)."""
    ids = []
    for line in lines:
        try:
            ids.append(str(json.loads(line)["unique_id"]))
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                [f"--select/--exclude: unexpected output from `dbt ls`: {line[:120]!r}"]
            ) from None
    return ids


@dataclass(frozen=True)
class Listed:
    unique_ids: list[str]
    unmatched: list[str]  # selectors (as dbt spells them) that matched no model


def list_models(selection: Selection, target: DbtTarget, target_path: str, dbt_manifest: Any) -> Listed:
    """Run `dbt ls` in-process on an already parsed manifest; a selector dbt refuses is a usage error.
    dbt reports each selector that matches nothing as an event (its "does not match any enabled
    nodes" warning), which we collect."""
    from dbt.cli.main import dbtRunner

    unmatched: list[str] = []

    def collect(event: Any) -> None:
        if event.info.name == "NoNodesForSelectionCriteria":
            unmatched.append(str(event.data.spec_raw))

    runner = dbtRunner(manifest=dbt_manifest, callbacks=[collect])
    result = runner.invoke(ls_args(selection, target, target_path))
    if not result.success:
        reason = _reason(result.exception)
        raise ConfigError(
            [
                f"dbt could not resolve the selection ({selection.describe()}): {reason}. Fix: use dbt's "
                f"node selection syntax ({SYNTAX_DOCS}); `dbt ls {selection.describe()}` shows what it selects"
            ]
        )
    return Listed(parse_ls_output(result.result or []), list(dict.fromkeys(unmatched)))


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "dbt reported a failure (rerun `dbt ls` with the same flags to see it)"
    return dbt_reason(exc)
