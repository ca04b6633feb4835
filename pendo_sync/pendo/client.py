"""HTTP to Pendo: pooled keep-alive connections, retries with backoff, and per-row outcomes.

Thread-safe for concurrent calls: the sync submits batches from a worker pool. Requests go straight
through urllib3 (the transport under `requests`): per request, `requests` costs 3.4x urllib3's CPU, which
dominated event syncs (one request per event; docs/decisions/0006). Proxies and CA bundles are read from
the environment as `requests` reads them. Retries (429 honouring Retry-After, 408, 5xx, dropped
connections) are urllib3's, rather than a loop of our own; pacing.py adapts the rate per endpoint and gives
up when Pendo stays unusable. A bulk request Pendo rejects whole (400) is split in halves until the bad
rows are isolated, so one bad row costs only itself. Errors name headers, never their values, so the key
cannot leak through a message.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError

from pendo_sync.errors import PendoAuthError, PendoError
from pendo_sync.pendo.pacing import (
    AUTO_THREADS,
    RETRY_STATUSES,
    AdaptiveLimiter,
    Health,
    PendoRetry,
    retry_policy,
)
from pendo_sync.pendo.responses import FAILED, REJECTED, RowOutcome, parse_bulk_response, snippet
from pendo_sync.pendo.schema import KindSchema, PendoField, parse_schema
from pendo_sync.settings import PendoSettings, Secret

KEY_HEADER = "x-pendo-integration-key"
TRACK_ENDPOINT = "track"
CONNECT_TIMEOUT = 10.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientOptions:
    threads: int | None = None  # requests in flight at most; None: adaptive per endpoint (`--threads auto`)
    timeout: float = 120.0  # read timeout; a bulk call may take minutes on Pendo's side
    max_rps: float = 100.0  # Pendo's documented ~100 calls/s per endpoint
    retry_budget: float = 300.0  # seconds without a usable answer before the run gives up
    retries: int = 8  # per request

    @property
    def workers(self) -> int:
        """Threads (and keep-alive connections) the run may use at most."""
        return self.threads or AUTO_THREADS[1]


class PendoClient:
    def __init__(self, settings: PendoSettings, options: ClientOptions | None = None) -> None:
        options = options or ClientOptions()
        self.settings = settings
        self.options = options
        self.health = Health(options.retry_budget)
        self.timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=options.timeout)
        self._endpoints: dict[str, tuple[AdaptiveLimiter, PendoRetry]] = {}  # Pendo limits each separately
        self._lock = threading.Lock()
        self._api = _Connections(settings.api_url, options.workers)
        same_host = settings.track_url == settings.api_url
        self._track = self._api if same_host else _Connections(settings.track_url, options.workers)

    def close(self) -> None:
        self._api.close()
        self._track.close()

    def limiter(self, endpoint: str) -> AdaptiveLimiter:
        """The pacing of one endpoint (e.g. `metadata/visitor/custom`, `track`)."""
        return self._endpoint(endpoint)[0]

    def in_flight_goal(self, endpoints: Sequence[str]) -> int:
        """Requests these endpoints should have in flight together now, within the run's threads."""
        return min(self.options.workers, sum(self.limiter(e).goal() for e in endpoints))

    def post_metadata(
        self, kind: str, group: str, entries: Sequence[dict[str, Any]], ids: Sequence[str], *, create: bool
    ) -> list[RowOutcome]:
        """One bulk request (split on a whole-batch 400); the ids Pendo did not update, with their outcome and
        reason, in order (see responses.py). Every other id was updated.

        Raises PendoAuthError on a refused key and PendoUnavailable when the retry budget is spent.
        """
        url = f"{self.settings.api_url}/api/v1/metadata/{kind}/{group}/value"
        if create:
            url += "?create=true"
        try:
            response = self._send(
                self._api,
                "POST",
                url,
                metadata_endpoint(kind, group),
                _json_bytes(list(entries)),
                self.settings.integration_key,
            )
        except HTTPError as exc:
            return [RowOutcome(i, FAILED, _no_answer(exc)) for i in ids]
        if response.status == 400 and len(ids) > 1:
            half = len(ids) // 2
            log.debug("Pendo rejected a batch of %d whole; splitting it to isolate the bad rows", len(ids))
            return self.post_metadata(
                kind, group, entries[:half], ids[:half], create=create
            ) + self.post_metadata(kind, group, entries[half:], ids[half:], create=create)
        return parse_bulk_response(response.status, response.data, ids)

    def get_schema(self, kind: str) -> KindSchema:
        """`GET /api/v1/metadata/schema/{kind}`; PendoError when Pendo gives no readable schema."""
        url = f"{self.settings.api_url}/api/v1/metadata/schema/{kind}"
        content = self._admin("GET", url, None, f"reading the {kind} metadata schema")
        try:
            return parse_schema(json.loads(content.decode("utf-8")))
        except ValueError:
            raise PendoError(
                f"Pendo's {kind} metadata schema is not a JSON object of groups{snippet(content)}"
            ) from None

    def create_fields(self, kind: str, group: str, fields: Sequence[PendoField]) -> None:
        """`POST /api/v1/metadata/schema/{kind}/{group}`: create (or undelete) fields."""
        url = f"{self.settings.api_url}/api/v1/metadata/schema/{kind}/{group}"
        specs = [{"name": f.name, "displayname": f.name, "type": f.type} for f in fields]
        names = ", ".join(f.name for f in fields)
        self._admin("POST", url, _json_bytes(specs), f"creating {kind} {group} field(s) {names}")

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

    def post_track(self, event_id: str, event: dict[str, Any]) -> RowOutcome | None:
        """One Track event (Pendo takes no batches); None when Pendo received it (HTTP 200), else why not."""
        url = f"{self.settings.track_url}/data/track"
        try:
            response = self._send(
                self._track,
                "POST",
                url,
                TRACK_ENDPOINT,
                _json_bytes(event),
                self.settings.track_secret,
                "PENDO_TRACK_EVENT_SECRET",
            )
        except HTTPError as exc:
            return RowOutcome(event_id, FAILED, _no_answer(exc))
        if response.status == 200:
            return None
        outcome = REJECTED if response.status in (400, 413, 422) else FAILED
        return RowOutcome(event_id, outcome, f"Pendo answered HTTP {response.status}{snippet(response.data)}")

    def _send(
        self,
        connections: _Connections,
        method: str,
        url: str,
        endpoint: str,
        body: bytes | None,
        key: Secret,
        secret_name: str = "PENDO_INTEGRATION_KEY",
    ) -> urllib3.BaseHTTPResponse:
        """One request after urllib3's retries, paced by its endpoint's limiter; raises PendoAuthError on a
        refused key."""
        self.health.check()
        limiter, retry = self._endpoint(endpoint)
        headers = {"Content-Type": "application/json; charset=utf-8", KEY_HEADER: key.reveal()}
        try:
            with limiter.slot():
                started = time.monotonic()
                response = connections.urlopen(
                    method, url, body=body, headers=headers, retries=retry, timeout=self.timeout
                )
                answer_time = time.monotonic() - started
        except HTTPError:
            self.health.failure()
            self.health.check()
            raise
        if response.status in RETRY_STATUSES:
            self.health.failure()
            self.health.check()
        else:
            self.health.success()
            first_try = response.retries is None or not response.retries.history
            limiter.succeeded(answer_time if first_try else None)
        log.debug("%s %s -> %s", method, url.split("?")[0], response.status)
        if response.status in (401, 403):
            raise PendoAuthError(
                f"Pendo refused the key (HTTP {response.status} from {url.split('?')[0]}). Check "
                f"{secret_name} and that PENDO_REGION (or PENDO_BASE_URL) matches your subscription."
            )
        return response

    def _endpoint(self, endpoint: str) -> tuple[AdaptiveLimiter, PendoRetry]:
        """One endpoint's limiter and the retry policy that slows it on 429, made on first use."""
        with self._lock:
            paced = self._endpoints.get(endpoint)
            if paced is None:
                limiter = AdaptiveLimiter(
                    self.options.max_rps, self.options.workers, adaptive=self.options.threads is None
                )
                paced = self._endpoints[endpoint] = (
                    limiter,
                    retry_policy(limiter, self.health, self.options.retries),
                )
            return paced


