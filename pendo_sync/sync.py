"""One `pendo-dbt sync` run, in order: config, warehouse checks, Pendo's schema, state, then each model.

Everything that can be wrong with the configuration is found before the first row is read or the first
row is sent, and reported at once. After that, a model's failure is that model's: the others go on.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pendo_sync.builds import RUN_RESULTS, edited_since_build, failed_builds, read_run_results
from pendo_sync.config import (
    BATCH_BYTES,
    BATCH_SIZE,
    EventSpec,
    MetadataSpec,
    ParsedConfig,
    SegmentSpec,
    SyncSpec,
    check_columns,
    near_misses,
    parse_models,
)
from pendo_sync.errors import ConfigError, PendoAuthError, PendoError, Problem, WarehouseError
from pendo_sync.event_sync import sync_event_model
from pendo_sync.field_plan import FieldCheck, FieldPlan, plan_fields
from pendo_sync.manifest import Manifest, ModelNode
from pendo_sync.metadata_sync import sync_metadata_model
from pendo_sync.parsing import parse_project
from pendo_sync.pendo.client import ClientOptions, PendoClient
from pendo_sync.pendo.schema import KindSchema
from pendo_sync.progress import Progress
from pendo_sync.report import (
    RESULTS_FILE,
    ModelResult,
    RunReport,
    model_line,
    plural,
    problem_lines,
    summary_line,
    write_results,
)
from pendo_sync.run_context import RunContext, StateWriter
from pendo_sync.segment_sync import sync_segment_model
from pendo_sync.selection import NOTHING_TAGGED, Selection, select_models
from pendo_sync.settings import settings_from_env
from pendo_sync.state import StateStore, state_schema
from pendo_sync.warehouse import DbtTarget, Warehouse


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


Emit = Callable[[str], None]


def load_config(options: SyncOptions) -> tuple[Manifest, ParsedConfig]:
    """The tagged models dbt's --select/--exclude keep, as dbt parses them for this target, read into
    specs; their problems are collected, not raised (see ParsedConfig.check and check_models)."""
    project = parse_project(options.target, options.target_path)
    tagged = select_models(project, options.selection, options.target, options.target_path)
    parsed = parse_models(tagged)
    warnings = (*near_misses(project.manifest.models), *parsed.warnings)
    return project.manifest, ParsedConfig(parsed.specs, warnings, parsed.problems)


def run_sync(
    options: SyncOptions,
    emit: Emit,
    progress: Progress | None = None,
    started: Callable[[RunReport], None] | None = None,
) -> RunReport:
    """`progress` draws while a model sends (see progress.py); `emit` must erase it before printing.
    `started` gets the report as soon as it exists: it fills as models finish, so a caller still has the
    models of a run that stops with an error (to alert on them, see api.py)."""
    manifest, parsed = load_config(options)
    settings = settings_from_env(base_url=options.pendo_url, region=options.region)
    if any(isinstance(s, EventSpec) for s in parsed.specs) and not settings.track_secret:
        raise ConfigError(
            [
                "PENDO_TRACK_EVENT_SECRET is not set, and event models are selected. Copy the Track Event "
                "Shared Secret from Pendo (Subscription Settings > your app > App Details) and export it"
            ]
        )
    for warning in parsed.warnings:
        emit(f"[WARNING] {warning}")
    with Warehouse(options.target) as warehouse:
        report = RunReport(
            run_id=str(uuid.uuid4()),
            command="sync",
            target=warehouse.target_name,
            adapter=warehouse.adapter_type,
            warnings=list(parsed.warnings),
        )
        if started is not None:
            started(report)
        if not parsed.specs and not parsed.problems:
            emit(NOTHING_TAGGED)
            return report
        relations, column_types, problems = check_models(parsed, warehouse, options.target)
        client = PendoClient(settings, options.client)
        try:
            checks = _check_pendo_fields(parsed.specs, client, column_types, problems, report, emit)
            unbuilt, stale = check_builds(parsed.specs, relations, manifest, options)
            for warning in stale:
                report.warnings.append(warning)
                emit(f"[WARNING] {warning}")
            if any(isinstance(s, EventSpec) for s in parsed.specs):
                client.reach_track_host()
            store = StateStore(warehouse, state_schema(manifest, warehouse))
            with store.lock():
                _run_models(
                    parsed.specs,
                    checks,
                    relations,
                    unbuilt,
                    column_types,
                    store,
                    client,
                    report,
                    options,
                    emit,
                    progress or Progress(None),
                )
        finally:
            client.close()
        return report


def _run_models(
    specs: tuple[SyncSpec, ...],
    checks: Mapping[str, FieldCheck],
    relations: Mapping[str, str],
    unbuilt: Mapping[str, str],
    column_types: Mapping[str, Mapping[str, str]],
    store: StateStore,
    client: PendoClient,
    report: RunReport,
    options: SyncOptions,
    emit: Emit,
    progress: Progress,
) -> None:
    """Sync each model in turn, under the state lock; the run is recorded, and summed up, even when it
    stops early (Pendo unusable, a refused key, Ctrl-C): the models it did not reach are listed as SKIP."""
    store.ensure()
    store.start_run(report.run_id, "sync")
    emit(
        f"Running with target '{report.target}' ({report.adapter}): {plural(len(specs), 'model')}; "
        f"state in schema {store.schema_name}"
    )
    writer = StateWriter(store)
    workers = options.client.workers
    ctx = RunContext(
        store.warehouse,
        store,
        client,
        writer,
        report.run_id,
        workers,
        options.batch_size,
        options.batch_bytes,
        progress,
    )
    try:
        for index, spec in enumerate(specs, start=1):
            result = ModelResult(
                model=spec.model.name, object=spec.pendo_object, model_id=spec.model.unique_id
            )
            report.models.append(result)
            model_id = spec.model.unique_id
            try:
                if model_id in unbuilt:
                    result.status, result.message = "error", f"not synced: {unbuilt[model_id]}"
                else:
                    _sync_model(
                        spec, checks, ctx, relations[model_id], column_types[model_id], options, result
                    )
            except BaseException as exc:  # the run stops (Pendo unusable, Ctrl-C): report this model first
                if result.status == "ok":
                    result.status, result.message = "error", f"stopped: {str(exc) or type(exc).__name__}"
                raise
            finally:
                result.settle()
                emit(model_line(index, len(specs), result))
                for line in problem_lines(result):
                    emit(line)
    except BaseException:
        for index, spec in enumerate(specs[len(report.models) :], start=len(report.models) + 1):
            skipped = ModelResult(
                model=spec.model.name,
                object=spec.pendo_object,
                model_id=spec.model.unique_id,
                status="skipped",
                message="not synced: the run stopped before this model",
            )
            report.models.append(skipped)
            emit(model_line(index, len(specs), skipped))
        raise
    finally:
        writer.close()
        store.finish_run(report.run_id, "success" if report.ok else "error", report.summary())
        write_results(report, options.target.project_dir / options.target_path / RESULTS_FILE)
        emit(summary_line(report))


def check_pendo_schema(options: SyncOptions, parsed: ParsedConfig) -> list[str]:
    """`validate` with a key: mapped fields against Pendo's schema (read only); warnings, or one
    ConfigError with these problems and those of meta.pendo."""
    metadata = [s for s in parsed.specs if isinstance(s, MetadataSpec)]
    return read_field_plan(options, metadata, {}, parsed.problems).warnings


def read_field_plan(
    options: SyncOptions,
    metadata: Sequence[MetadataSpec],
    column_types: Mapping[str, Mapping[str, str]],
    known: Sequence[Problem],
) -> FieldPlan:
    """`resolve_fields` over a client of its own, for commands that only read Pendo (validate, plan)."""
    client = PendoClient(settings_from_env(base_url=options.pendo_url, region=options.region), options.client)
    try:
        return resolve_fields(client, metadata, column_types, known)
    finally:
        client.close()


def resolve_fields(
    client: PendoClient,
    metadata: Sequence[MetadataSpec],
    column_types: Mapping[str, Mapping[str, str]],
    known: Sequence[Problem],
) -> FieldPlan:
    """Mapped fields against Pendo's schema, read once per kind; every problem in one ConfigError,
    with the `known` ones found before (mapping, built relations), so all show in one run.

    A field Pendo lacks is a configuration error here, before any row is sent, rather than rows Pendo
    rejects (or silently keeps untyped) later.
    """
    try:
        schemas = {kind: _read_schema(client, kind) for kind in dict.fromkeys(s.kind for s in metadata)}
    except ConfigError as exc:  # parent accounts not enabled: with the problems found before
        raise ConfigError([*known, *exc.problems]) from None
    except PendoError as exc:
        if known:  # the problems found so far are not lost to a Pendo that cannot be read
            raise ConfigError(
                [*known, f"Pendo's schema could not be read to check mapped fields: {exc}"]
            ) from None
        raise
    plan = plan_fields(metadata, schemas, column_types)
    if known or plan.problems:
        raise ConfigError([*known, *plan.problems])
    return plan


PARENT_ACCOUNTS_OFF = (
    "Pendo gave no parent account schema ({why}): this subscription does not have parent accounts. "
    "They are a subscription feature that Pendo Support turns on; ask them to enable it, or remove "
    "`object: parent_account` models from the selection. Nothing was sent"
)


def _read_schema(client: PendoClient, kind: str) -> KindSchema:
    """A kind's schema; for parent accounts, a refusal means the subscription lacks them (checked
    before anything is sent, so a sync never half-writes a kind Pendo does not have)."""
    if kind != "parentAccount":
        return client.get_schema(kind)
    try:
        schema = client.get_schema(kind)
    except PendoAuthError:
        raise
    except PendoError as exc:
        raise ConfigError([PARENT_ACCOUNTS_OFF.format(why=exc)]) from None
    if not schema.groups:
        raise ConfigError([PARENT_ACCOUNTS_OFF.format(why="it has no groups")])
    return schema


def _check_pendo_fields(
    specs: tuple[SyncSpec, ...],
    client: PendoClient,
    column_types: Mapping[str, Mapping[str, str]],
    known: Sequence[Problem],
    report: RunReport,
    emit: Emit,
) -> dict[str, FieldCheck]:
    """Mapped fields checked against Pendo's schema (see resolve_fields); agent fields created when asked to."""
    metadata = [s for s in specs if isinstance(s, MetadataSpec)]
    plan = resolve_fields(client, metadata, column_types, known)
    for warning in plan.warnings:
        report.warnings.append(warning)
        emit(f"[WARNING] {warning}")
    for kind, fields in plan.create.items():
        client.create_fields(kind, "agent", fields)
    return dict(plan.checks)


