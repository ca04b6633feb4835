"""`--select` / `--exclude` with dbt's node selection syntax, resolved by dbt itself.

We do not re-implement dbt's selectors (names, `tag:`, `path:`, `config.meta...:`, `+` graph operators,
unions, intersections, `state:` with DBT_STATE, wildcards...): we run `dbt ls` in-process with the same
project, profile, target and vars, and keep the tagged models it lists. `dbt ls` parses the project
(partially once `target/partial_parse.msgpack` is current) but never connects to the warehouse.

It runs only when a selection is given, and not for the one case whose answer the manifest already
holds: `-s` with bare model names only (today's `-s pendo_visitors`), when no package, folder or
versioned model could make a bare word mean more than that model (see `names_only`). So a plain or
by-name `pendo-dbt sync` needs no dbt parse: the second of start-up and the memory it costs.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pendo_sync.errors import ConfigError
from pendo_sync.manifest import Manifest, ModelNode
from pendo_sync.warehouse import DbtTarget, dbt_reason

_BARE_WORD = re.compile(r"[A-Za-z0-9_]+")
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
    manifest: Manifest, selection: Selection, target: DbtTarget, target_path: str
) -> list[ModelNode]:
    """The tagged models dbt's selection keeps; all of them when nothing is selected."""
    tagged = manifest.tagged()
    if not selection.active:
        return tagged
    by_name = names_only(manifest, selection)
    if by_name is not None:
        return by_name
    return keep_selected(tagged, list_models(selection, target, target_path))


def names_only(manifest: Manifest, selection: Selection) -> list[ModelNode] | None:
    """The selection's tagged models when it is only bare model names; None when dbt must decide.

    dbt's default method for a bare word is `fqn`: it matches a model's name, but also a package (the
    first part of an fqn) or a top-level folder (the first part after the package). So the shortcut is
    taken only when every word is some model's name and no package or top-level folder is spelled
    like one, and no model is versioned (a versioned model's name has its own matching rules).
    """
    words = [word for value in selection.select for word in value.split()]
    if selection.exclude or not words or any(not _BARE_WORD.fullmatch(w) for w in words):
        return None
    if any(m.versioned for m in manifest.models):
        return None
    names = {m.name for m in manifest.models}
    scopes = {scope for m in manifest.models for scope in _scopes(m.fqn)}
    if any(w not in names or w in scopes for w in words):
        return None
    wanted = set(words)
    return [m for m in manifest.tagged() if m.name in wanted]


def _scopes(fqn: Sequence[str]) -> set[str]:
    """The bare words that select this model by scope: its package and its top-level folder."""
    flat = [part for segment in fqn for part in segment.split(".")]
    scopes = set(flat[:1])
    if len(flat) > 2:  # [package, folder, ..., name]; a model at the top has no folder
        scopes.add(flat[1])
    return scopes


def keep_selected(models: Iterable[ModelNode], unique_ids: Iterable[str]) -> list[ModelNode]:
    selected = set(unique_ids)
    return [m for m in models if m.unique_id in selected]


def nothing_selected(selection: Selection) -> str:
    """What to say when no tagged model is left: dbt's own wording, plus which flags did it."""
    if selection.active:
        return (
            f"Nothing to do: no model tagged with meta.pendo matches {selection.describe()}. "
            "Try checking your model configs and model specification args."
        )
    return "Nothing to do: no models are tagged with meta.pendo."


def ls_args(selection: Selection, target: DbtTarget, target_path: str) -> list[str]:
    """`dbt ls` arguments: dbt's own flags as the user gave them; quiet, writing no manifest and no log."""
    args = ["ls", "--resource-type", "model", "--output", "json", "--output-keys", "unique_id"]
    args += ["--quiet", "--log-level", "none", "--log-level-file", "none", "--no-write-json"]
    args += ["--project-dir", str(target.project_dir), "--target-path", target_path]
    for flag, value in (
        ("--profiles-dir", target.profiles_dir),
        ("--target", target.target),
        ("--profile", target.profile),
        ("--vars", target.vars),
    ):
        if value is not None:
            args += [flag, str(value)]
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


def list_models(selection: Selection, target: DbtTarget, target_path: str) -> list[str]:
    """Run `dbt ls` in-process; a selector dbt refuses (or a project dbt cannot parse) is a usage error."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(ls_args(selection, target, target_path))
    if not result.success:
        reason = _reason(result.exception)
        raise ConfigError(
            [
                f"dbt could not resolve the selection ({selection.describe()}): {reason}. Fix: use dbt's "
                f"node selection syntax ({SYNTAX_DOCS}); `dbt ls {selection.describe()}` shows what it selects"
            ]
        )
    return parse_ls_output(result.result or [])


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "dbt reported a failure (rerun `dbt ls` with the same flags to see it)"
    return dbt_reason(exc)
