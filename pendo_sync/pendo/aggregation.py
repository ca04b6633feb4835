"""Pendo's Aggregation API, the subset `verify` reads back with: pipelines and their answers. Pure.

A pipeline reads one source (visitors or accounts), optionally filtered to a few ids, selects the id and
`metadata.<group>.<field>` of each mapped field (Pendo stores field names lowercased; a field never set
reads as null), and pages with sort/skip/limit: one call must stay well inside Pendo's 5-minute cap, and
aggregations are not a bulk export, so pages are small and sorted by id (../shared/pendo-api.md §5, §10).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pendo_sync.kinds import ID_FIELD

if TYPE_CHECKING:
    from collections.abc import Sequence

PAGE_SIZE = 5000  # rows per call, as PostHog pages Pendo's aggregations
FILTER_IDS = 100  # ids in one `filter` expression (a sample is read with filters, not pages)
SOURCES = {"visitor": "visitors", "account": "accounts"}


@dataclass(frozen=True)
class Selected:
    """One mapped field as the pipeline selects it: under `alias` in each result row."""

    alias: str
    group: str
    field: str  # as Pendo spells it (lowercased)

    @property
    def path(self) -> str:
        return f"metadata.{self.group}.{self.field}"


def selected_fields(fields: Sequence[tuple[str, str]]) -> tuple[Selected, ...]:
    """(group, field) pairs -> selects under aliases `f0`, `f1`...: an alias can never clash with the id
    key or with another field of the same name in another group."""
    return tuple(Selected(f"f{i}", group, name.lower()) for i, (group, name) in enumerate(fields))


def page_pipeline(kind: str, fields: Sequence[Selected], skip: int, limit: int) -> list[dict[str, Any]]:
    """One page of every record of `kind`, sorted by id."""
    id_field = ID_FIELD[kind]
    return [
        {"source": {SOURCES[kind]: None}},
        {"identified": id_field},
        _select(id_field, fields),
        {"sort": [id_field]},
        {"skip": skip},
        {"limit": limit},
    ]


def ids_pipeline(kind: str, fields: Sequence[Selected], ids: Sequence[str]) -> list[dict[str, Any]]:
    """The records of these ids (those Pendo has), for a small selection such as `--sample`."""
    id_field = ID_FIELD[kind]
    expression = " || ".join(f"{id_field} == {json.dumps(i)}" for i in ids)
    return [
        {"source": {SOURCES[kind]: None}},
        {"filter": expression},
        _select(id_field, fields),
    ]


def _select(id_field: str, fields: Sequence[Selected]) -> dict[str, Any]:
    return {"select": {id_field: id_field, **{f.alias: f.path for f in fields}}}


def request_body(pipeline: list[dict[str, Any]]) -> bytes:
    body = {"response": {"mimeType": "application/json"}, "request": {"pipeline": pipeline}}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def parse_results(raw: bytes, kind: str) -> list[dict[str, Any]]:
    """`{"results": [...]}` -> its rows, each with the record's id as text; ValueError when the answer is
    not that shape."""
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise ValueError("the answer is not JSON") from None
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise ValueError('the answer has no "results" list')
    id_field = ID_FIELD[kind]
    rows = []
    for row in results:
        if not isinstance(row, dict) or row.get(id_field) is None:
            raise ValueError(f"a result has no {id_field}")
        rows.append({**row, id_field: str(row[id_field])})
    return rows