class _Connections:
    """Keep-alive connections to one Pendo host, through the proxy the environment names for it
    (HTTPS_PROXY, NO_PROXY), trusting REQUESTS_CA_BUNDLE or SSL_CERT_FILE if set: what `requests` does.

    Without a proxy, requests go straight to the host's connection pool: a PoolManager would parse the
    URL and look the pool up again on every request, a cost that shows at one request per event.
    """

    def __init__(self, base_url: str, workers: int) -> None:
        parts = urlsplit(base_url)
        self._origin = len(f"{parts.scheme}://{parts.netloc}")
        settings: dict[str, Any] = {"maxsize": max(workers, 1), "block": True}
        if parts.scheme == "https":
            settings["ca_certs"] = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or certifi.where()
            )
        proxy = urllib.request.getproxies().get(parts.scheme)
        self._proxied: urllib3.ProxyManager | None = None
        self._pool: urllib3.HTTPConnectionPool | None = None
        if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
            self._proxied = urllib3.ProxyManager(proxy, **settings)
        else:
            self._pool = urllib3.connection_from_url(base_url, **settings)

    def urlopen(self, method: str, url: str, **kw: Any) -> urllib3.BaseHTTPResponse:
        """`url` is absolute, on this host."""
        if self._pool is not None:
            return self._pool.urlopen(method, url[self._origin :], **kw)
        assert self._proxied is not None
        return self._proxied.urlopen(method, url, **kw)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._proxied is not None:
            self._proxied.clear()


def metadata_endpoint(kind: str, group: str) -> str:
    """Pendo limits each bulk endpoint (kind and group) separately, so each is paced on its own."""
    return f"metadata/{kind}/{group}"


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


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
