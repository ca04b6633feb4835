"""`pendo-dbt plan`: what `sync` would send now, computed by sync's own code, without sending or writing.

The same config checks, the same diff SQL against the same state, the same payload building
(prepare.py); then counts and samples instead of requests. Nothing is written: not to Pendo, not to
state. When the state schema does not exist yet (or with --full-refresh) the diff runs against an
empty state instead of creating one, so every row is new, as it would be for the first sync.
With PENDO_INTEGRATION_KEY, mapped fields are checked against Pendo's schema (read, never changed)
and values coerced as sync will; without it, values are shown untyped and the plan says so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pendo_sync import segment_sql
from pendo_sync import state_sql as sql
from pendo_sync.coercion import ANY, epoch_ms
from pendo_sync.config import EventSpec, MetadataSpec, SegmentSpec, SyncSpec, key_column
from pendo_sync.dbt_bridge.selection import NOTHING_TAGGED
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.diffs import event_diff_sql, metadata_diff_sql
from pendo_sync.errors import ConfigError, Problem, WarehouseError
from pendo_sync.field_plan import FieldCheck
from pendo_sync.key_profile import profile_keys
from pendo_sync.pendo.segments import MAX_VISITORS
from pendo_sync.pendo_fields import read_field_plan
from pendo_sync.plan_report import GroupPlan, ModelPlan, PlanReport, write_plan
from pendo_sync.prepare import oversized_note, prepare_events, prepare_metadata, window_note
from pendo_sync.project import SyncOptions, check_builds, check_models, load_config
from pendo_sync.report import plural
from pendo_sync.state import StateStore, state_schema

PLAN_FILE = "pendo_sync_plan.json"
NO_STATE = "pendo_sync__no_state"  # placeholder schema of a diff against an empty state
UNTYPED_WARNING = (
    "PENDO_INTEGRATION_KEY is not set: mapped fields were not checked against Pendo's schema and values "
    "are shown untyped (JSON-native), not coerced to Pendo's field types as `sync` will. Set the key to "
    "plan with Pendo's types"
)

Emit = Callable[[str], None]
Record = Callable[[Sequence[str], Mapping[str, Any]], None]


def run_plan(options: SyncOptions, emit: Emit, record: Record, samples: int = 3) -> PlanReport:
    manifest, parsed = load_config(options)
    for warning in parsed.warnings:
        emit(f"[WARNING] {warning}")
    if not parsed.specs and not parsed.problems:
        emit(NOTHING_TAGGED)
        return PlanReport(target=options.target.target or "", adapter=manifest.adapter_type)
    with Warehouse(options.target) as warehouse:
        parsed, relations, column_types, problems = check_models(parsed, warehouse, options.target)
        typing = _field_typing(parsed.specs, column_types, problems, options)
        unbuilt, stale = check_builds(parsed.specs, relations, manifest, options)
        store = StateStore(warehouse, state_schema(manifest, warehouse))
        report = PlanReport(
            target=warehouse.target_name,
            adapter=warehouse.adapter_type,
            state_schema=store.schema_name,
            state_exists=store.exists(),
            typed=typing.typed,
            warnings=[*parsed.warnings, *typing.warnings, *stale],
        )
        for warning in (*typing.warnings, *stale):
            emit(f"[WARNING] {warning}")
        state = "in schema" if report.state_exists else "not created yet: every row is new; schema"
        record(
            [
                f"Plan for target '{report.target}' ({report.adapter}): {plural(len(parsed.specs), 'model')}; state "
                f"{state} {store.schema_name}. Nothing will be sent or written."
            ],
            {k: v for k, v in report.to_json().items() if k not in ("models", "totals")},
        )
        planner = _Planner(store, report.state_exists, options, samples)
        for index, spec in enumerate(parsed.specs, start=1):
            model_id = spec.model.unique_id
            if model_id in unbuilt:
                plan = ModelPlan(spec.model.name, spec.pendo_object, model_id, status="error")
                plan.message = f"sync would not send it: {unbuilt[model_id]}"
            else:
                plan = planner.plan(spec, typing.checks, relations[model_id], column_types[model_id])
            report.models.append(plan)
            record(plan.lines(index, len(parsed.specs)), asdict(plan))
        write_plan(report, options.target.project_dir / options.target_path / PLAN_FILE)
        record([report.summary_line()], {"totals": report.totals()})
        return report


@dataclass(frozen=True)
class FieldTyping:
    checks: Mapping[str, FieldCheck]  # by model unique id: fields as Pendo spells them, with types
    typed: bool  # False: no key, values shown JSON-native
    warnings: tuple[str, ...] = ()


def _field_typing(
    specs: Sequence[SyncSpec],
    column_types: Mapping[str, Mapping[str, str]],
    known: Sequence[Problem],
    options: SyncOptions,
) -> FieldTyping:
    """Each metadata model's fields resolved against Pendo's schema (read only: fields that sync would
    create are noted, not created); untyped, with a warning, when there is no key to read it with.
    Raises the `known` problems with those of Pendo's schema, when it is read."""
    metadata = [s for s in specs if isinstance(s, MetadataSpec)]
    keyed = bool(os.environ.get("PENDO_INTEGRATION_KEY", "").strip())
    if known and not (metadata and keyed):
        raise ConfigError(known)
    if not metadata:
        return FieldTyping({}, True)
    if not keyed:
        untyped = {
            s.model.unique_id: FieldCheck(s, {(f.group, f.field): ANY for f in s.fields}) for s in metadata
        }
        return FieldTyping(untyped, False, (UNTYPED_WARNING,))
    fields = read_field_plan(options, metadata, column_types, known)
    return FieldTyping(fields.checks, True, tuple(fields.warnings))