def _sync_model(
    spec: SyncSpec,
    checks: Mapping[str, FieldCheck],
    ctx: RunContext,
    relation: str,
    column_types: Mapping[str, str],
    options: SyncOptions,
    result: ModelResult,
) -> None:
    start = time.monotonic()
    try:
        if options.full_refresh:
            ctx.store.forget(spec.model.unique_id)
        if isinstance(spec, MetadataSpec):
            check = checks[spec.model.unique_id]
            result.notes.extend(
                f"created Pendo {spec.kind} agent field '{f.name}' (type {f.type}; create_agent_fields: true)"
                for f in check.create
            )
            if not ctx.store.is_known(spec.model.unique_id):
                ctx.store.mark_known(spec.model.unique_id, spec.kind, ctx.run_id)
            sync_metadata_model(check, ctx, relation, result)
        elif isinstance(spec, SegmentSpec):
            if not ctx.store.is_known(spec.model.unique_id):
                ctx.store.mark_known(spec.model.unique_id, spec.pendo_object, ctx.run_id)
            sync_segment_model(spec, ctx, relation, result)
        else:
            sync_event_model(spec, ctx, relation, column_types, result)
    except PendoError as exc:  # Pendo unusable for the whole run: stop, but report this model first
        result.status, result.message = "error", str(exc)
        raise
    except (WarehouseError, ConfigError) as exc:
        result.status, result.message = "error", str(exc)
    finally:
        result.seconds = round(time.monotonic() - start, 3)


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
) -> tuple[dict[str, str], dict[str, dict[str, str]], list[Problem]]:
    """Each tagged model must be built and have its mapped columns.

    Returns each model's relation, its column types (which type the agent fields we may create), and
    these problems after those of meta.pendo itself: they are raised together with those of Pendo's
    schema (resolve_fields), so every configuration problem shows in one run.
    """
    problems: list[Problem] = list(parsed.problems)
    relations = {}
    types = {}
    for spec in parsed.specs:
        model = spec.model
        relation = model.relation_name or warehouse.relation(model.database, model.schema, model.alias)
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
            problems.extend(check_columns(spec, columns))
    return relations, types, problems
