"""HTTP to Pendo: pooled kept-alive connections, retries paced per endpoint, and per-row outcomes.

Thread-safe for concurrent calls: the sync submits batches from a worker pool. Requests go through
urllib3 (pools.py: connections, proxy and CA bundle from the environment), which parses every answer and
retries as its `Retry` policy says (pacing.PendoRetry: 429/409 at the endpoint's pace, 408, 5xx, dropped
connections, answers it cannot read). urllib3, not `requests`: requests reads the body after urllib3's
retries are done, so a truncated or badly framed answer would fail its rows for the run instead of being
sent again (docs/decisions/0014). pacing.py paces each endpoint and gives up when Pendo stays unusable.
A bulk request Pendo rejects whole (400, 413), or answers with errors naming no row, is split in halves
until the bad rows are isolated, so one bad row costs only itself.
Errors name headers, never their values, so the key cannot leak through a message.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import quote

from urllib3.exceptions import HTTPError, MaxRetryError

from pendo_sync.errors import ConfigError, PendoAuthError, PendoError, UnknownSegmentError
from pendo_sync.pendo.aggregation import parse_results, request_body
from pendo_sync.pendo.excerpt import snippet
from pendo_sync.pendo.pacing import (
    AUTO_THREADS,
    AdaptiveLimiter,
    Health,
    PendoRetry,
    retry_policy,
)
from pendo_sync.pendo.pools import pool_manager
from pendo_sync.pendo.responses import UNATTRIBUTED, parse_bulk_response, parse_multistatus, row_outcome
from pendo_sync.pendo.schema import KindSchema, PendoField, parse_schema
from pendo_sync.pendo.segments import patch_body
from pendo_sync.pendo.statuses import FATAL, RETRY_STATUSES, kind_of
from pendo_sync.row_outcome import FAILED, RowOutcome

if TYPE_CHECKING:
    from collections.abc import Sequence

    import urllib3

    from pendo_sync.payloads import Body
    from pendo_sync.settings import PendoSettings, Secret

KEY_HEADER = "x-pendo-integration-key"
TRACK_ENDPOINT = "track"
AGGREGATION_ENDPOINT = "aggregation"
AGGREGATION_ACCESS = (
    "Pendo refused to read metadata back through its Aggregation API with this key. Fix: use an "
    'integration key with write access ("Allow Write Access" under Settings > Integrations > Integration '
    "Keys; aggregations need it), and check that PENDO_REGION (or PENDO_BASE_URL) matches your subscription"
)
log = logging.getLogger(__name__)


Threads = Union[int, str, None]  # `--threads`: a count, or "auto"


@dataclass(frozen=True)
class ClientOptions:
    threads: int | None = None  # requests in flight at most; None: adaptive per endpoint (`--threads auto`)
    timeout: float = 120.0  # read timeout; a bulk call may take minutes on Pendo's side
    max_rps: float = 100.0  # Pendo's documented ~100 calls/s per endpoint
    retry_budget: float = 300.0  # seconds without a usable answer before the run gives up
    retries: int = 8  # per request
    backoff: float = 0.5  # seconds before the first resend of a failed answer, doubled per resend (capped)

    @property
    def workers(self) -> int:
        """Threads (and keep-alive connections) the run may use at most."""
        return self.threads or AUTO_THREADS[1]


def parse_threads(value: Threads) -> int | None:
    """'auto' (or None): as many in flight as Pendo's answer time needs; else 1 to 64."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= 64:
        raise ConfigError([f"threads {value!r} is not 'auto' or a whole number from 1 to 64"])
    return count


@dataclass(frozen=True)
class Answer:
    status: int
    data: bytes


