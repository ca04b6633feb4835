"""One `pendo-dbt sync` run, in order: config, warehouse checks, Pendo's schema, state, then each model.

Everything that can be wrong with the configuration is found before the first row is read or the first
row is sent, and reported at once. After that, a model's failure is that model's: the others go on.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pendo_sync.config import (
    BATCH_BYTES,
    BATCH_SIZE,
    EventSpec,
    MetadataSpec,
    ParsedConfig,
    SyncSpec,
    check_columns,
    parse_models,
)
from pendo_sync.errors import ConfigError, ManifestError, PendoError, Problem, WarehouseError
from pendo_sync.event_sync import sync_event_model
from pendo_sync.manifest import Manifest, load_manifest
from pendo_sync.metadata_sync import sync_metadata_model
from pendo_sync.pendo.client import ClientOptions, PendoClient
from pendo_sync.pendo.schema import FieldCheck, FieldPlan, plan_fields
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
from pendo_sync.selection import Selection, nothing_selected, select_models
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


Emit = Callable[[str], None]


def load_config(options: SyncOptions) -> tuple[Manifest, ParsedConfig]:
    """The tagged models dbt's --select/--exclude keep, parsed and validated."""
    manifest = load_manifest(options.target.project_dir, options.target_path)
    tagged = select_models(manifest, options.selection, options.target, options.target_path)
    return manifest, parse_models(tagged)


def run_sync(options: SyncOptions, emit: Emit, progress: Progress | None = None) -> RunReport:
    """`progress` draws while a model sends (see progress.py); `emit` must erase it before printing."""
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
        if not parsed.specs:
            emit(nothing_selected(options.selection))
            return report
        check_adapter(manifest, warehouse)
        relations, column_types = check_models(parsed.specs, warehouse)
        client = PendoClient(settings, options.client)
        try:
            checks = _check_pendo_fields(parsed.specs, client, column_types, report, emit)
            if any(isinstance(s, EventSpec) for s in parsed.specs):
                client.reach_track_host()
            store = StateStore(warehouse, state_schema(manifest, warehouse))
            with store.lock():
                _run_models(
                    parsed.specs,
                    checks,
                    relations,
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
                _sync_model(spec, checks, ctx, relations[model_id], column_types[model_id], options, result)
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


def check_pendo_schema(options: SyncOptions, specs: tuple[SyncSpec, ...]) -> list[str]:
    """`validate` with a key: mapped fields against Pendo's schema (read only); warnings, or ConfigError."""
    metadata = [s for s in specs if isinstance(s, MetadataSpec)]
    return read_field_plan(options, metadata, {}).warnings


def read_field_plan(
    options: SyncOptions, metadata: Sequence[MetadataSpec], column_types: Mapping[str, Mapping[str, str]]
) -> FieldPlan:
    """`resolve_fields` over a client of its own, for commands that only read Pendo (validate, plan)."""
    client = PendoClient(settings_from_env(base_url=options.pendo_url, region=options.region), options.client)
    try:
        return resolve_fields(client, metadata, column_types)
    finally:
        client.close()


def resolve_fields(
    client: PendoClient, metadata: Sequence[MetadataSpec], column_types: Mapping[str, Mapping[str, str]]
) -> FieldPlan:
    """Mapped fields against Pendo's schema, read once per kind; every problem in one ConfigError.

    A field Pendo lacks is a configuration error here, before any row is sent, rather than rows Pendo
    rejects (or silently keeps untyped) later.
    """
    schemas = {kind: client.get_schema(kind) for kind in dict.fromkeys(s.kind for s in metadata)}
    plan = plan_fields(metadata, schemas, column_types)
    if plan.problems:
        raise ConfigError(plan.problems)
    return plan


def _check_pendo_fields(
    specs: tuple[SyncSpec, ...],
    client: PendoClient,
    column_types: Mapping[str, Mapping[str, str]],
    report: RunReport,
    emit: Emit,
) -> dict[str, FieldCheck]:
    """Mapped fields checked against Pendo's schema (see resolve_fields); agent fields created when asked to."""
    plan = resolve_fields(client, [s for s in specs if isinstance(s, MetadataSpec)], column_types)
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
        else:
            sync_event_model(spec, ctx, relation, column_types, result)
    except PendoError as exc:  # Pendo unusable for the whole run: stop, but report this model first
        result.status, result.message = "error", str(exc)
        raise
    except (WarehouseError, ConfigError) as exc:
        result.status, result.message = "error", str(exc)
    finally:
        result.seconds = round(time.monotonic() - start, 3)


def check_adapter(manifest: Manifest, warehouse: Warehouse) -> None:
    if manifest.adapter_type and manifest.adapter_type != warehouse.adapter_type:
        raise ManifestError(
            f"target/manifest.json was produced for a {manifest.adapter_type} target, but the profile "
            f"target '{warehouse.target_name}' uses {warehouse.adapter_type}. Rerun `dbt parse` (or `dbt run`) "
            "with the same --target you give pendo-dbt."
        )


def check_models(
    specs: tuple[SyncSpec, ...], warehouse: Warehouse
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Each tagged model must be built and have its mapped columns; all problems reported together.

    Returns each model's relation and its column types (which type the agent fields we may create).
    """
    problems: list[Problem] = []
    relations = {}
    types = {}
    for spec in specs:
        model = spec.model
        relation = warehouse.relation(model.database, model.schema, model.alias)
        relations[model.unique_id] = relation
        columns = warehouse.column_types(relation)
        if columns is None:
            problems.append(
                Problem(
                    model.name,
                    "",
                    f"{relation} does not exist in the warehouse",
                    f"run `dbt run -s {model.name}`",
                )
            )
        else:
            types[model.unique_id] = dict(columns)
            problems.extend(check_columns(spec, columns))
    if problems:
        raise ConfigError(problems)
    return relations, types