@dataclass(frozen=True)
class _Planner:
    """Plans one model at a time: sync's reads (key profile, diff), sync's payload building, no writes."""

    store: StateStore
    has_state: bool
    options: SyncOptions
    samples: int

    def plan(
        self, spec: SyncSpec, checks: Mapping[str, FieldCheck], relation: str, column_types: Mapping[str, str]
    ) -> ModelPlan:
        model_id = spec.model.unique_id
        plan = ModelPlan(spec.model.name, spec.pendo_object, model_id)
        start = time.monotonic()
        try:
            if isinstance(spec, MetadataSpec):
                self.metadata(checks[model_id], relation, plan)
            elif isinstance(spec, SegmentSpec):
                self.segment(spec, relation, plan)
            else:
                self.events(spec, relation, column_types, plan)
            if not isinstance(spec, SegmentSpec):  # a segment's visitors that left are removals, planned
                self.left_model(spec, relation, plan)
        except (WarehouseError, ConfigError) as exc:
            plan.status, plan.message = "error", str(exc)
        plan.seconds = round(time.monotonic() - start, 3)
        return plan

    def metadata(self, check: FieldCheck, relation: str, plan: ModelPlan) -> None:
        spec = check.spec
        plan.notes.extend(
            f"sync would create Pendo {spec.kind} agent field '{f.name}' (type {f.type}; create_agent_fields: true)"
            for f in check.create
        )
        if not self.unique(relation, spec.id_column, f"each {spec.kind}", plan):
            return
        diff = self.diff(lambda schema: metadata_diff_sql(check, relation, schema, self.store.dialect))
        for rows in self.store.warehouse.stream(diff, size=spec.batch_size or self.options.batch_size):
            plan.add(prepare_metadata(spec, check.types, rows), self.samples)

    def events(
        self, spec: EventSpec, relation: str, column_types: Mapping[str, str], plan: ModelPlan
    ) -> None:
        if not self.unique(relation, spec.event_id_column, "each event id", plan):
            return
        known = self.has_state and self.store.is_known(spec.model.unique_id)
        if not known and not spec.backfill:
            plan.notes.append(
                f"backfill: false: the first sync would mark the {plan.rows_in_model} existing events as "
                "seen without sending them; rows added after it will be sent"
            )
            return
        diff = self.diff(
            lambda schema: event_diff_sql(spec, relation, schema, self.store.dialect, column_types)
        )
        window, before = spec.backfill_window, None
        if window is not None:  # a first sync would start now
            first_sync = self.store.first_synced(spec.model.unique_id) if known else self.store.clock()
            before = epoch_ms(window.start(first_sync))  # older events are not sent
        for rows in self.store.warehouse.stream(diff, size=self.options.batch_size):
            plan.add(prepare_events(spec, rows, before), self.samples)
        if plan.oversized:
            plan.notes.append(oversized_note(plan.oversized))
        if window is not None and plan.unsent:
            plan.notes.append(window_note(window.describe(first_sync), plan.unsent))

    def segment(self, spec: SegmentSpec, relation: str, plan: ModelPlan) -> None:
        """Visitors sync would add to and remove from the segment (groups `add` and `remove`)."""
        if not self.unique(relation, spec.visitor_id_column, "each visitor", plan):
            return
        dialect = self.store.dialect
        nulls = self.store.warehouse.query(segment_sql.null_count(relation, spec.visitor_id_column, dialect))
        plan.rejected += int(nulls[0][0])
        model_id = spec.model.unique_id
        diff = self.diff(
            lambda schema: segment_sql.segment_diff(
                relation, schema, model_id, spec.visitor_id_column, spec.segment_id, dialect
            )
        )
        for rows in self.store.warehouse.stream(diff, size=MAX_VISITORS):
            for key, op in rows:
                group = plan.groups.setdefault(str(op), GroupPlan())
                group.records += 1
                if len(group.samples) < self.samples:
                    group.samples.append({"visitorId": key})
            plan.changed += len(rows)
            plan.to_send += len(rows)
        adds, removes = (plan.groups[op].records if op in plan.groups else 0 for op in ("add", "remove"))
        plan.notes.append(
            f"segment '{spec.segment_id}': sync would add {plural(adds, 'visitor')} and remove "
            f"{plural(removes, 'visitor')} (only visitors pendo-dbt added are ever removed)"
        )

    def left_model(self, spec: SyncSpec, relation: str, plan: ModelPlan) -> None:
        """Records synced once that the model no longer holds: nothing deletes them from Pendo."""
        if not self.has_state or self.options.full_refresh:
            return
        left = sql.records_left(
            relation, self.store.schema, spec.model.unique_id, key_column(spec), self.store.dialect
        )
        plan.left_model = int(self.store.warehouse.query(left)[0][0])
        if plan.left_model:
            plan.notes.append(
                f"{plural(plan.left_model, 'record')} left the model since they were synced; they stay in "
                "Pendo (pendo-dbt never deletes) and are not sent"
            )

    def unique(self, relation: str, column: str, what: str, plan: ModelPlan) -> bool:
        plan.rows_in_model, duplicate = profile_keys(
            self.store.warehouse, self.store.dialect, relation, column, what
        )
        if duplicate:
            plan.status = "error"
            plan.message = (
                f"{duplicate}. sync would send nothing of this model. Make the key unique and rerun"
            )
        return duplicate is None

    def diff(self, render: Callable[[str], str]) -> str:
        """Sync's diff SQL against the state; against an empty state when there is none yet, or for
        --full-refresh (which forgets state before it diffs)."""
        if self.has_state and not self.options.full_refresh:
            return render(self.store.schema)
        return against_empty_state(render(NO_STATE), self.store.dialect)


def against_empty_state(query: str, dialect: sql.Dialect) -> str:
    """A diff rendered for the placeholder schema NO_STATE, its state table swapped for an empty
    relation of the same columns: so plan runs sync's very SQL without creating state."""
    table = f"{NO_STATE}.{dialect.own(sql.STATE)}"
    if table not in query:
        raise AssertionError(f"the diff SQL no longer reads {table}; update plan.against_empty_state")
    text = dialect.text_type
    columns = ", ".join(
        f"cast(null as {text}) as {c}"
        for c in ("model_id", "pendo_group", "record_key", "row_hash", "run_id")
    )
    columns += ", cast(null as timestamp) as synced_at, cast(null as bigint) as seq"
    return query.replace(table, f"(select {columns} from (select 1 as one) as pendo_sync__one where 1 = 0)")
