"""`meta.pendo` -> typed sync specs, with every problem in every model collected and reported at once.

Pure: runs before any warehouse query or HTTP request, so a typo costs nothing. Defaults live here, not
in dbt, because dbt merges `meta` shallowly (a model's own `pendo:` replaces a project-level one whole).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Union

from pendo_sync.backfill import BackfillWindow, parse_since
from pendo_sync.errors import ConfigError, Problem

if TYPE_CHECKING:
    from pendo_sync.manifest import ModelNode

GROUPS = ("agent", "custom")
# Bulk metadata batches where neither a model's meta.pendo nor a flag sets them: records, body bytes.
BATCH_SIZE = 1000
BATCH_BYTES = 2 * 2**20
# Pendo's rule for metadata keys and track-event property names: letters, digits, underscore, not a digit first.
_PENDO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PROPERTY_MAX = 32
_CONTEXT_KEYS = {
    "ip": "ip",
    "user_agent": "userAgent",
    "useragent": "userAgent",
    "url": "url",
    "title": "title",
}

_CONTEXT_NAMES = {"ip": "ip", "userAgent": "user_agent", "url": "url", "title": "title"}

_METADATA_KEYS = (
    "object",
    "id_column",
    "fields",
    "nulls",
    "missing",
    "create_agent_fields",
    "batch_size",
    "batch_bytes",
)
_EVENT_KEYS = (
    "object",
    "event_id_column",
    "event_name_column",
    "event_name",
    "visitor_id_column",
    "account_id_column",
    "timestamp_column",
    "properties",
    "context",
    "backfill",
)
_SEGMENT_KEYS = ("object", "segment_id", "visitor_id_column")
# meta.pendo `object:` -> the kind Pendo's metadata endpoints name (`/metadata/{kind}/...`).
METADATA_KINDS = {"visitor": "visitor", "account": "account", "parent_account": "parentAccount"}
OBJECTS = ("visitor", "account", "event", "parent_account", "segment")


@dataclass(frozen=True)
class FieldMapping:
    group: str
    field: str
    column: str


@dataclass(frozen=True)
class MetadataSpec:
    """A visitor or account model: each row sets the mapped fields of one Pendo record."""

    model: ModelNode
    kind: str
    id_column: str
    fields: tuple[FieldMapping, ...]
    nulls: str = "skip"
    missing: str = "skip"
    create_agent_fields: bool = False
    batch_size: int | None = None
    batch_bytes: int | None = None

    @property
    def pendo_object(self) -> str:
        return next(obj for obj, kind in METADATA_KINDS.items() if kind == self.kind)

    @cached_property  # computed once: the sync reads it per row (a frozen dataclass allows this cache)
    def groups(self) -> tuple[str, ...]:
        return tuple(g for g in GROUPS if any(f.group == g for f in self.fields))

    def group_fields(self, group: str) -> tuple[FieldMapping, ...]:
        return tuple(f for f in self.fields if f.group == group)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return _unique((self.id_column, *(f.column for f in self.fields)))


@dataclass(frozen=True)
class EventSpec:
    """An event model: each row is one Track event, sent once, keyed by its event id."""

    model: ModelNode
    event_id_column: str
    visitor_id_column: str
    timestamp_column: str
    event_name_column: str | None = None
    event_name: str | None = None
    account_id_column: str | None = None
    properties: tuple[tuple[str, str], ...] = ()
    context: tuple[tuple[str, str], ...] = ()
    backfill: bool = True  # false: a first sync marks every existing event seen
    backfill_window: BackfillWindow | None = None  # events older than it are marked seen (backfill.py)

    @property
    def pendo_object(self) -> str:
        return "event"

    @cached_property
    def columns(self) -> tuple[str, ...]:
        optional = (self.event_name_column, self.account_id_column)
        return _unique(
            (
                self.event_id_column,
                self.visitor_id_column,
                self.timestamp_column,
                *(c for c in optional if c),
                *(c for _, c in self.properties),
                *(c for _, c in self.context),
            )
        )


@dataclass(frozen=True)
class SegmentSpec:
    """A segment model: its visitor ids are the members pendo-dbt keeps in one Pendo segment."""

    model: ModelNode
    segment_id: str
    visitor_id_column: str

    @property
    def pendo_object(self) -> str:
        return "segment"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.visitor_id_column,)


SyncSpec = Union[MetadataSpec, EventSpec, SegmentSpec]


@dataclass(frozen=True)
class ParsedConfig:
    specs: tuple[SyncSpec, ...]  # the models whose meta.pendo is sound
    warnings: tuple[str, ...]
    problems: tuple[Problem, ...] = ()  # of the others: reported with the column problems of these

    def check(self) -> None:
        """For commands that look no further than meta.pendo: its problems, all at once."""
        if self.problems:
            raise ConfigError(self.problems)


def parse_models(models: Iterable[ModelNode]) -> ParsedConfig:
    """Turn every tagged model into a spec, collecting every problem of every model (not raised here,
    so the problems of the built relations can be reported in the same error)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    specs: list[SyncSpec] = []
    for model in models:
        reader = _Reader(model, problems)
        spec = reader.spec()
        warnings.extend(reader.warnings)
        if spec is not None and not reader.failed:
            specs.append(spec)
    return ParsedConfig(tuple(specs), tuple(warnings), tuple(problems))


