"""A local Pendo API emulator, so tests and demos run without a Pendo subscription.

It implements the emulator contract derived from Pendo's public docs; where Pendo's behaviour is unknown,
a knob (`unknown_field`) lets tests switch between the plausible behaviours. Field types are enforced
strictly, by JSON type (see `_type_problem`), so a client that sends what the schema says is the only
kind that passes. Standard library only, so the CLI runs it wherever the package installs. Each request
is handled whole under one lock, so every answer reflects one consistent snapshot of the state.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from pendo_sync.pendo.faults import STATUS_BODIES, FaultPlan, corrupt, parse_faults
from pendo_sync.pendo.limits import KNOBS, Limits

if TYPE_CHECKING:
    from collections.abc import Iterator

KINDS = ("visitor", "account", "parentAccount")
WRITABLE_GROUPS = ("agent", "custom")
UNKNOWN_FIELD_MODES = ("accept", "reject400", "error")
CREATABLE_TYPES = ("string", "number", "time", "boolean")
SCHEMA_TYPES = ("string", "boolean", "number", "integer", "float", "time", "list", "")
# A parent account entry names its id as accounts do: Pendo documents no parentAccount body ([G]).
ID_KEYS = {"visitor": "visitorId", "account": "accountId", "parentAccount": "accountId"}
SEGMENT_OPS = ("add", "remove")
SEGMENT_MAX_VISITORS = 1000
KEY_HEADER = "x-pendo-integration-key"
BASE64_HEADER = "x-pendo-base64-encoded-params"

AGGREGATION_ROW_CAP = 5000
_FILTER_TERM = re.compile(r'\s*(\w+)\s*==\s*("(?:[^"\\]|\\.)*")\s*(\|\||$)')
_MISSING = "missing"  # _apply_row's answer for an unknown id; compared by identity
_SEG = r"([^/]+)"
_BULK_PATH = re.compile(rf"/api/v1/metadata/{_SEG}/{_SEG}/value")
_SEGMENT_PATH = re.compile(rf"/api/v1/segment/{_SEG}/visitor")

Record = dict[str, dict[str, Any]]
Schema = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class _Request:
    method: str
    path: str  # raw, still percent-encoded: ids may contain an encoded "/"
    query: str
    headers: dict[str, str]  # lower-cased names: Pendo clients send the key header in any case
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain"


class _Abort(Exception):
    """Raised by validation deep in a handler to answer at once with `response`."""

    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


def _json(status: int, obj: Any) -> _Response:
    return _Response(status, json.dumps(obj).encode(), "application/json")


def _bad(message: str) -> _Abort:
    return _Abort(_json(400, {"error": message}))


_FLAGS = ("Dirty", "isHidden", "isDeleted", "isCalculated", "isPerApp", "neverIndex")


def _descriptor(display_name: str, type_name: str) -> dict[str, Any]:
    """A field descriptor shaped like Pendo's schema entries, which clients read by these exact keys."""
    base = {"Type": type_name, "DisplayName": display_name, "ElementType": "", "ElementFormat": ""}
    return {**base, **dict.fromkeys(_FLAGS, False)}


def _default_schema() -> dict[str, Schema]:
    auto = {name: _descriptor(name, "time") for name in ("lastvisit", "firstvisit")}
    return {kind: {"auto": copy.deepcopy(auto), "agent": {}, "custom": {}} for kind in KINDS}


@dataclass
class _State:
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    schema: dict[str, Schema] = field(default_factory=_default_schema)
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    sorted_ids: dict[str, list[str]] = field(default_factory=dict)  # by kind, for paged aggregations
    segments: dict[str, set[str]] = field(default_factory=dict)  # segment id -> its visitor ids


