"""Sync state in the warehouse: what Pendo acknowledged, per model, group and record key.

CI runners are ephemeral, so state cannot live on local disk; it lives next to the models. Every write
is one transaction, so a kill at any point leaves state either before or after a batch, never between,
and a rerun sends whatever state does not record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from pendo_sync import state_sql as sql
from pendo_sync.pendo.responses import RowOutcome
from pendo_sync.warehouse import Warehouse

_INSERT_ROWS = 500  # rows per INSERT statement: few round trips, bounded statement size


def state_schema_name(target_schema: str, override: str | None) -> str:
    return override or f"{target_schema}_pendo_sync"


class StateStore:
    def __init__(self, warehouse: Warehouse, schema: str) -> None:
        self.warehouse = warehouse
        self.dialect = sql.dialect_for(warehouse.adapter_type, warehouse.quote)
        self.schema_name = schema
        self.schema = warehouse.quote(schema)

    def table(self, name: str) -> str:
        return f"{self.schema}.{self.warehouse.quote(name)}"

    def ensure(self) -> None:
        self.warehouse.execute([(s, ()) for s in sql.create_tables(self.schema, self.dialect)])

    def record(self, model_id: str, group: str, acknowledged: Sequence[tuple[str, str]], run_id: str) -> None:
        """Replace the state of these keys with their acknowledged hashes, atomically."""
        if not acknowledged:
            return
        now = _now()
        statements: list[tuple[str, Sequence[Any]]] = []
        for chunk in _chunks(acknowledged, _INSERT_ROWS):
            keys = [k for k, _ in chunk]
            marks = ", ".join([self.warehouse.placeholder] * len(keys))
            statements.append(
                (
                    f"delete from {self.table(sql.STATE)} where model_id = {self.warehouse.placeholder} "
                    f"and pendo_group = {self.warehouse.placeholder} and record_key in ({marks})",
                    [model_id, group, *keys],
                )
            )
            statements.append(
                (
                    f"insert into {self.table(sql.STATE)} (model_id, pendo_group, record_key, row_hash, "
                    f"synced_at, run_id) values {sql.values_placeholders(len(chunk), 6, self.warehouse.placeholder)}",
                    [v for key, h in chunk for v in (model_id, group, key, h, now, run_id)],
                )
            )
        self.warehouse.execute(statements)

    def record_outcomes(self, run_id: str, model_id: str, group: str, outcomes: Sequence[RowOutcome]) -> None:
        """Keep every row that did not land, with its reason, so users can query what is pending."""
        if not outcomes:
            return
        now = _now()
        statements: list[tuple[str, Sequence[Any]]] = []
        for chunk in _chunks(outcomes, _INSERT_ROWS):
            statements.append(
                (
                    f"insert into {self.table(sql.OUTCOMES)} (run_id, model_id, pendo_group, record_key, outcome, "
                    f"reason, recorded_at) values {sql.values_placeholders(len(chunk), 7, self.warehouse.placeholder)}",
                    [
                        v
                        for o in chunk
                        for v in (run_id, model_id, group, o.record_id, o.outcome, o.reason, now)
                    ],
                )
            )
        self.warehouse.execute(statements)

    def start_run(self, run_id: str, command: str) -> None:
        p = self.warehouse.placeholder
        self.warehouse.execute(
            [
                (
                    f"insert into {self.table(sql.RUNS)} (run_id, command, started_at, status) values ({p}, {p}, {p}, {p})",
                    [run_id, command, _now(), "running"],
                )
            ]
        )

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        p = self.warehouse.placeholder
        self.warehouse.execute(
            [
                (
                    f"update {self.table(sql.RUNS)} set finished_at = {p}, status = {p}, summary = {p} where run_id = {p}",
                    [_now(), status, json.dumps(summary, sort_keys=True), run_id],
                )
            ]
        )

    def forget(self, model_id: str) -> None:
        """--full-refresh: drop what we know of a model so everything is sent again."""
        p = self.warehouse.placeholder
        self.warehouse.execute([(f"delete from {self.table(sql.STATE)} where model_id = {p}", [model_id])])


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