class PendoClient:
    def __init__(self, settings: PendoSettings, options: ClientOptions | None = None) -> None:
        options = options or ClientOptions()
        self.settings = settings
        self.options = options
        self.health = Health(options.retry_budget)
        self._endpoints: dict[str, tuple[AdaptiveLimiter, PendoRetry]] = {}  # Pendo limits each separately
        self._lock = threading.Lock()
        self._secrets = _secret_forms(settings.integration_key, settings.track_secret)
        self._api = pool_manager(settings.api_url, options.workers, options.timeout)
        same_host = settings.track_url == settings.api_url
        self._track = (
            self._api if same_host else pool_manager(settings.track_url, options.workers, options.timeout)
        )

    def close(self) -> None:
        self._api.clear()
        self._track.clear()

    def limiter(self, endpoint: str) -> AdaptiveLimiter:
        """The pacing of one endpoint (e.g. `metadata/visitor/custom`, `track`)."""
        return self._endpoint(endpoint)[0]

    def in_flight_goal(self, endpoints: Sequence[str]) -> int:
        """Requests these endpoints should have in flight together now, within the run's threads."""
        return min(self.options.workers, sum(self.limiter(e).goal() for e in endpoints))

    def post_metadata(
        self,
        kind: str,
        group: str,
        entries: Sequence[Body],
        ids: Sequence[str],
        *,
        create: bool,
        max_bytes: int | None = None,
    ) -> list[RowOutcome]:
        """One bulk request; the ids Pendo did not update, with their outcome and reason, in order (see
        responses.py). Every other id was updated. A body over `max_bytes` is sent in halves (as is a batch
        Pendo refuses whole with a 400 or 413, or answers with errors naming no row, until the bad rows
        are isolated).

        Raises PendoAuthError on a refused key and PendoUnavailable when the retry budget is spent.
        """

        def in_halves() -> list[RowOutcome]:
            half = len(ids) // 2
            parts = ((entries[:half], ids[:half]), (entries[half:], ids[half:]))
            return [
                outcome
                for part, part_ids in parts
                for outcome in self.post_metadata(
                    kind, group, part, part_ids, create=create, max_bytes=max_bytes
                )
            ]

        body = json_array(entries)
        if max_bytes is not None and len(body) > max_bytes and len(ids) > 1:
            log.debug(
                "%d records are %d bytes, over %d: sending them in halves", len(ids), len(body), max_bytes
            )
            return in_halves()
        url = f"{self.settings.api_url}/api/v1/metadata/{kind}/{group}/value"
        if create:
            url += "?create=true"
        try:
            response = self._send(
                self._api, "POST", url, metadata_endpoint(kind, group), body, self.settings.integration_key
            )
        except HTTPError as exc:
            return [RowOutcome(i, FAILED, _no_answer(exc)) for i in ids]
        if response.status in (400, 413) and len(ids) > 1:  # 413: too large, maybe for a proxy in between
            log.debug("Pendo refused a batch of %d whole; splitting it to isolate the bad rows", len(ids))
            return in_halves()
        outcomes = parse_bulk_response(response.status, response.data, ids)
        if len(ids) > 1 and any(o.reason.startswith(UNATTRIBUTED) for o in outcomes):
            log.debug("Pendo named no rows for its errors in a batch of %d; splitting it", len(ids))
            return in_halves()  # resending the rows Pendo updated is harmless: the values are the same
        return outcomes

    def patch_segment(
        self, segment_id: str, operations: Sequence[tuple[str, Sequence[str]]]
    ) -> list[RowOutcome]:
        """`PATCH /api/v1/segment/{segmentId}/visitor`: add and remove visitors (at most 1,000 in all);
        the visitors Pendo did not acknowledge, with why (see responses.parse_multistatus). A 409 "Operation in progress"
        is resent at the segment's pace like a 429, never taken as final.

        Raises UnknownSegmentError on a 404, PendoAuthError on a refused key."""
        url = f"{self.settings.api_url}/api/v1/segment/{quote(segment_id, safe='')}/visitor"
        try:
            response = self._send(
                self._api,
                "PATCH",
                url,
                segment_endpoint(segment_id),
                patch_body(operations),
                self.settings.integration_key,
            )
        except HTTPError as exc:
            return [RowOutcome(i, FAILED, _no_answer(exc)) for _, ids in operations for i in ids]
        if response.status == 404:
            raise UnknownSegmentError(segment_id)
        return parse_multistatus(response.status, response.data, operations)

    def get_schema(self, kind: str) -> KindSchema:
        """`GET /api/v1/metadata/schema/{kind}`; PendoError when Pendo gives no readable schema."""
        url = f"{self.settings.api_url}/api/v1/metadata/schema/{kind}"
        content = self._admin("GET", url, None, f"reading the {kind} metadata schema")
        try:
            return parse_schema(json.loads(content.decode("utf-8")))
        except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python recurses
            raise PendoError(
                f"Pendo's {kind} metadata schema is not a JSON object of groups{snippet(content)}"
            ) from None

    def create_fields(self, kind: str, group: str, fields: Sequence[PendoField]) -> None:
        """`POST /api/v1/metadata/schema/{kind}/{group}`: create (or undelete) fields."""
        url = f"{self.settings.api_url}/api/v1/metadata/schema/{kind}/{group}"
        specs = [{"name": f.name, "displayname": f.name, "type": f.type} for f in fields]
        names = ", ".join(f.name for f in fields)
        self._admin("POST", url, _json_bytes(specs), f"creating {kind} {group} field(s) {names}")

    def aggregate(self, kind: str, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`POST /api/v1/aggregation`: the result rows of one pipeline (aggregation.py), paced and retried
        as every call is; PendoAuthError naming the fix when the key may not read, PendoError otherwise."""
        url = f"{self.settings.api_url}/api/v1/aggregation"
        what = f"reading {kind} metadata back (Aggregation API)"
        try:
            response = self._send(
                self._api,
                "POST",
                url,
                AGGREGATION_ENDPOINT,
                request_body(pipeline),
                self.settings.integration_key,
            )
        except PendoAuthError:
            raise PendoAuthError(AGGREGATION_ACCESS) from None
        except HTTPError as exc:
            raise PendoError(
                f"No answer from Pendo at {self.settings.api_url} to {what}: {_cause(exc)}. Check "
                "PENDO_REGION (or PENDO_BASE_URL) and that this machine can reach it"
            ) from None
        if response.status == 404:  # Pendo answers 404 for "no access" too (pendo-api.md §5)
            raise PendoAuthError(AGGREGATION_ACCESS)
        if response.status != 200:
            raise PendoError(f"Pendo answered HTTP {response.status} to {what}{snippet(response.data)}")
        try:
            return parse_results(bytes(response.data), kind)
        except ValueError as exc:
            raise PendoError(
                f"Pendo's answer to {what} is unreadable: {exc}{snippet(response.data)}"
            ) from None

    def _admin(self, method: str, url: str, body: bytes | None, what: str) -> bytes:
        """A schema call the whole run depends on: anything but 200 is a PendoError saying `what` failed."""
        try:
            response = self._send(
                self._api, method, url, "metadata/schema", body, self.settings.integration_key
            )
        except HTTPError as exc:
            raise PendoError(
                f"No answer from Pendo at {self.settings.api_url} to {what}: {_cause(exc)}. Check "
                "PENDO_REGION (or PENDO_BASE_URL) and that this machine can reach it"
            ) from None
        if response.status != 200:
            raise PendoError(f"Pendo answered HTTP {response.status} to {what}{snippet(response.data)}")
        return bytes(response.data)

    def reach_track_host(self) -> None:
        """Reach the Track host once before a run sends events, as reading the metadata schema does for
        the API host: a wrong region or PENDO_BASE_URL, or a host that refuses connections, stops the run
        with one clear error instead of failing every event. Any HTTP answer means the host is there
        (Pendo documents no call that checks the secret without sending an event)."""
        url = f"{self.settings.track_url}/"
        try:
            self._track.request("GET", url, retries=self._endpoint(TRACK_ENDPOINT)[1], redirect=False)
        except HTTPError as exc:
            raise PendoError(
                f"No answer from Pendo's Track host at {self.settings.track_url} before sending events: "
                f"{_cause(exc)}. Check PENDO_REGION (or PENDO_BASE_URL) and that this machine can reach it"
            ) from None

    def post_track(self, event_id: str, event: Body) -> RowOutcome | None:
        """One Track event (Pendo takes no batches); None when Pendo received it (HTTP 200), else why not."""
        url = f"{self.settings.track_url}/data/track"
        try:
            response = self._send(
                self._track,
                "POST",
                url,
                TRACK_ENDPOINT,
                event.encode("utf-8") if isinstance(event, str) else _json_bytes(event),
                self.settings.track_secret,
                "PENDO_TRACK_EVENT_SECRET",
            )
        except HTTPError as exc:
            return RowOutcome(event_id, FAILED, _no_answer(exc))
        if response.status == 200:
            return None
        return RowOutcome(
            event_id,
            row_outcome(response.status),
            f"Pendo answered HTTP {response.status}{snippet(response.data)}",
        )

    def _send(
        self,
        pool: urllib3.PoolManager,
        method: str,
        url: str,
        endpoint: str,
        body: bytes | None,
        key: Secret,
        secret_name: str = "PENDO_INTEGRATION_KEY",
    ) -> Answer:
        """One request after its retries, paced by its endpoint's limiter; raises PendoAuthError on a
        refused key, and urllib3's HTTPError (MaxRetryError once retries are spent) when no answer came.
        Once status retries are spent, the last answer stands."""
        self.health.check()
        limiter, retry = self._endpoint(endpoint)
        headers = {KEY_HEADER: key.reveal(), "Content-Type": "application/json; charset=utf-8"}
        try:
            with limiter.slot():
                started = time.monotonic()
                response = pool.request(
                    method, url, body=body, headers=headers, retries=retry, redirect=False
                )
                answer_time = time.monotonic() - started
        except HTTPError:
            self.health.failure()
            self.health.check()
            raise
        answer = _masked(Answer(response.status, response.data), self._secrets)
        if answer.status in RETRY_STATUSES:
            self.health.failure()
            self.health.check()
        else:
            self.health.success()
            retried = response.retries is not None and bool(response.retries.history)
            limiter.succeeded(None if retried else answer_time)
        log.debug("%s %s -> %s", method, url.split("?")[0], answer.status)
        if kind_of(answer.status) == FATAL:
            raise PendoAuthError(
                f"Pendo refused the key (HTTP {answer.status} from {url.split('?')[0]}). Check "
                f"{secret_name} and that PENDO_REGION (or PENDO_BASE_URL) matches your subscription."
            )
        return answer

    def _endpoint(self, endpoint: str) -> tuple[AdaptiveLimiter, PendoRetry]:
        """One endpoint's limiter and the retry policy that slows it on 429, made on first use."""
        paced = self._endpoints.get(endpoint)  # made once per endpoint, then only read
        if paced is not None:
            return paced
        with self._lock:
            paced = self._endpoints.get(endpoint)
            if paced is None:
                limiter = AdaptiveLimiter(
                    self.options.max_rps, self.options.workers, adaptive=self.options.threads is None
                )
                paced = self._endpoints[endpoint] = (
                    limiter,
                    retry_policy(limiter, self.health, self.options.retries, self.options.backoff),
                )
            return paced


def _secret_forms(*secrets: Secret) -> tuple[bytes, ...]:
    """Each secret as it would appear in an answer that quotes the request: raw, or JSON-escaped."""
    forms = set()
    for secret in secrets:
        if secret:
            raw = secret.reveal()
            forms |= {raw, json.dumps(raw)[1:-1], json.dumps(raw)[1:-1].replace("/", "\\/")}
    return tuple(
        sorted((form.encode() for form in forms), key=len, reverse=True)
    )  # a secret may hold another


def _masked(answer: Answer, secrets: Sequence[bytes]) -> Answer:
    """The answer with any secret it quotes masked: a proxy or server that echoes the request would
    otherwise put the key into reasons, the results file and the outcomes table."""
    data = answer.data
    for secret in secrets:
        if secret in data:
            data = data.replace(secret, b"********")
    return answer if data is answer.data else dataclasses.replace(answer, data=data)


def metadata_endpoint(kind: str, group: str) -> str:
    """Pendo limits each bulk endpoint (kind and group) separately, so each is paced on its own."""
    return f"metadata/{kind}/{group}"


def segment_endpoint(segment_id: str) -> str:
    """Pendo answers 409 while an earlier patch of the same segment runs: each segment is paced alone."""
    return f"segment/{segment_id}"


def _no_answer(exc: HTTPError) -> str:
    return f"no answer from Pendo after retries: {_cause(exc)}"


def _cause(exc: HTTPError) -> str:
    """What went wrong on the last attempt, without urllib3's wrapping: "[Errno 111] Connection refused",
    "Read timed out. (read timeout=60.0)". Requests carry no secret in their URL, so none can show here."""
    cause = exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc
    if len(cause.args) == 2 and isinstance(cause.args[1], BaseException):  # ProtocolError(message, error)
        return f"{str(cause.args[0]).rstrip('.')}: {cause.args[1]}"
    text = str(cause)
    if "[Errno" in text:
        return text[text.index("[Errno") :].rstrip(")'\"")
    return text.split("): ", 1)[-1] or type(cause).__name__


def json_array(entries: Sequence[Body]) -> bytes:
    """One JSON array of entries: texts the warehouse rendered go in as they are, the rest are encoded
    here (all in one call when there is no text)."""
    if not any(isinstance(e, str) for e in entries):
        return _json_bytes(list(entries))
    return ("[" + ",".join(e if isinstance(e, str) else _json_text(e) for e in entries) + "]").encode("utf-8")


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _json_bytes(value: Any) -> bytes:
    return _json_text(value).encode("utf-8")
