"""`pendo-dbt verify`: read back what Pendo holds and compare it with the model, field by field.

State says what Pendo acknowledged; only reading Pendo shows what it holds now (a value edited in Pendo's
UI, overwritten by another integration, or a write Pendo dropped). Pendo is read with its Aggregation
API, page by page, into a staging table; the warehouse joins the model to it and the comparison streams
(verify_compare.py), so memory stays flat in row count. `verify` never writes to Pendo; `--repair` only
forgets the state of the drifted records, so the next `sync` resends exactly them. Events are not read
back: Pendo's aggregations over Track events are no delivery log.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pendo_sync import verify_sql as vsql
from pendo_sync.config import MetadataSpec
from pendo_sync.dbt_bridge.selection import NOTHING_TAGGED
from pendo_sync.dbt_bridge.warehouse import Warehouse
from pendo_sync.errors import ConfigError, PendoAuthError
from pendo_sync.key_profile import profile_keys
from pendo_sync.kinds import ID_FIELD
from pendo_sync.pendo.aggregation import (
    FILTER_IDS,
    PAGE_SIZE,
    Selected,
    ids_pipeline,
    page_pipeline,
    selected_fields,
)
from pendo_sync.pendo.client import ClientOptions, PendoClient
from pendo_sync.pendo_fields import resolve_fields
from pendo_sync.project import SyncOptions, check_models, load_config
from pendo_sync.report import plural
from pendo_sync.settings import settings_from_env
from pendo_sync.state import StateStore, state_schema
from pendo_sync.state_sql import bulk_insert
from pendo_sync.verify_compare import (
    DRIFT,
    MISSING,
    ComparedField,
    Tally,
    compared_field,
    judge,
    pendo_text,
)
from pendo_sync.verify_report import RESULTS_FILE, SHOWN, ModelVerify, ResultsFile, VerifyReport

if TYPE_CHECKING:
    from pendo_sync.field_plan import FieldCheck

CHUNK = 5000  # comparison rows fetched, and differences written, at a time
# DuckDB runs in this process. Even capped, one join of every record with its staged values fills the cap
# with hash tables and buffered results, more with more rows; so on DuckDB the comparison runs as one join
# per hash partition of the ids, of about PART_VALUES values each, under this cap and spilling beyond it,
# and verify's peak does not grow with the model (figures: docs/performance.md). Each partition scans the
# model and the staged pages again. A wide model needs more memory to scan, hence a MiB more per field.
# A profile's own `memory_limit` is left alone.
DUCKDB_MIB = 64
MIB_PER_FIELD = 1
PART_VALUES = 350_000  # ids and field values in one partition's join
# Staging pages needs little memory (one page per insert), but DuckDB keeps the staged table's blocks
# cached up to its limit: at 128 MiB, 1M staged records held ~40 MB more than 100k. Held lower while
# staging, it evicts them instead.
STAGING_MIB = 32
Emit = Callable[[str], None]
Record = Callable[[Sequence[str], Mapping[str, Any]], None]


@dataclass(frozen=True)
class VerifyOptions:
    dbt: SyncOptions
    client: ClientOptions = field(default_factory=ClientOptions)
    page_size: int = PAGE_SIZE
    sample: int | None = None  # records per model, picked at random; None: every record
    repair: bool = False


def run_verify(options: VerifyOptions, emit: Emit, record: Record) -> VerifyReport:
    dbt = options.dbt
    manifest, parsed = load_config(dbt)
    for warning in parsed.warnings:
        emit(f"[WARNING] {warning}")
    report = VerifyReport(str(uuid.uuid4()))
    if not parsed.specs and not parsed.problems:
        emit(NOTHING_TAGGED)
        return report
    settings = settings_from_env(base_url=dbt.pendo_url, region=dbt.region)
    with Warehouse(dbt.target) as warehouse:
        parsed, relations, column_types, problems = check_models(parsed, warehouse, dbt.target)
        metadata = [s for s in parsed.specs if isinstance(s, MetadataSpec)]
        client = PendoClient(settings, options.client)
        try:
            plan = resolve_fields(client, metadata, column_types, problems)
            store = StateStore(warehouse, state_schema(manifest, warehouse))
            store.ensure()
            warehouse.define([vsql.differences_table(store.schema, store.dialect)])
            emit(
                f"Verifying with target '{warehouse.target_name}' ({warehouse.adapter_type}): "
                f"{plural(len(parsed.specs), 'model')} against what Pendo holds"
                + (f", a sample of {options.sample} records each" if options.sample else "")
            )
            results = ResultsFile(dbt.target.project_dir / dbt.target_path / RESULTS_FILE, report.run_id)
            lock = store.lock() if options.repair else contextlib.nullcontext()
            writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pendo-verify")
            try:
                with lock:
                    store.start_run(report.run_id, "verify")
                    for index, spec in enumerate(parsed.specs):
                        model_id = spec.model.unique_id
                        result = ModelVerify(spec.model.name, spec.pendo_object, model_id)
                        report.models.append(result)
                        if not isinstance(spec, MetadataSpec):
                            result.note = "events are not read back (Pendo keeps no delivery log of them)"
                        else:
                            check = plan.checks[model_id]
                            job = _Job(options, store, client, results, report.run_id, index, writer)
                            job.verify(check, relations[model_id], result)
                        record(result.lines(), result.data())
                    store.finish_run(report.run_id, "success", {"verify": _summary(report)})
                results.finish(report)
            except BaseException:
                results.abandon()
                raise
            finally:
                writer.shutdown()
        except PendoAuthError as exc:  # a key that may not read is the configuration's fault: exit 2
            raise ConfigError([str(exc)]) from None
        finally:
            client.close()
    if report.drifted:
        emit(f"Drift: {plural(report.drifted, 'record')} in Pendo differ from the model (exit 1).")
    elif not report.ok:
        emit("Not every model could be verified (exit 1).")
    else:
        emit("Pendo holds what the models say.")
    return report


def _summary(report: VerifyReport) -> dict[str, Any]:
    return {
        m.model_id: {"records": m.records, "drifted": m.drifted, "repaired": m.repaired}
        for m in report.models
    }


@dataclass
class _Job:
    """One model's verification: stage Pendo's records, compare in one streamed join, log differences."""

    options: VerifyOptions
    store: StateStore
    client: PendoClient
    results: ResultsFile
    run_id: str
    index: int
    writer: ThreadPoolExecutor  # one thread, so one connection, for every write of the run
    _pending: list[dict[str, Any]] = field(default_factory=list)

    def verify(self, check: FieldCheck, relation: str, result: ModelVerify) -> None:
        started = time.monotonic()
        spec, warehouse, dialect = check.spec, self.store.warehouse, self.store.dialect
        rows, duplicate = profile_keys(warehouse, dialect, relation, spec.id_column, f"each {spec.kind}")
        if duplicate:
            result.note = f"not verified: {duplicate}. Make the key unique in the model and rerun"
            result.error = True
            return
        pairs = [(f.group, f.field) for f in spec.fields]
        selected = selected_fields(pairs)
        staging = self.store.table(vsql.staging_name(self.run_id, self.index))
        warehouse.define(vsql.create_staging(staging, len(selected), dialect))
        try:
            keys = None
            if self.options.sample:
                query = vsql.sample_keys(relation, spec.id_column, self.options.sample, dialect)
                keys = [str(r[0]) for r in warehouse.query(query)]
            staged = 0
            with warehouse.memory_cap(STAGING_MIB):
                for page in self._pages(spec.kind, selected, keys):
                    result.pendo_calls += 1
                    staged += len(page)
                    self._stage(staging, spec.kind, selected, page)
            parts = 1
            if keys is None and warehouse.adapter_type == "duckdb":
                parts = max(1, -(-max(rows, staged) * (1 + len(selected)) // PART_VALUES))
            self._compare(check, relation, staging, keys, result, parts)
        finally:
            warehouse.define([f"drop table if exists {staging}"])
        if self.options.repair and result.drifted:
            drifted = vsql.drifted_where(self.store.schema, self.run_id, spec.model.unique_id, dialect)
            self.store.forget(spec.model.unique_id, drifted)
            result.repaired = result.drifted
        result.seconds = round(time.monotonic() - started, 3)

    def _pages(
        self, kind: str, selected: Sequence[Selected], keys: Sequence[str] | None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pendo's records: the ids of a sample through filters, or every record page by page, sorted by
        id, until a short page."""
        if keys is not None:
            for start in range(0, len(keys), FILTER_IDS):
                yield self.client.aggregate(
                    kind, ids_pipeline(kind, selected, keys[start : start + FILTER_IDS])
                )
            return
        size, skip = self.options.page_size, 0
        while True:
            page = self.client.aggregate(kind, page_pipeline(kind, selected, skip, size))
            yield page
            if len(page) < size:
                return
            skip += size

    def _stage(
        self, staging: str, kind: str, selected: Sequence[Selected], page: list[dict[str, Any]]
    ) -> None:
        if not page:
            return
        id_field = ID_FIELD[kind]
        lists = [[row[id_field] for row in page]]
        lists += [[pendo_text(row.get(f.alias)) for row in page] for f in selected]
        columns = vsql.staging_columns(len(selected))
        self.store.warehouse.execute(bulk_insert(staging, columns, [], lists, self.store.dialect))

    def _compare(
        self,
        check: FieldCheck,
        relation: str,
        staging: str,
        keys: Sequence[str] | None,
        result: ModelVerify,
        parts: int,
    ) -> None:
        """One streamed join of the model with the staged pages per partition of the ids, each under
        DuckDB's cap (re-set per partition: a stream lifts it to build its join, then holds its growth)."""
        spec = check.spec
        columns = list(spec.columns)
        width = len(spec.fields)
        fields = [
            compared_field(
                f.group,
                f.field,
                f.column,
                check.types[(f.group, f.field)],
                1 + columns.index(f.column),
                2 + len(columns) + i,
            )
            for i, f in enumerate(spec.fields)
        ]
        tallies = {f"{f.group}.{f.field}": Tally() for f in fields}
        warehouse = self.store.warehouse
        for index in range(parts):
            query = vsql.comparison(
                relation,
                staging,
                spec.id_column,
                columns,
                width,
                self.store.dialect,
                check.doubles,
                keys,
                (index, parts) if parts > 1 else None,
            )
            with warehouse.memory_cap(DUCKDB_MIB + MIB_PER_FIELD * width):
                for rows in warehouse.stream(query, size=CHUNK):
                    for row in rows:
                        result.records += 1
                        drifted = self._judge_row(
                            row, fields, tallies, spec, result, present=bool(row[1 + len(columns)])
                        )
                        result.drifted += drifted
                    self._flush(spec.model.unique_id)
        self._flush(spec.model.unique_id)
        result.fields = {name: tally.counts for name, tally in tallies.items()}

    def _judge_row(
        self,
        row: Sequence[Any],
        fields: Sequence[ComparedField],
        tallies: Mapping[str, Tally],
        spec: MetadataSpec,
        result: ModelVerify,
        *,
        present: bool,
    ) -> bool:
        key, drifted = str(row[0]), False
        missing_groups: set[str] = set()
        for f in fields:
            verdict = judge(f, row, present, spec.nulls)
            tallies[f"{f.group}.{f.field}"].add(verdict.outcome)
            if verdict.outcome not in DRIFT:
                continue
            drifted = True
            if verdict.outcome == MISSING:
                if f.group in missing_groups:
                    continue
                missing_groups.add(
                    f.group
                )  # one line per record and group: the record, not a field, is missing
            name = "" if verdict.outcome == MISSING else f.field
            self._difference(spec, result, f.group, key, name, verdict.outcome, verdict.pendo, verdict.model)
        return drifted

    def _difference(
        self,
        spec: MetadataSpec,
        result: ModelVerify,
        group: str,
        key: str,
        name: str,
        outcome: str,
        pendo: str | None,
        model: str | None,
    ) -> None:
        entry = {
            "model": spec.model.name,
            "group": group,
            "id": key,
            "field": name,
            "outcome": outcome,
            "pendo": pendo,
            "model_value": model,
        }
        self.results.add(entry)
        if outcome != MISSING or not any(d["id"] == key for d in result.shown[-1:]):
            result.differences += 1  # a missing record once, not once per group
            if len(result.shown) < SHOWN:
                result.shown.append({**entry, "model": model})
        self._pending.append(entry)

    def _flush(self, model_id: str) -> None:
        """Log the differences found so far. On a thread of its own, so on a connection of its own: this
        thread's connection is busy streaming the comparison (dbt keeps one connection per thread)."""
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        self.writer.submit(self._write, model_id, rows).result()

    def _write(self, model_id: str, rows: list[dict[str, Any]]) -> None:
        store = self.store
        lists = [[r[k] for r in rows] for k in ("group", "id", "field", "outcome", "pendo", "model_value")]
        constants = [self.run_id, model_id, store.clock()]
        table = store.table(vsql.DIFFERENCES)
        store.warehouse.execute(bulk_insert(table, vsql.DIFFERENCE_COLUMNS, constants, lists, store.dialect))
