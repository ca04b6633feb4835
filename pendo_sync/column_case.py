"""Mapped column names resolved against the columns a model really has, ignoring case.

Snowflake stores an unquoted `first_name` as FIRST_NAME, so a mapping written as the model's SQL spells
it names no column once quoted. A mapped name that matches no column exactly is taken to be the one
column whose name differs only in case (the diff quotes that stored name); two such columns are
ambiguous and a configuration problem. A name that matches exactly is kept, so no mapping that worked
before resolves differently (nor hashes differently). Pure.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pendo_sync.config import EventSpec, MetadataSpec, SyncSpec, column_keys
from pendo_sync.errors import Problem

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def resolve_columns(spec: SyncSpec, actual: Sequence[str]) -> tuple[SyncSpec, list[Problem]]:
    """The spec with each mapped column named as the relation stores it, and the ambiguous ones."""
    exact = set(actual)
    by_case: dict[str, list[str]] = {}
    for name in actual:
        by_case.setdefault(name.casefold(), []).append(name)
    renames: dict[str, str] = {}
    problems: list[Problem] = []
    for key, column in column_keys(spec):
        found = by_case.get(column.casefold(), [])
        if column in exact or column in renames or not found:
            continue  # a column that is not there at all is config.check_columns' to report
        if len(found) == 1:
            renames[column] = found[0]
            continue
        names = ", ".join(f"'{n}'" for n in found)
        problems.append(
            Problem(
                spec.model.name,
                key,
                f"column '{column}' matches {names}, which differ only in case",
                "write the name exactly as the model stores it (case included), or rename one of them",
            )
        )
    return (_renamed(spec, renames) if renames else spec), problems


def _renamed(spec: SyncSpec, renames: Mapping[str, str]) -> SyncSpec:
    def r(column: str) -> str:
        return renames.get(column, column)

    if isinstance(spec, MetadataSpec):
        fields = tuple(replace(f, column=r(f.column)) for f in spec.fields)
        return replace(spec, id_column=r(spec.id_column), fields=fields)
    if isinstance(spec, EventSpec):
        return replace(
            spec,
            event_id_column=r(spec.event_id_column),
            visitor_id_column=r(spec.visitor_id_column),
            timestamp_column=r(spec.timestamp_column),
            event_name_column=spec.event_name_column and r(spec.event_name_column),
            account_id_column=spec.account_id_column and r(spec.account_id_column),
            properties=tuple((name, r(c)) for name, c in spec.properties),
            context=tuple((name, r(c)) for name, c in spec.context),
        )
    return replace(spec, visitor_id_column=r(spec.visitor_id_column))
