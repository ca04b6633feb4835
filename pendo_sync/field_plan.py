"""The mappings of metadata models against Pendo's schema: which fields exist, their types, which agent
fields must be created, which columns the warehouse may fetch as doubles.

Pure, so every decision is unit-tested without HTTP. Pendo stores field names lowercased, so names
match case-insensitively.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pendo_sync.errors import Problem
from pendo_sync.pendo.schema import KindSchema, PendoField

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pendo_sync.config import FieldMapping, MetadataSpec

CUSTOM_FIX = "create it in Pendo under Settings > Data Mappings, then rerun"

# Warehouse column type -> type of an agent field we create (Pendo creates string, number, time, boolean).
# Names as DuckDB and most adapters describe columns; numbers are the PostgreSQL type OIDs psycopg2 gives.
_CREATE_TYPES = {
    "boolean": ("boolean", "bool", "16"),
    "number": (
        *("tinyint", "smallint", "integer", "int", "bigint", "hugeint", "int2", "int4", "int8"),
        *("utinyint", "usmallint", "uinteger", "ubigint", "uhugeint", "decimal", "numeric", "number"),
        *("real", "float", "float4", "float8", "double", "double precision"),
        *("20", "21", "23", "700", "701", "1700"),
    ),
    "time": (
        *("date", "timestamp", "datetime", "timestamptz", "timestamp with time zone"),
        *("timestamp without time zone", "timestamp_s", "timestamp_ms", "timestamp_ns"),
        *("1082", "1114", "1184"),
    ),
}
_CREATE_TYPE_OF = {name: pendo for pendo, names in _CREATE_TYPES.items() for name in names}


def create_type(warehouse_type: str) -> str:
    """Pendo type for a new agent field from its column's type. Text and anything unknown is string,
    arrays included: Pendo's API cannot create list fields, so arrays go as JSON text."""
    base = re.sub(r"\(.*?\)", "", warehouse_type).strip().lower()
    return _CREATE_TYPE_OF.get(base, "string")


# DECIMAL(p,s) as DuckDB names a column's type. Only the DuckDB dialect casts (state_sql.Dialect.double_type):
# PostgreSQL's driver gives a type OID, which never matches, and psycopg2's numerics cost less.
_DECIMAL = re.compile(r"decimal\((\d+)\s*,\s*\d+\)", re.IGNORECASE)
EXACT_DOUBLE_DIGITS = 15


def exact_as_double(warehouse_type: str) -> bool:
    """Whether the warehouse's cast of this column to double precision is exactly what coercion to a
    Pendo float makes of it (`float(Decimal)`, correctly rounded).

    True for decimals of at most 15 digits: their unscaled integer fits a double exactly, so the cast is
    one correctly rounded division by a power of ten. Fetching the double saves making a Python Decimal
    per value and converting it.
    """
    match = _DECIMAL.fullmatch(warehouse_type.strip())
    return match is not None and int(match.group(1)) <= EXACT_DOUBLE_DIGITS


@dataclass(frozen=True)
class FieldCheck:
    """One model's mapping checked against Pendo: `spec` names fields as Pendo spells them."""

    spec: MetadataSpec
    types: Mapping[tuple[str, str], str]  # (group, Pendo field) -> Pendo type
    create: tuple[PendoField, ...] = ()  # agent fields to create before sending
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    # Mapped columns the diff selects as double precision: decimals every field of which is a float,
    # where the warehouse's cast is exactly the coercion (see exact_as_double).
    doubles: frozenset[str] = frozenset()
    column_types: Mapping[str, str] = field(default_factory=dict)  # the warehouse's, by mapped column


