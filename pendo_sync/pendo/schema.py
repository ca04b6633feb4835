"""Pendo's metadata schema as the client reads it: which fields exist in each group, and their types.

Pure. Checking the mappings against it is field_plan.py's: this module knows nothing of dbt or the
warehouse, so the Pendo client stands alone. Pendo documents the schema only as group -> field
-> descriptor with a `Type`; a descriptor we cannot read makes the field untyped (values go JSON-native)
rather than failing the run. Pendo stores field names lowercased, so names match case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pendo_sync.coercion import ANY

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

TYPES = ("string", "boolean", "number", "integer", "float", "time", "list")


@dataclass(frozen=True)
class PendoField:
    name: str  # as Pendo spells it
    type: str  # one of TYPES, or ANY


@dataclass(frozen=True)
class KindSchema:
    """The fields of one kind (visitor or account), by group, keyed by lowercased name."""

    groups: Mapping[str, Mapping[str, PendoField]]

    def find(self, group: str, name: str) -> PendoField | None:
        return self.groups.get(group, {}).get(name.lower())

    def names(self, group: str) -> list[str]:
        return [f.name for f in self.groups.get(group, {}).values()]

    def with_fields(self, group: str, fields: Iterable[PendoField]) -> KindSchema:
        added = {**self.groups.get(group, {}), **{f.name.lower(): f for f in fields}}
        return KindSchema({**self.groups, group: added})


def parse_schema(raw: Any) -> KindSchema:
    """`GET /api/v1/metadata/schema/{kind}`'s body; ValueError when it is not an object of groups."""
    if not isinstance(raw, dict):
        raise ValueError("the schema is not a JSON object")
    groups = {}
    for group, fields in raw.items():
        if isinstance(fields, dict):
            live = {name: d for name, d in fields.items() if not _deleted(d)}
            parsed = (PendoField(str(name), field_type(d)) for name, d in live.items())
            groups[str(group)] = {f.name.lower(): f for f in parsed}
    return KindSchema(groups)


def _deleted(descriptor: Any) -> bool:
    """A deleted field takes no writes until it is created again (Pendo's create endpoint undeletes)."""
    return isinstance(descriptor, dict) and descriptor.get("isDeleted") is True


def field_type(descriptor: Any) -> str:
    """The descriptor's `Type` (or `type`), lowercased; ANY when absent, empty or not one we know."""
    if not isinstance(descriptor, dict):
        return ANY
    raw = descriptor.get("Type", descriptor.get("type"))
    text = raw.strip().lower() if isinstance(raw, str) else ""
    return text if text in TYPES else ANY