def _infer_type(value: Any) -> str:
    """Schema type for a value written to an unknown field; bool first, as it is an int subclass."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    for py_type, name in ((float, "float"), (str, "string"), (list, "list")):
        if isinstance(value, py_type):
            return name
    return ""


# What a value of each schema type must be in JSON. `time` is epoch milliseconds, so an integer.
_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "time": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
}


def _type_problem(name: str, type_name: str, value: Any) -> str | None:
    """Why `value` cannot go into field `name` of `type_name`, or None; null (clear) fits every type."""
    accepts = _ACCEPTS.get(type_name)
    if value is None or accepts is None or accepts(value):
        return None
    return f"field '{name}' is of type {type_name}, got {json.dumps(value)[:60]}"


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _json_body(req: _Request) -> Any:
    try:
        return json.loads(req.body)
    except ValueError:
        raise _bad("body is not valid JSON") from None


def _kind(raw: str, parent_accounts: bool) -> str:
    """A metadata kind; parentAccount only where the subscription has parent accounts (404 otherwise:
    what Pendo answers for a subscription without them is not documented)."""
    kind = unquote(raw)
    if kind == "parentAccount" and not parent_accounts:
        raise _Abort(_Response(404))
    if kind not in KINDS:
        raise _bad(f"unknown kind '{kind}'")
    return kind


def _parse_patch(body: Any) -> list[tuple[str, list[str]]]:
    """A segment PATCH body, validated whole before the segment changes."""
    patch = body.get("patch") if isinstance(body, dict) else None
    if not isinstance(patch, list) or not patch:
        raise _bad("body must be an object with a non-empty patch list")
    operations = []
    for i, op in enumerate(patch):
        if not isinstance(op, dict) or op.get("op") not in SEGMENT_OPS or op.get("path") != "/visitors":
            raise _bad(f'patch {i}: op must be add or remove, with path "/visitors"')
        value = op.get("value")
        if not isinstance(value, list) or not all(_nonempty_str(v) for v in value):
            raise _bad(f"patch {i}: value must be a list of visitor ids")
        operations.append((str(op["op"]), [str(v) for v in value]))
    if sum(len(ids) for _, ids in operations) > SEGMENT_MAX_VISITORS:
        raise _bad(f"at most {SEGMENT_MAX_VISITORS} visitors per request")
    return operations


def _writable_group(raw: str) -> str:
    group = unquote(raw)
    if group not in WRITABLE_GROUPS:
        raise _Abort(_Response(400, b"group not writable"))
    return group


def _record_id(req: _Request, raw: str) -> str:
    """The id from a path segment: percent-encoded, or base64url when the client says so (as Pendo allows)."""
    text = unquote(raw)
    if req.header(BASE64_HEADER).lower() != "true":
        return text
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except ValueError:
        raise _bad("id is not valid base64url") from None


def _parse_rows(body: Any, id_key: str) -> list[tuple[str, dict[str, Any]]]:
    """Validate a whole bulk body before touching state, so a malformed request changes nothing."""
    if not isinstance(body, list):
        raise _bad("body must be a JSON array")
    rows = []
    for i, element in enumerate(body):
        if not isinstance(element, dict) or not _nonempty_str(element.get(id_key)):
            raise _bad(f"element {i}: {id_key} must be a non-empty string")
        if not isinstance(element.get("values"), dict):
            raise _bad(f"element {i}: values must be an object")
        rows.append((element[id_key], element["values"]))
    return rows


def _parse_field_specs(body: Any) -> list[tuple[str, str, str]]:
    if not isinstance(body, list):
        raise _bad("body must be a JSON array")
    specs = []
    for i, spec in enumerate(body):
        if not isinstance(spec, dict) or not _nonempty_str(spec.get("name")):
            raise _bad(f"element {i}: name must be a non-empty string")
        if spec.get("type") not in CREATABLE_TYPES:
            raise _bad(f"element {i}: type must be one of {', '.join(CREATABLE_TYPES)}")
        display = spec.get("displayname")
        name, type_name = str(spec["name"]), str(spec["type"])
        specs.append((name, display if isinstance(display, str) and display else name, type_name))
    return specs


def _track_problem(event: Any) -> str | None:
    """What is wrong with a track body, or None; Pendo documents the required fields but no error format."""
    if not isinstance(event, dict):
        return "body must be a JSON object"
    if event.get("type") != "track":
        return 'type must be "track"'
    for key in ("event", "visitorId"):
        if not _nonempty_str(event.get(key)):
            return f"{key} must be a non-empty string"
    timestamp = event.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        return "timestamp must be an integer (epoch milliseconds)"
    for key in ("properties", "context"):
        if key in event and not isinstance(event[key], dict):
            return f"{key} must be an object"
    if "accountId" in event and not isinstance(event["accountId"], str):
        return "accountId must be a string"
    return None


def _filter_ids(expression: Any, id_key: str) -> set[str]:
    """The ids of `<id> == "a" || <id> == "b"`, the one filter shape the emulator reads."""
    if not isinstance(expression, str):
        raise _bad("filter must be an expression string")
    ids, at = set(), 0
    while at < len(expression):
        match = _FILTER_TERM.match(expression, at)
        if match is None or match.group(1) != id_key:
            raise _bad(f'the emulator filters only by {id_key} == "..." terms joined by ||')
        ids.add(json.loads(match.group(2)))
        at = match.end()
    return ids


def _read_path(record: Record, record_id: str, path: str, kind: str) -> Any:
    """A selected path of a record: its id, or `metadata.<group>.<field>` (null when never set)."""
    if path == ID_KEYS[kind]:
        return record_id
    parts = path.split(".")
    if len(parts) != 3 or parts[0] != "metadata":
        raise _bad(f"select path '{path}' is not emulated (use {ID_KEYS[kind]} or metadata.<group>.<field>)")
    values = record.get(parts[1], {})
    wanted = parts[2].lower()
    return copy.deepcopy(next((v for k, v in values.items() if k.lower() == wanted), None))


def _seed_records(entries: Any, key: str) -> list[tuple[str, Record]]:
    if not isinstance(entries, list):
        raise ValueError(f"seed '{key}' must be a list")
    records = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, dict) or not _nonempty_str(entry.get("id")):
            raise ValueError(f"seed '{key}': each entry needs a non-empty string id")
        groups = {group: entry.get(group) or {} for group in WRITABLE_GROUPS}
        if not all(isinstance(values, dict) for values in groups.values()):
            raise ValueError(f"seed '{key}': agent and custom must be objects")
        records.append((entry["id"], copy.deepcopy(groups)))
    return records


def _seed_schema(schema: Any) -> list[tuple[str, str, str, str]]:
    if not isinstance(schema, dict) or not set(schema) <= set(KINDS):
        raise ValueError(f"seed 'schema' must map {' / '.join(KINDS)} to groups")
    fields = []
    for kind, groups in schema.items():
        if not isinstance(groups, dict) or not all(isinstance(names, dict) for names in groups.values()):
            raise ValueError(f"seed schema {kind}: must map groups to {{field: type}} objects")
        for group, names in groups.items():
            for name, type_name in names.items():
                if type_name not in SCHEMA_TYPES:
                    raise ValueError(f"seed schema {kind}.{group}.{name}: unknown type {type_name!r}")
                fields.append((kind, group, name, type_name))
    return fields


def _seed_segments(segments: Any) -> dict[str, list[str]]:
    """`{"<segment id>": ["visitor id", ...]}`: segments that exist, with their members."""
    if not isinstance(segments, dict) or not all(
        isinstance(ids, list) and all(_nonempty_str(i) for i in ids) for ids in segments.values()
    ):
        raise ValueError("seed 'segments' must map segment ids to lists of visitor ids")
    return {str(k): list(v) for k, v in segments.items()}


_RouteFn = Callable[["Emulator", _Request, tuple[str, ...]], _Response]


class Emulator:
    """Pendo's v1 metadata API and the track endpoint, in memory, over real HTTP on a local port."""

    def __init__(
        self, integration_key: str, track_secret: str = "", host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.integration_key = integration_key
        self.track_secret = track_secret
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)  # notified at each request logged
        self._state = _State()
        self.faults = FaultPlan()
        self.limits = Limits()  # per-endpoint rate limit and latency (limits.py)
        self._unknown_field = "accept"
        # pendo-api.md leaves the shape of `errors` entries open: with this, each is the bare message, naming
        # no row, as some of Pendo's answers are reported to be
        self.bare_errors = False
        # Most rows one aggregation may return: a call over it fails, as one over Pendo's 5-minute cap does,
        # so a client must page (tests lower it to exercise paging)
        self.aggregation_row_cap = AGGREGATION_ROW_CAP
        self.parent_accounts = (
            False  # the subscription has parent accounts (also set by seeding their schema)
        )
        self.peak_in_flight = 0  # most requests it was answering at once: what a client really had in flight
        self._in_flight = 0
        self._flight_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around one request, from its arrival to its answer: counts `peak_in_flight`."""
        with self._flight_lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._flight_lock:
                self._in_flight -= 1

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> Emulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = _Server((self.host, self.port), self)
        # A short poll interval keeps stop() fast; tests start and stop one emulator per test.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Block until stop() or Ctrl-C; the loop runs in start()'s daemon thread, so stop() works either way."""
        if self._thread is None:
            self.start()
        thread = self._thread
        try:
            while thread is not None and thread.is_alive():
                thread.join(0.5)  # a timed join stays interruptible by Ctrl-C on every platform
        finally:
            self.stop()

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- inspection and setup from Python ------------------------------------------------------------------

    @property
    def unknown_field(self) -> str:
        return self._unknown_field

    @unknown_field.setter
    def unknown_field(self, mode: str) -> None:
        if mode not in UNKNOWN_FIELD_MODES:
            raise ValueError(f"unknown_field must be one of {', '.join(UNKNOWN_FIELD_MODES)}, not {mode!r}")
        self._unknown_field = mode

    @property
    def requests_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._state.requests)

    @property
    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._state.events)

    def record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._state.records.get(kind, {}).get(record_id))

    def set_value(self, kind: str, record_id: str, group: str, name: str, value: Any) -> None:
        """Test-only: change (None: clear) a stored value behind the client's back, as an edit in Pendo's
        UI or another integration would, so drift can be tested end to end. No schema check."""
        with self._lock:
            self._store(self._state.records[kind][record_id][group], name, value)

    def drop_record(self, kind: str, record_id: str) -> None:
        """Test-only: Pendo no longer has this record."""
        with self._lock:
            del self._state.records[kind][record_id]
            self._state.sorted_ids.pop(kind, None)

    def segment(self, segment_id: str) -> set[str] | None:
        """The visitor ids of a segment, or None when it does not exist."""
        with self._lock:
            members = self._state.segments.get(segment_id)
            return None if members is None else set(members)

    def seed(self, data: dict[str, Any]) -> None:
        """Add schema fields and records (replacing same-id records). Raises ValueError on a bad format."""
        with self._lock:
            self._apply_seed(data)

    def _apply_seed(self, data: Any) -> None:
        allowed = {"visitors", "accounts", "parent_accounts", "schema", "segments"}
        if not isinstance(data, dict) or not set(data) <= allowed:
            raise ValueError(f"seed must be an object with optional {', '.join(sorted(allowed))}")
        fields = _seed_schema(data.get("schema") or {})
        segments = _seed_segments(data.get("segments") or {})
        records = [("visitor", r) for r in _seed_records(data.get("visitors") or [], "visitors")]
        records += [("account", r) for r in _seed_records(data.get("accounts") or [], "accounts")]
        parents = _seed_records(data.get("parent_accounts") or [], "parent_accounts")
        records += [("parentAccount", r) for r in parents]
        if parents or "parentAccount" in (data.get("schema") or {}):
            self.parent_accounts = True
        for segment_id, members in segments.items():
            self._state.segments.setdefault(segment_id, set()).update(members)
        for kind, group, name, type_name in fields:
            self._state.schema[kind].setdefault(group, {})[name] = _descriptor(name, type_name)
        for kind, (record_id, groups) in records:
            for group, values in groups.items():
                self._learn_fields(kind, group, values)
            self._state.records[kind][record_id] = groups
            self._state.sorted_ids.pop(kind, None)

    def _learn_fields(self, kind: str, group: str, values: dict[str, Any]) -> None:
        """Add fields not yet in the schema, typed from their values, so the schema shows what was written."""
        schema = self._state.schema[kind][group]
        for name, value in values.items():
            if name not in schema and value is not None:
                schema[name] = _descriptor(name, _infer_type(value))

    # -- dispatch ---------------------------------------------------------------------------------------

    def _handle(self, req: _Request) -> _Response:
        """Answer one request; the only place routing, auth, logging and the catch-all 500 happen."""
        with self._lock:
            try:
                response = self._dispatch(req)
            except Exception as exc:  # a bug must answer 500, not kill the connection thread
                response = _Response(500, f"internal emulator error: {type(exc).__name__}".encode())
            self._log(req, response.status)
        return response

    def _log_faulted(self, req: _Request, status: int | None) -> None:
        """Log a request a fault answered (or dropped unanswered: `status` None) in Pendo's place, so the
        log counts every request a client made."""
        with self._lock:
            self._log(req, status)

    def _log(self, req: _Request, status: int | None) -> None:
        if req.path.startswith("/api/v1/") or req.path == "/data/track":
            self._state.requests.append(self._log_entry(req, status))
            self._answered.notify_all()

    def hold_until(self, prefix: str, seconds: float) -> bool:
        """Wait until a request to a path starting with `prefix` has been answered (is in the log), at
        most `seconds`; whether one was."""
        with self._lock:
            return self._answered.wait_for(
                lambda: any(r["path"].startswith(prefix) for r in self._state.requests), timeout=seconds
            )

    def _dispatch(self, req: _Request) -> _Response:
        if not self._authorized(req):
            return _Response(403)
        path_known = False
        for method, pattern, handler in _ROUTES:
            match = pattern.fullmatch(req.path)
            if match is None:
                continue
            path_known = True
            if method == req.method:
                try:
                    return handler(self, req, match.groups())
                except _Abort as abort:
                    return abort.response
        return _Response(405 if path_known else 404)

    def _authorized(self, req: _Request) -> bool:
        """The v1 API takes the integration key; /data/track takes the separate track secret instead."""
        sent = req.header(KEY_HEADER)
        if req.path.startswith("/api/v1/"):
            return sent == self.integration_key
        if req.path == "/data/track":
            return self.track_secret != "" and sent == self.track_secret
        return True

    @staticmethod
    def _log_entry(req: _Request, status: int | None) -> dict[str, Any]:
        rows = 0
        if req.method == "POST" and req.path == "/data/track":
            rows = 1
        elif req.method == "POST" and _BULK_PATH.fullmatch(req.path):
            try:
                body = json.loads(req.body)
            except ValueError:
                body = None
            rows = len(body) if isinstance(body, list) else 0
        elif req.method == "PATCH" and _SEGMENT_PATH.fullmatch(req.path):
            try:
                rows = sum(len(op[1]) for op in _parse_patch(json.loads(req.body)))
            except (ValueError, _Abort):
                rows = 0
        return {
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "status": status,
            "rows": rows,
        }

    # -- Pendo endpoints --------------------------------------------------------------------------------

    def _verify(self, req: _Request, params: tuple[str, ...]) -> _Response:
        return _json(200, {"valid": True, "writeAccess": True})

    def _get_schema(self, req: _Request, params: tuple[str, ...]) -> _Response:
        return _json(200, self._state.schema[_kind(params[0], self.parent_accounts)])

    def _create_fields(self, req: _Request, params: tuple[str, ...]) -> _Response:
        kind, group = _kind(params[0], self.parent_accounts), _writable_group(params[1])
        for name, display_name, type_name in _parse_field_specs(_json_body(req)):
            self._state.schema[kind][group][name.lower()] = _descriptor(display_name, type_name)
        return _json(200, {})

    def _delete_field(self, req: _Request, params: tuple[str, ...]) -> _Response:
        """Records keep their values of the field: what Pendo does with them is not documented."""
        kind, group = _kind(params[0], self.parent_accounts), _writable_group(params[1])
        if self._state.schema[kind][group].pop(unquote(params[2]), None) is None:
            return _Response(404)
        return _json(200, {})

    def _bulk_update(self, req: _Request, params: tuple[str, ...]) -> _Response:
        kind, group = _kind(params[0], self.parent_accounts), _writable_group(params[1])
        rows = _parse_rows(_json_body(req), ID_KEYS[kind])
        create = parse_qs(req.query).get("create", [""])[-1].lower() == "true"
        schema = self._state.schema[kind][group]
        unknown = sorted({name for _, values in rows for name in values if name not in schema})
        if unknown and self._unknown_field == "reject400":
            raise _bad(f"unknown field(s): {', '.join(unknown)}")
        missing: list[str] = []
        errors: list[Any] = []
        for record_id, values in rows:
            problem = self._apply_row(kind, group, record_id, values, create)
            if problem is _MISSING:
                missing.append(record_id)
            elif problem is not None:
                errors.append(problem if self.bare_errors else {ID_KEYS[kind]: record_id, "error": problem})
        failed = len(missing) + len(errors)
        result = {"total": len(rows), "updated": len(rows) - failed, "failed": failed}
        return _json(200, {**result, "missing": missing, "errors": errors})

    def _apply_row(
        self, kind: str, group: str, record_id: str, values: dict[str, Any], create: bool
    ) -> str | None:
        """Store one row's values; returns _MISSING, an error message, or None when stored."""
        records = self._state.records[kind]
        if record_id not in records and not create:
            return _MISSING
        schema = self._state.schema[kind][group]
        unknown = [name for name in values if name not in schema]
        if unknown and self._unknown_field == "error":
            return "unknown field " + ", ".join(f"'{name}'" for name in unknown)
        mistyped = [self._mistyped(schema, name, value) for name, value in values.items()]
        if any(mistyped):
            return "; ".join(p for p in mistyped if p)
        if record_id not in records:
            self._state.sorted_ids.pop(kind, None)
        record = records.setdefault(record_id, {"agent": {}, "custom": {}})
        self._learn_fields(kind, group, values)
        for name, value in values.items():
            self._store(record[group], name, value)
        return None

    @staticmethod
    def _mistyped(schema: dict[str, Any], name: str, value: Any) -> str | None:
        descriptor = schema.get(name)
        return None if descriptor is None else _type_problem(name, descriptor["Type"], value)

    @staticmethod
    def _store(values: dict[str, Any], name: str, value: Any) -> None:
        """A JSON null clears the field, as it does in Pendo."""
        if value is None:
            values.pop(name, None)
        else:
            values[name] = copy.deepcopy(value)

    def _patch_segment(self, req: _Request, params: tuple[str, ...]) -> _Response:
        """Membership only: a visitor added need not exist, and removing one never deletes it."""
        members = self._state.segments.get(unquote(params[0]))
        if members is None:
            return _Response(404)
        operations = _parse_patch(_json_body(req))
        for op, ids in operations:
            if op == "add":
                members.update(ids)
            else:
                members.difference_update(ids)
        return _json(
            200,
            {"multistatus": [{"status": 200, "message": "ok", "operation": op} for op, _ in operations]},
        )

    def _list_segments(self, req: _Request, params: tuple[str, ...]) -> _Response:
        return _json(200, {"segments": {k: sorted(v) for k, v in self._state.segments.items()}})

    def _get_record(self, req: _Request, params: tuple[str, ...]) -> _Response:
        kind, record_id = params[0], _record_id(req, params[1])
        record = self._state.records[kind].get(record_id)
        if record is None:
            return _Response(404)
        metadata = {**record, "auto": {"id": record_id}}
        return _json(200, {"id": record_id, ID_KEYS[kind]: record_id, "metadata": metadata})

    def _get_value(self, req: _Request, params: tuple[str, ...]) -> _Response:
        kind, group = _kind(params[0], self.parent_accounts), _writable_group(params[1])
        record = self._state.records[kind].get(_record_id(req, params[2]))
        name = unquote(params[3])
        if record is None or name not in record[group]:
            return _Response(404)
        return _json(200, record[group][name])

    def _put_value(self, req: _Request, params: tuple[str, ...]) -> _Response:
        kind, group = _kind(params[0], self.parent_accounts), _writable_group(params[1])
        record = self._state.records[kind].get(_record_id(req, params[2]))
        name, value = unquote(params[3]), _json_body(req)
        if record is None:
            return _Response(404)
        schema = self._state.schema[kind][group]
        if name not in schema and self._unknown_field != "accept":
            raise _bad(f"unknown field(s): {name}")
        problem = self._mistyped(schema, name, value)
        if problem:
            raise _bad(problem)
        self._learn_fields(kind, group, {name: value})
        self._store(record[group], name, value)
        return _Response(200)

    def _aggregate(self, req: _Request, params: tuple[str, ...]) -> _Response:
        """The subset of `POST /api/v1/aggregation` pendo-dbt reads with: a visitors or accounts source,
        `identified`, a `filter` of `<id> == "..."` terms joined by `||`, `select` of the id and
        `metadata.<group>.<field>` (names matched lowercased; unset reads null), `sort` by id, `skip`,
        `limit`. Anything else is a 400, so a client cannot come to rely on more than this."""
        body = _json_body(req)
        pipeline = body.get("request", {}).get("pipeline") if isinstance(body, dict) else None
        if not isinstance(pipeline, list) or not pipeline or not isinstance(pipeline[0], dict):
            raise _bad("request.pipeline must be a list of stages starting with a source")
        source = pipeline[0].get("source")
        kind = {"visitors": "visitor", "accounts": "account"}.get(next(iter(source or {}), ""))
        if kind is None:
            raise _bad("the first stage must be {source: {visitors: null}} or {source: {accounts: null}}")
        records = self._state.records[kind]
        ids: list[str] | None = None  # None: every record, unsorted
        select: dict[str, str] | None = None
        skip, limit = 0, None
        for stage in pipeline[1:]:
            if not isinstance(stage, dict) or len(stage) != 1:
                raise _bad("each stage must be an object with one key")
            name, value = next(iter(stage.items()))
            if name == "identified":
                continue
            if name == "filter":
                wanted = _filter_ids(value, ID_KEYS[kind])
                ids = [i for i in (ids if ids is not None else wanted) if i in records and i in wanted]
            elif name == "select":
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise _bad("select must map names to paths")
                select = value
            elif name == "sort":
                if value != [ID_KEYS[kind]]:
                    raise _bad(f"the emulator sorts by [{ID_KEYS[kind]!r}] only")
                ids = sorted(ids) if ids is not None else self._sorted_ids(kind)
            elif name in ("skip", "limit"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise _bad(f"{name} must be a whole number")
                if name == "skip":
                    skip = value
                else:
                    limit = value
            else:
                raise _bad(f"stage '{name}' is not emulated")
        chosen = list(records) if ids is None else ids
        chosen = chosen[skip : None if limit is None else skip + limit]
        if len(chosen) > self.aggregation_row_cap:
            raise _bad(
                f"aggregation over {self.aggregation_row_cap} rows in one call: page with sort, skip and limit"
            )
        paths = select or {ID_KEYS[kind]: ID_KEYS[kind]}
        rows = [{out: _read_path(records[i], i, path, kind) for out, path in paths.items()} for i in chosen]
        return _json(200, {"results": rows})

    def _sorted_ids(self, kind: str) -> list[str]:
        """Ids in order, sorted once until a record is added: paging a million records sorts once."""
        cached = self._state.sorted_ids.get(kind)
        if cached is None:
            cached = self._state.sorted_ids[kind] = sorted(self._state.records[kind])
        return cached

    def _track(self, req: _Request, params: tuple[str, ...]) -> _Response:
        event = _json_body(req)
        problem = _track_problem(event)
        if problem is not None:
            raise _bad(problem)
        self._state.events.append(event)
        return _Response(200)

    # -- emulator-only endpoints ------------------------------------------------------------------------

    def _list_requests(self, req: _Request, params: tuple[str, ...]) -> _Response:
        return _json(200, {"requests": self._state.requests})

    def _list_events(self, req: _Request, params: tuple[str, ...]) -> _Response:
        return _json(200, {"events": self._state.events})

    def _seed_endpoint(self, req: _Request, params: tuple[str, ...]) -> _Response:
        try:
            self._apply_seed(_json_body(req))
        except ValueError as exc:
            raise _bad(str(exc)) from None
        return _json(200, {})

    def _reset(self, req: _Request, params: tuple[str, ...]) -> _Response:
        """Forget all data; knobs such as unknown_field are kept (set them with /_emulator/settings)."""
        self._state = _State()
        return _json(200, {})

    def _settings(self, req: _Request, params: tuple[str, ...]) -> _Response:
        body = _json_body(req)
        allowed = {"unknown_field", "bare_errors", "aggregation_row_cap", "parent_accounts", *KNOBS}
        if not isinstance(body, dict) or not set(body) <= allowed:
            raise _bad(
                "settings must be an object with optional unknown_field, bare_errors, aggregation_row_cap, "
                "parent_accounts, " + ", ".join(KNOBS)
            )
        cap = body.get("aggregation_row_cap", self.aggregation_row_cap)
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise _bad("aggregation_row_cap must be a whole number of at least 1")
        try:
            self.limits.configure({k: v for k, v in body.items() if k in KNOBS})
        except ValueError as exc:
            raise _bad(str(exc)) from None
        self.aggregation_row_cap = cap
        if "parent_accounts" in body:
            if not isinstance(body["parent_accounts"], bool):
                raise _bad("parent_accounts must be true or false")
            self.parent_accounts = body["parent_accounts"]
        if "bare_errors" in body:
            if not isinstance(body["bare_errors"], bool):
                raise _bad("bare_errors must be true or false")
            self.bare_errors = body["bare_errors"]
        if "unknown_field" in body:
            try:
                self.unknown_field = body["unknown_field"]
            except ValueError as exc:
                raise _bad(str(exc)) from None
        return _json(200, {})

    def _set_faults(self, req: _Request, params: tuple[str, ...]) -> _Response:
        """Body: {"faults": [rule, ...], "seed": 0} (rules in pendo_sync/pendo/faults.py); [] clears."""
        body = _json_body(req)
        if not isinstance(body, dict):
            raise _bad("faults must be an object {faults: [...], seed: n}")
        try:
            self.faults.set(parse_faults(body.get("faults", [])), body.get("seed"))
        except (TypeError, ValueError) as exc:
            raise _bad(str(exc)) from None
        return _json(200, {})

    def _get_faults(self, req: _Request, params: tuple[str, ...]) -> _Response:
        return _json(200, {"faults": self.faults.describe()})


_VALUE_PATH = rf"/api/v1/metadata/{_SEG}/{_SEG}/value/{_SEG}/{_SEG}"
_ROUTES: list[tuple[str, re.Pattern[str], _RouteFn]] = [
    ("GET", re.compile("/api/v1/token/verify"), Emulator._verify),
    ("GET", re.compile(rf"/api/v1/metadata/schema/{_SEG}"), Emulator._get_schema),
    ("POST", re.compile(rf"/api/v1/metadata/schema/{_SEG}/{_SEG}"), Emulator._create_fields),
    ("DELETE", re.compile(rf"/api/v1/metadata/schema/{_SEG}/{_SEG}/{_SEG}"), Emulator._delete_field),
    ("POST", _BULK_PATH, Emulator._bulk_update),
    ("GET", re.compile(_VALUE_PATH), Emulator._get_value),
    ("PUT", re.compile(_VALUE_PATH), Emulator._put_value),
    ("GET", re.compile(rf"/api/v1/(visitor|account)/{_SEG}"), Emulator._get_record),
    ("POST", re.compile("/api/v1/aggregation"), Emulator._aggregate),
    ("PATCH", _SEGMENT_PATH, Emulator._patch_segment),
    ("POST", re.compile("/data/track"), Emulator._track),
    ("GET", re.compile("/_emulator/requests"), Emulator._list_requests),
    ("GET", re.compile("/_emulator/events"), Emulator._list_events),
    ("GET", re.compile("/_emulator/segments"), Emulator._list_segments),
    ("POST", re.compile("/_emulator/seed"), Emulator._seed_endpoint),
    ("POST", re.compile("/_emulator/reset"), Emulator._reset),
    ("POST", re.compile("/_emulator/settings"), Emulator._settings),
    ("POST", re.compile("/_emulator/faults"), Emulator._set_faults),
    ("GET", re.compile("/_emulator/faults"), Emulator._get_faults),
]


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # idle keep-alive connections must not hold the process open
    block_on_close = False

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        if ":" in address[0]:  # an IPv6 address such as ::1
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into `_Request`s for the emulator; HTTP/1.1 so clients can keep connections alive."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, ~40 ms per answer
    timeout = 60  # drop idle keep-alive connections eventually

    def do_GET(self) -> None:
        emulator = self._emulator()
        with emulator.answering():
            self._answer(emulator)

    def _answer(self, emulator: Emulator) -> None:
        try:
            request = self._read()
        except Exception as exc:  # e.g. a bad Content-Length; the stream can't be trusted after it
            self.close_connection = True
            self._write(_Response(500, f"internal emulator error: {type(exc).__name__}".encode()))
            return
        if not request.path.startswith("/_emulator"):
            limits = emulator.limits
            if limits.latency:
                time.sleep(limits.latency)  # outside the emulator's lock: other requests go on meanwhile
            wait = limits.admit(f"{request.method} {request.path}")
            if wait is not None:
                emulator._log_faulted(request, 429)
                self._write(_Response(429, STATUS_BODIES[429], "text/plain"), limits.headers(wait))
                return
        fault = emulator.faults.pick(request.method, request.path)
        if fault is None:
            self._write(emulator._handle(request))
            return
        if fault.until:
            if emulator.hold_until(fault.until, fault.delay):  # other requests go on meanwhile
                emulator.faults.release(fault)
        elif fault.delay:
            time.sleep(fault.delay)  # outside the emulator's lock: other requests go on meanwhile
        if fault.drop == "before":
            emulator._log_faulted(request, None)
            self.close_connection = True  # Pendo never saw it: no answer at all
            return
        if fault.status is not None:
            emulator._log_faulted(request, fault.status)
            body = _echo(request) if fault.echo else fault.body()
            self._write(_Response(fault.status, body, "text/html"), fault.headers())
            return
        response = emulator._handle(request)
        if fault.drop == "after":
            self.close_connection = True  # applied, but the answer is lost on the way back
            return
        if fault.corrupt and response.status == 200:
            response = _Response(200, corrupt(response.body, fault.corrupt), response.content_type)
        self._write(response)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a per-request line would flood test and demo output."""

    def _emulator(self) -> Emulator:
        assert isinstance(self.server, _Server)
        return self.server.emulator

    def _read(self) -> _Request:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        target = self.path
        if not target.startswith("/"):  # absolute form, "http://data.pendo.io/data/track": path only
            parts = urlsplit(target)
            target = f"{parts.path}?{parts.query}"
        path, _, query = target.partition("#")[0].partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        return _Request(self.command, path, query, headers, body)

    def _write(self, response: _Response, headers: dict[str, str] | None = None) -> None:
        self.send_response(response.status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


def _echo(request: _Request) -> bytes:
    """The request as it arrived, headers and all: what a misconfigured proxy or debugging server sends back."""
    head = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    return f"{request.method} {request.path} HTTP/1.1\r\n{head}\r\n".encode() + request.body


def serve(host: str, port: int, integration_key: str, track_secret: str, seed_file: str | None) -> None:
    """Run the emulator in the foreground for `pendo-dbt emulator`, until Ctrl-C."""
    emulator = Emulator(integration_key, track_secret, host, port)
    if seed_file:
        with open(seed_file, encoding="utf-8") as handle:
            emulator.seed(json.load(handle))
    emulator.start()
    print(f"Pendo emulator listening on {emulator.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop it
        emulator.serve_forever()