@dataclass
class _Checker:
    spec: MetadataSpec
    schema: KindSchema
    column_types: Mapping[str, str]
    mappings: list[FieldMapping] = field(default_factory=list)
    types: dict[tuple[str, str], str] = field(default_factory=dict)
    create: list[PendoField] = field(default_factory=list)
    missing_agent: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def check(self, mapping: FieldMapping) -> None:
        found = self.schema.find(mapping.group, mapping.field)
        if found is None and mapping.group == "agent" and self.spec.create_agent_fields:
            found = PendoField(mapping.field.lower(), create_type(self.column_types.get(mapping.column, "")))
            self.create.append(found)
        if found is None:
            self.missing(mapping)
            return
        if found.name != mapping.field:
            self.warnings.append(
                f"{self.spec.model.name}: meta.pendo.fields.{mapping.group}.{mapping.field}: Pendo stores "
                f"field names lowercased; sending it to Pendo's field '{found.name}'. Write `{found.name}` "
                "to silence this warning"
            )
        self.mappings.append(replace(mapping, field=found.name))
        self.types[(mapping.group, found.name)] = found.type

    def missing(self, mapping: FieldMapping) -> None:
        if mapping.group == "agent":
            self.missing_agent.append(mapping.field)
            return
        near = difflib.get_close_matches(mapping.field.lower(), self.schema.names(mapping.group), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        self.problems.append(
            Problem(
                self.spec.model.name,
                f"fields.{mapping.group}.{mapping.field}",
                f"Pendo has no {self.spec.kind} {mapping.group} field '{mapping.field}'{hint}",
                CUSTOM_FIX,
            )
        )

    def result(self) -> FieldCheck:
        if self.missing_agent:
            names = ", ".join(f"'{n}'" for n in self.missing_agent)
            self.problems.append(
                Problem(
                    self.spec.model.name,
                    "fields.agent",
                    f"Pendo has no {self.spec.kind} agent field(s) {names}",
                    "set `create_agent_fields: true` in meta.pendo to have pendo-dbt create them "
                    "(Pendo's UI cannot), or map existing agent fields",
                )
            )
        spec = replace(self.spec, fields=tuple(self.mappings))
        return FieldCheck(
            spec,
            self.types,
            tuple(self.create),
            tuple(self.problems),
            tuple(self.warnings),
            self.doubles(),
            {m.column: self.column_types[m.column] for m in self.mappings if m.column in self.column_types},
        )

    def doubles(self) -> frozenset[str]:
        floats: dict[str, bool] = {}
        for m in self.mappings:
            is_float = self.types[(m.group, m.field)] == "float"
            floats[m.column] = floats.get(m.column, True) and is_float
        return frozenset(
            column
            for column, only_floats in floats.items()
            if only_floats and exact_as_double(self.column_types.get(column, ""))
        )


def check_fields(spec: MetadataSpec, schema: KindSchema, column_types: Mapping[str, str]) -> FieldCheck:
    """Resolve every mapped field against Pendo's schema; `column_types` types agent fields to create and
    tells which columns are fetched as doubles."""
    checker = _Checker(spec, schema, column_types)
    for mapping in spec.fields:
        checker.check(mapping)
    return checker.result()


@dataclass(frozen=True)
class FieldPlan:
    """Every metadata model checked; `create` holds each kind's new agent fields once."""

    checks: Mapping[str, FieldCheck]  # by model unique id
    create: Mapping[str, tuple[PendoField, ...]]  # by kind

    @property
    def problems(self) -> list[Problem]:
        return [p for c in self.checks.values() for p in c.problems]

    @property
    def warnings(self) -> list[str]:
        return [w for c in self.checks.values() for w in c.warnings]


def plan_fields(
    specs: Iterable[MetadataSpec],
    schemas: Mapping[str, KindSchema],
    column_types: Mapping[str, Mapping[str, str]],
) -> FieldPlan:
    """Check models in order; a field one model creates already exists for the next, with its type."""
    current = dict(schemas)
    checks: dict[str, FieldCheck] = {}
    create: dict[str, tuple[PendoField, ...]] = {}
    for spec in specs:
        model_id = spec.model.unique_id
        check = check_fields(spec, current[spec.kind], column_types.get(model_id, {}))
        checks[model_id] = check
        if check.create:
            current[spec.kind] = current[spec.kind].with_fields("agent", check.create)
            create[spec.kind] = (*create.get(spec.kind, ()), *check.create)
    return FieldPlan(checks, create)
