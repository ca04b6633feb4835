"""What the selected dbt project holds, checked before any command reads a row: the tagged models as
dbt parses them for this target, whether each is built, with its mapped columns, and whether the latest
dbt build of it failed. Shared by sync, plan, status, verify and validate, so they agree on all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pendo_sync.builds import RUN_RESULTS, edited_since_build, failed_builds, read_run_results
from pendo_sync.column_case import resolve_columns
from pendo_sync.config import (
    BATCH_BYTES,
    BATCH_SIZE,
    ParsedConfig,
    SyncSpec,
    check_columns,
    near_misses,
    parse_models,
)
from pendo_sync.dbt_bridge.parsing import parse_project
from pendo_sync.dbt_bridge.selection import Selection, select_models
from pendo_sync.errors import Problem
from pendo_sync.package_version import version_warning
from pendo_sync.pendo.client import ClientOptions
from pendo_sync.version import __version__

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pendo_sync.dbt_bridge.target import DbtTarget
    from pendo_sync.dbt_bridge.warehouse import Warehouse
    from pendo_sync.manifest import Manifest, ModelNode


@dataclass(frozen=True)
class SyncOptions:
    target: DbtTarget
    target_path: str = "target"
    pendo_url: str | None = None
    region: str | None = None
    client: ClientOptions = field(default_factory=ClientOptions)
    batch_size: int = BATCH_SIZE
    batch_bytes: int = BATCH_BYTES  # most bytes in one bulk request body
    full_refresh: bool = False
    selection: Selection = field(default_factory=Selection)
    allow_stale: bool = False  # sync a model whose latest dbt build failed, from the table it left


def load_config(options: SyncOptions) -> tuple[Manifest, ParsedConfig]:
    """The tagged models dbt's --select/--exclude keep, as dbt parses them for this target, read into
    specs; their problems are collected, not raised (see ParsedConfig.check and check_models)."""
    project = parse_project(options.target, options.target_path)
    tagged = select_models(project, options.selection, options.target, options.target_path)
    parsed = parse_models(tagged)
    mismatch = version_warning(project.manifest.package_version, __version__)
    warnings = (*near_misses(project.manifest.models), *parsed.warnings, *([mismatch] if mismatch else []))
    return project.manifest, ParsedConfig(parsed.specs, warnings, parsed.problems)


def check_builds(
    specs: Sequence[SyncSpec], relations: Mapping[str, str], manifest: Manifest, options: SyncOptions
) -> tuple[dict[str, str], list[str]]:
    """What the latest dbt build says of each model (builds.py): by unique_id, why a model is not synced
    because that build failed (none with --allow-stale); and warnings for models edited since it."""
    run_results = read_run_results(options.target.project_dir / options.target_path / RUN_RESULTS)
    models = [s.model for s in specs]
    flags = options.target.shell_flags()
    warnings = edited_since_build(run_results, models, relations, _modified(models, manifest, options), flags)
    if options.allow_stale:
        return {}, warnings
    failed = failed_builds(run_results, models, relations)
    return {
        s.model.unique_id: (
            f"{failed[s.model.unique_id]}, so {relations[s.model.unique_id]} may hold stale "
            f"rows. Fix: correct the model and `dbt run -s {s.model.name}{flags}`, or pass --allow-stale "
            "to sync the table as it is"
        )
        for s in specs
        if s.model.unique_id in failed
    }, warnings


def _modified(models: Sequence[ModelNode], manifest: Manifest, options: SyncOptions) -> dict[str, float]:
    """When each model's file was last changed; the root project's models only (a package's files are
    installed by `dbt deps`, whose copy time says nothing about the build)."""
    modified = {}
    for model in models:
        if model.package_name != manifest.project_name or not model.original_file_path:
            continue
        try:
            modified[model.unique_id] = (
                (options.target.project_dir / model.original_file_path).stat().st_mtime
            )
        except OSError:
            continue
    return modified


def check_models(
    parsed: ParsedConfig, warehouse: Warehouse, target: DbtTarget
) -> tuple[ParsedConfig, dict[str, str], dict[str, dict[str, str]], list[Problem]]:
    """Each tagged model must be built and have its mapped columns.

    Returns the specs with each mapped column named as the model stores it (column_case.py), each
    model's relation, its column types (which type the agent fields we may create), and these problems
    after those of meta.pendo itself: they are raised together with those of Pendo's schema
    (resolve_fields), so every configuration problem shows in one run.
    """
    problems: list[Problem] = list(parsed.problems)
    relations = {}
    types = {}
    specs = []
    for spec in parsed.specs:
        model = spec.model
        relation = relation_of(model, warehouse)
        relations[model.unique_id] = relation
        columns = warehouse.column_types(relation)
        if columns is None:
            problems.append(
                Problem(
                    model.name,
                    None,
                    f"{relation} does not exist in the warehouse (target '{warehouse.target_name}')",
                    f"run `dbt run -s {model.name}{target.shell_flags()}`",
                )
            )
        else:
            types[model.unique_id] = dict(columns)
            spec, ambiguous = resolve_columns(spec, [name for name, _ in columns])
            problems.extend(ambiguous)
            problems.extend(check_columns(spec, columns))
        specs.append(spec)
    return replace(parsed, specs=tuple(specs)), relations, types, problems


def relation_of(model: ModelNode, warehouse: Warehouse) -> str:
    """Where dbt built the model, in canonical SQL: its relation_name as dbt rendered it (the project's
    quoting included), else from its parts."""
    if model.relation_name:
        return warehouse.canonical(model.relation_name)
    return warehouse.relation(model.database, model.schema, model.alias)
