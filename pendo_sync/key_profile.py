"""The check every pipeline makes before it sends anything: a model whose key repeats is refused whole,
since Pendo would keep whichever duplicate arrived last and the run could not say which one that was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pendo_sync import state_sql as sql

if TYPE_CHECKING:
    from pendo_sync.dbt_bridge.warehouse import Warehouse
    from pendo_sync.report import ModelResult


def profile_keys(
    warehouse: Warehouse, dialect: sql.Dialect, relation: str, column: str, what: str
) -> tuple[int, str | None]:
    """Rows in the model, and why it must be refused whole when a key repeats (which row should Pendo
    believe?); None when every key is unique."""
    rows, duplicates = warehouse.query(sql.key_profile(relation, column, dialect))[0]
    if not duplicates:
        return int(rows), None
    example = warehouse.query(sql.duplicate_example(relation, column, dialect))[0][0]
    return int(rows), (
        f"{int(duplicates)} duplicate value(s) in id column '{column}' (e.g. {example!r}); {what} must appear "
        "once"
    )


def refuse(result: ModelResult, duplicate: str) -> None:
    result.status = "error"
    result.message = (
        f"{duplicate}. Nothing of this model was sent. Make the key unique in the model and rerun"
    )
