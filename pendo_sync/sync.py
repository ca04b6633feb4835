"""One `pendo-dbt sync` run, in order: config, warehouse checks, Pendo's schema, state, then the models.

Everything that can be wrong with the configuration is found before the first row is read or the first
row is sent, and reported at once. After that, a model's failure is that model's: the others go on.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from pendo_sync.config import (
    EventSpec,
    MetadataSpec,
    SegmentSpec,
    SyncSpec,
)
from pendo_sync.dbt_bridge.selection import NOTHING_TAGGED
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.errors import ConfigError, PendoError, Problem, WarehouseError
from pendo_sync.event_sync import sync_event_model
from pendo_sync.metadata_sync import sync_metadata_model
from pendo_sync.pendo.client import TRACK_ENDPOINT, PendoClient, metadata_endpoint, segment_endpoint
from pendo_sync.pendo_fields import resolve_fields
from pendo_sync.progress import Progress
from pendo_sync.project import SyncOptions, check_builds, check_models, load_config
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
from pendo_sync.scheduling import InOrder, Scheduler
from pendo_sync.segment_sync import sync_segment_model
from pendo_sync.settings import settings_from_env
from pendo_sync.state import StateStore, state_schema

if TYPE_CHECKING:
    from pendo_sync.field_plan import FieldCheck

Emit = Callable[[str], None]


def run_sync(
    options: SyncOptions,
    emit: Emit,
    progress: Progress | None = None,
    started: Callable[[RunReport], None] | None = None,
) -> RunReport:
    """`progress` draws while models send (see progress.py); `emit` must print inside its `hidden()`.
    `emit` is only called on this thread. `started` gets the report as soon as it exists: it fills as
    models finish (in manifest order), so a caller still has the
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
        parsed, relations, column_types, problems = check_models(parsed, warehouse, options.target)
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
    """Sync the models under the state lock, several at once where they use different Pendo endpoints
    (scheduling.py), each on a thread of its own; this thread only starts them and reports each, in
    manifest order. The run is recorded, and summed up, even when it stops early (Pendo unusable, a
    refused key, Ctrl-C): the models running then stop, and those it did not start are listed as SKIP."""
    store.ensure()
    store.start_run(report.run_id, "sync")
    emit(
        f"Running with target '{report.target}' ({report.adapter}): {plural(len(specs), 'model')}; "
        f"state in schema {store.schema_name}"
    )
    writer = StateWriter(store)
    results = [
        ModelResult(model=spec.model.name, object=spec.pendo_object, model_id=spec.model.unique_id)
        for spec in specs
    ]
    uses = [frozenset() if s.model.unique_id in unbuilt else _endpoints(s) for s in specs]
    scheduler = Scheduler(uses, store.warehouse.threads)
    shown = InOrder()

    def show(index: int) -> None:
        for ready in shown.finished(index):
            results[ready].settle()
            report.models.append(results[ready])
            emit(model_line(ready + 1, len(specs), results[ready]))
            for line in problem_lines(results[ready]):
                emit(line)

    try:
        with ThreadPoolExecutor(options.client.workers, thread_name_prefix="pendo-sync-http") as http:
            ctx = RunContext(
                store.warehouse,
                store,
                client,
                writer,
                report.run_id,
                options.batch_size,
                options.batch_bytes,
                progress,
                http,
                Future(),
            )

            def sync_one(index: int) -> None:
                spec, result = specs[index], results[index]
                model_id = spec.model.unique_id
                try:
                    if model_id in unbuilt:
                        result.status, result.message = "error", f"not synced: {unbuilt[model_id]}"
                    else:
                        relation, types = relations[model_id], column_types[model_id]
                        _sync_model(spec, checks, ctx, relation, types, options, result)
                except BaseException as exc:  # the run stops (Pendo unusable, a bug): this model is reported
                    if result.status == "ok":
                        result.status, result.message = "error", f"stopped: {str(exc) or type(exc).__name__}"
                    raise

            stop = _run_concurrently(scheduler, sync_one, show, ctx)
        for index in scheduler.waiting:
            results[index].status = "skipped"
            results[index].message = "not synced: the run stopped before this model"
            show(index)
        if stop is not None:
            raise stop
    finally:
        writer.close()
        store.finish_run(report.run_id, "success" if report.ok else "error", report.summary())
        report.warehouse_statements = store.warehouse.statements
        write_results(report, options.target.project_dir / options.target_path / RESULTS_FILE)
        emit(summary_line(report))


def _run_concurrently(
    scheduler: Scheduler, sync_one: Callable[[int], None], show: Callable[[int], None], ctx: RunContext
) -> BaseException | None:
    """Start models as the scheduler allows, each on a thread of its own, and show each once done; what
    stopped the run, if anything. A model that raises, or Ctrl-C here, stops the run: no model starts
    after it, and those running stop (`_stop`) and are shown."""
    stop: BaseException | None = None
    running: dict[Future[None], int] = {}
    with ThreadPoolExecutor(scheduler.slots, thread_name_prefix="pendo-sync-model") as models:
        try:
            while True:
                if stop is None:
                    running.update((models.submit(sync_one, i), i) for i in scheduler.start())
                if not running:
                    return stop
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=running.__getitem__):
                    index = running.pop(future)
                    scheduler.done(index)
                    if future.exception() is not None and stop is None:
                        stop = future.exception()
                        _stop(ctx)
                    show(index)
        except BaseException as exc:  # Ctrl-C
            _stop(ctx)
            wait(running)
            for index in sorted(running.values()):
                show(index)
            return stop or exc


def _stop(ctx: RunContext) -> None:
    """Requests not yet sent, and retries, give up at their next try; a model waiting for answers
    abandons them (reported as failed, sent again next run); one reading the warehouse stops before
    its next batch."""
    ctx.client.health.stop()
    if not ctx.stopping.done():
        ctx.stopping.set_result(None)


def _endpoints(spec: SyncSpec) -> frozenset[str]:
    """The Pendo endpoints a model sends to: each is paced on its own (pendo/pacing.py)."""
    if isinstance(spec, MetadataSpec):
        return frozenset(metadata_endpoint(spec.kind, group) for group in spec.groups)
    if isinstance(spec, SegmentSpec):
        return frozenset({segment_endpoint(spec.segment_id)})
    return frozenset({TRACK_ENDPOINT})


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