def near_misses(models: Iterable[ModelNode]) -> list[str]:
    """Warnings for untagged models with a key under `meta` that looks meant as `pendo` (`pendoo`,
    `Pendo`, `pendo_sync`): such a model is silently not synced, which a warning makes loud."""
    warnings = []
    for model in models:
        if model.pendo is not None:
            continue
        for key in model.meta_keys:
            lowered = key.lower()
            if lowered.startswith("pendo") or difflib.get_close_matches(lowered, ["pendo"], cutoff=0.75):
                warnings.append(
                    f"{model.name}: meta.{key} is not read: pendo-dbt syncs models tagged with `meta.pendo` "
                    f"(lowercase). Fix: rename `{key}:` to `pendo:` to sync this model"
                )
    return warnings


_FLOATING = ("double", "float", "real")  # DOUBLE, FLOAT8, DOUBLE PRECISION, REAL, FLOAT4, ...


def check_columns(spec: SyncSpec, actual: Iterable[tuple[str, str]]) -> list[Problem]:
    """Problems for mapped columns the built model does not have, and for ids of a floating-point type
    (needs the warehouse's columns and their types)."""
    types = dict(actual)
    have = list(types)
    problems = []
    for key, column in _id_columns(spec):
        data_type = types.get(column, "").lower()
        if any(word in data_type for word in _FLOATING):
            problems.append(
                Problem(
                    spec.model.name,
                    key,
                    f"column '{column}' is a {types[column]}: a floating-point id goes to Pendo as its "
                    "text ('1e+20', '2.0', 'nan'), not as the id you mean",
                    f"cast it to an integer or to text in the model (`cast({column} as bigint)`) and `dbt run` it",
                )
            )
    for key, column in column_keys(spec):
        if column not in have:
            near = difflib.get_close_matches(column, have, n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"the model has: {', '.join(have)}"
            problems.append(
                Problem(
                    spec.model.name,
                    key,
                    f"column '{column}' is mapped but the built model has no such column",
                    f"{hint} Correct the mapping, or add the column to the model and `dbt run` it",
                )
            )
    return problems


def column_keys(spec: SyncSpec) -> list[tuple[str, str]]:
    """(key path under meta.pendo, column) of every column a spec maps, as the user wrote the keys."""
    if isinstance(spec, MetadataSpec):
        return [("id_column", spec.id_column)] + [
            (f"fields.{f.group}.{f.field}", f.column) for f in spec.fields
        ]
    if isinstance(spec, SegmentSpec):
        return [("visitor_id_column", spec.visitor_id_column)]
    keys = [
        ("event_id_column", spec.event_id_column),
        ("visitor_id_column", spec.visitor_id_column),
        ("timestamp_column", spec.timestamp_column),
    ]
    keys += [(k, c) for k, c in (("event_name_column", spec.event_name_column),) if c]
    keys += [(k, c) for k, c in (("account_id_column", spec.account_id_column),) if c]
    keys += [(f"properties.{name}", column) for name, column in spec.properties]
    keys += [(f"context.{_CONTEXT_NAMES[name]}", column) for name, column in spec.context]
    return keys


def key_column(spec: SyncSpec) -> str:
    """The column that keys a model's records in state: the record, event or visitor id."""
    if isinstance(spec, MetadataSpec):
        return spec.id_column
    if isinstance(spec, SegmentSpec):
        return spec.visitor_id_column
    return spec.event_id_column


def _id_columns(spec: SyncSpec) -> list[tuple[str, str]]:
    if isinstance(spec, MetadataSpec):
        return [("id_column", spec.id_column)]
    if isinstance(spec, SegmentSpec):
        return [("visitor_id_column", spec.visitor_id_column)]
    ids = [("event_id_column", spec.event_id_column), ("visitor_id_column", spec.visitor_id_column)]
    return ids + ([("account_id_column", spec.account_id_column)] if spec.account_id_column else [])


class _Reader:
    """Reads one model's meta.pendo, recording problems instead of stopping at the first."""

    def __init__(self, model: ModelNode, problems: list[Problem]) -> None:
        self.model = model
        self.problems = problems
        self.warnings: list[str] = []
        self.failed = False

    def problem(self, key: str, message: str, fix: str) -> None:
        self.failed = True
        self.problems.append(Problem(self.model.name, key, message, fix))

    def spec(self) -> SyncSpec | None:
        raw = self.model.pendo
        if not isinstance(raw, Mapping):
            self.problem(
                "",
                f"must be a mapping, got {_type_name(raw)}",
                "write `pendo:` as a YAML mapping (key: value)",
            )
            return None
        obj = raw.get("object")
        if isinstance(obj, str) and obj in METADATA_KINDS:  # YAML may give a list: unhashable
            self.unknown_keys(raw, _METADATA_KEYS)
            return self.metadata(raw, METADATA_KINDS[str(obj)])
        if obj == "event":
            self.unknown_keys(raw, _EVENT_KEYS)
            return self.event(raw)
        if obj == "segment":
            self.unknown_keys(raw, _SEGMENT_KEYS)
            return self.segment(raw)
        near = difflib.get_close_matches(str(obj).strip().lower(), OBJECTS, n=1)
        hint = f"did you mean `object: {near[0]}`? (lowercase) " if near else ""
        self.problem(
            "object", f"unknown object {obj!r}", f"{hint}set `object:` to one of {', '.join(OBJECTS)}"
        )
        return None

    def unknown_keys(self, raw: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in raw:
            if key not in allowed:
                near = difflib.get_close_matches(str(key), allowed, n=1)
                fix = f"did you mean `{near[0]}`?" if near else f"allowed keys: {', '.join(allowed)}"
                self.problem(str(key), "unknown key", fix)

    def metadata(self, raw: Mapping[str, Any], kind: str) -> MetadataSpec:
        what = "the Pendo parent account id" if kind == "parentAccount" else f"the Pendo {kind} id"
        id_column = self.column(raw, "id_column", required=True, what=what)
        fields = self.field_mappings(raw.get("fields"))
        return MetadataSpec(
            model=self.model,
            kind=kind,
            id_column=id_column or "",
            fields=fields,
            nulls=self.choice(raw, "nulls", ("skip", "clear")),
            missing=self.choice(raw, "missing", ("skip", "create")),
            create_agent_fields=self.boolean(raw, "create_agent_fields", False),
            batch_size=self.positive_int(raw, "batch_size"),
            batch_bytes=self.positive_int(raw, "batch_bytes"),
        )

    def event(self, raw: Mapping[str, Any]) -> EventSpec:
        event_id = self.column(raw, "event_id_column", required=True, what="the unique event id")
        visitor = self.column(raw, "visitor_id_column", required=True, what="the Pendo visitor id")
        timestamp = self.column(raw, "timestamp_column", required=True, what="when the event happened")
        account = self.column(raw, "account_id_column", required=False, what="the Pendo account id")
        name_column = self.column(raw, "event_name_column", required=False, what="the event name")
        name = raw.get("event_name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            self.problem("event_name", "must be a non-empty string", "write the event name, e.g. `Signed Up`")
        if (name_column is None) == (name is None):
            self.problem(
                "event_name_column",
                "exactly one of event_name_column and event_name is needed",
                "set `event_name_column:` to a column, or `event_name:` to one literal name for every row",
            )
        if account is None:
            self.warnings.append(
                f"{self.model.name}: meta.pendo.account_id_column is not set; Pendo strongly recommends "
                "an account id on every Track event"
            )
        backfill, window = self.backfill(raw.get("backfill", True))
        return EventSpec(
            model=self.model,
            event_id_column=event_id or "",
            visitor_id_column=visitor or "",
            timestamp_column=timestamp or "",
            event_name_column=name_column,
            event_name=name if isinstance(name, str) else None,
            account_id_column=account,
            properties=self.properties(raw.get("properties")),
            context=self.context(raw.get("context")),
            backfill=backfill,
            backfill_window=window,
        )

    def backfill(self, raw: Any) -> tuple[bool, BackfillWindow | None]:
        """`backfill: true|false`, or a window: `{since: <date or timestamp>}` or `{days: N}`."""
        fix = 'write `backfill: true`, `backfill: false`, `backfill: {days: 30}` or `backfill: {since: "2026-01-01"}`'
        if isinstance(raw, bool):
            return raw, None
        if not isinstance(raw, Mapping):
            self.problem("backfill", f"must be true, false or a window, got {raw!r}", fix)
            return True, None
        return True, self.backfill_window(raw, fix)

    def backfill_window(self, raw: Mapping[str, Any], fix: str) -> BackfillWindow | None:
        for key in raw:
            if key not in ("since", "days"):
                near = difflib.get_close_matches(str(key), ("since", "days"), n=1)
                self.problem(f"backfill.{key}", "unknown key", f"did you mean `{near[0]}`?" if near else fix)
        if ("since" in raw) == ("days" in raw):
            self.problem("backfill", "needs exactly one of `since` and `days`", fix)
            return None
        if "days" in raw:
            days = raw["days"]
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                self.problem("backfill.days", f"must be a positive whole number, got {days!r}", fix)
                return None
            return BackfillWindow(days=days)
        try:
            return BackfillWindow(since=parse_since(raw["since"]))
        except ValueError as exc:
            self.problem(
                "backfill.since",
                str(exc),
                'write a date or a timestamp in quotes: `since: "2026-01-01"` or '
                '`since: "2026-01-01T00:00:00Z"` (a time without an offset is UTC)',
            )
            return None

    def segment(self, raw: Mapping[str, Any]) -> SegmentSpec:
        visitor = self.column(raw, "visitor_id_column", required=True, what="the Pendo visitor id")
        segment_id = raw.get("segment_id")
        if (
            isinstance(segment_id, bool)
            or not isinstance(segment_id, (str, int))
            or not str(segment_id).strip()
        ):
            self.problem(
                "segment_id",
                f"must be the id of a Pendo segment, got {_type_name(segment_id)}",
                'set `segment_id: "<id>"`, quoted; the id is the last part of the segment\'s URL in Pendo',
            )
            segment_id = ""
        return SegmentSpec(self.model, str(segment_id).strip(), visitor or "")

    def column(self, raw: Mapping[str, Any], key: str, *, required: bool, what: str) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(key, "is required", f"set `{key}:` to the model column holding {what}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(key, f"must be a column name, got {_type_name(value)}", f"set `{key}:` to a column")
            return None
        return value

    def field_mappings(self, raw: Any) -> tuple[FieldMapping, ...]:
        fix = "write `fields: {agent: {pendo_field: column}, custom: {pendo_field: column}}`"
        if not isinstance(raw, Mapping) or not raw:
            self.problem("fields", f"must be a non-empty mapping of groups, got {_type_name(raw)}", fix)
            return ()
        mappings: list[FieldMapping] = []
        for group, fields in raw.items():
            if group not in GROUPS:
                self.problem(
                    f"fields.{group}",
                    "unknown Pendo group",
                    "use `agent` or `custom` (other groups, e.g. salesforce, are not writable)",
                )
                continue
            if not isinstance(fields, Mapping) or not fields:
                self.problem(
                    f"fields.{group}", f"must map Pendo field -> column, got {_type_name(fields)}", fix
                )
                continue
            seen: dict[str, str] = {}
            for name, column in fields.items():
                key = f"fields.{group}.{name}"
                if self.pendo_name(key, str(name), limit=None):
                    lowered = str(name).lower()
                    if lowered in seen:
                        self.problem(
                            key,
                            f"Pendo stores field names lowercased, so this is the same field as '{seen[lowered]}'",
                            "map each Pendo field once",
                        )
                    seen[lowered] = str(name)
                if not isinstance(column, str) or not column.strip():
                    self.problem(key, f"must name a model column, got {_type_name(column)}", fix)
                    continue
                mappings.append(FieldMapping(group, str(name), column))
        return tuple(mappings)

    def properties(self, raw: Any) -> tuple[tuple[str, str], ...]:
        if raw is None:
            return ()
        fix = "write `properties: {plan: plan_column}` or `properties: [plan, amount]`"
        if isinstance(raw, list):
            entries = [(str(c), c, f"properties[{i}]") for i, c in enumerate(raw)]
        elif isinstance(raw, Mapping):
            entries = [(str(k), c, f"properties.{k}") for k, c in raw.items()]
        else:
            self.problem(
                "properties",
                f"must be a mapping property -> column or a list of columns, got {_type_name(raw)}",
                fix,
            )
            return ()
        pairs = []
        for name, column, key in entries:
            if not isinstance(column, str) or not column.strip():
                self.problem(key, f"must name a model column, got {_type_name(column)}", fix)
            elif self.pendo_name(key, name, limit=_PROPERTY_MAX):
                pairs.append((name, column))
        return tuple(pairs)

    def context(self, raw: Any) -> tuple[tuple[str, str], ...]:
        if raw is None:
            return ()
        fix = "write `context: {ip: col, user_agent: col, url: col, title: col}`"
        if not isinstance(raw, Mapping):
            self.problem("context", f"must be a mapping, got {_type_name(raw)}", fix)
            return ()
        pairs = []
        for key, column in raw.items():
            pendo_key = _CONTEXT_KEYS.get(str(key).lower())
            if pendo_key is None:
                self.problem(f"context.{key}", "unknown context key", fix)
            elif not isinstance(column, str) or not column.strip():
                self.problem(f"context.{key}", f"must name a model column, got {_type_name(column)}", fix)
            else:
                pairs.append((pendo_key, column))
        return tuple(pairs)

    def pendo_name(self, key: str, name: str, *, limit: int | None) -> bool:
        ok = bool(_PENDO_NAME.match(name)) and (limit is None or len(name) <= limit)
        if ok and name.startswith("__") and name.endswith("__"):
            ok = False
        if not ok:
            length = f", at most {limit} characters" if limit else ""
            self.problem(
                key,
                f"'{name}' breaks Pendo's naming rules",
                f"use letters, digits and underscores, not starting with a digit{length}",
            )
        return ok

    def choice(self, raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
        value = raw.get(key, allowed[0])
        if value not in allowed:
            yaml = (
                " (YAML reads an unquoted yes/no/on/off/true/false as a boolean)"
                if isinstance(value, bool)
                else ""
            )
            self.problem(key, f"unknown value {value!r}{yaml}", f"use one of: {', '.join(allowed)}")
            return allowed[0]
        return str(value)

    def boolean(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.problem(
                key, f"must be true or false, got {value!r}", f"write `{key}: true` or `{key}: false`"
            )
            return default
        return value

    def positive_int(self, raw: Mapping[str, Any], key: str) -> int | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(key, f"must be a positive whole number, got {value!r}", f"e.g. `{key}: 1000`")
            return None
        return int(value)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
