"""HTTP to Pendo: pooled keep-alive connections, retries with backoff, and per-row outcomes.

Thread-safe for concurrent calls: the sync submits batches from a worker pool. Retries (429 honouring
Retry-After, 408, 5xx, dropped connections) are urllib3's, a well-kept implementation, rather than a loop
of our own; pacing.py adapts the rate and gives up when Pendo stays unusable. A bulk request Pendo
rejects whole (400) is split in halves until the bad rows are isolated, so one bad row costs only itself.
Errors name headers, never their values, so the key cannot leak through a message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from pendo_sync.errors import PendoAuthError, PendoError
from pendo_sync.pendo.pacing import RETRY_STATUSES, AdaptiveLimiter, Health, retry_policy
from pendo_sync.pendo.responses import FAILED, REJECTED, UPDATED, RowOutcome, parse_bulk_response, snippet
from pendo_sync.pendo.schema import KindSchema, PendoField, parse_schema
from pendo_sync.settings import PendoSettings, Secret

KEY_HEADER = "x-pendo-integration-key"
CONNECT_TIMEOUT = 10.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientOptions:
    workers: int = 4
    timeout: float = 120.0  # read timeout; a bulk call may take minutes on Pendo's side
    max_rps: float = 100.0  # Pendo's documented ~100 calls/s per endpoint
    retry_budget: float = 300.0  # seconds without a usable answer before the run gives up
    retries: int = 8  # per request


class PendoClient:
    def __init__(self, settings: PendoSettings, options: ClientOptions | None = None) -> None:
        options = options or ClientOptions()
        self.settings = settings
        self.timeout = (CONNECT_TIMEOUT, options.timeout)
        self.limiter = AdaptiveLimiter(options.max_rps, options.workers)
        self.health = Health(options.retry_budget)
        self.session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=2,
            pool_maxsize=max(options.workers, 1),
            max_retries=retry_policy(self.limiter, self.health, options.retries),
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def post_metadata(
        self, kind: str, group: str, entries: Sequence[dict[str, Any]], ids: Sequence[str], *, create: bool
    ) -> list[RowOutcome]:
        """One bulk request (split on a whole-batch 400); an outcome for every id, in order.

        Raises PendoAuthError on a refused key and PendoUnavailable when the retry budget is spent.
        """
        url = f"{self.settings.api_url}/api/v1/metadata/{kind}/{group}/value"
        if create:
            url += "?create=true"
        try:
            response = self._send("POST", url, _json_bytes(list(entries)), self.settings.integration_key)
        except requests.RequestException as exc:
            return [RowOutcome(i, FAILED, _no_answer(exc)) for i in ids]
        if response.status_code == 400 and len(ids) > 1:
            half = len(ids) // 2
            log.debug("Pendo rejected a batch of %d whole; splitting it to isolate the bad rows", len(ids))
            return self.post_metadata(
                kind, group, entries[:half], ids[:half], create=create
            ) + self.post_metadata(kind, group, entries[half:], ids[half:], create=create)
        return parse_bulk_response(response.status_code, response.content, ids)

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
            response = self._send(method, url, body, self.settings.integration_key)
        except requests.RequestException as exc:
            raise PendoError(f"No answer from Pendo to {what} ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise PendoError(
                f"Pendo answered HTTP {response.status_code} to {what}{snippet(response.content)}"
            )
        return bytes(response.content)

    def post_track(self, event_id: str, event: dict[str, Any]) -> list[RowOutcome]:
        """One Track event (Pendo takes no batches); 200 means Pendo received it."""
        url = f"{self.settings.track_url}/data/track"
        try:
            response = self._send(
                "POST", url, _json_bytes(event), self.settings.track_secret, "PENDO_TRACK_EVENT_SECRET"
            )
        except requests.RequestException as exc:
            return [RowOutcome(event_id, FAILED, _no_answer(exc))]
        if response.status_code == 200:
            return [RowOutcome(event_id, UPDATED)]
        outcome = REJECTED if response.status_code in (400, 413, 422) else FAILED
        return [
            RowOutcome(
                event_id, outcome, f"Pendo answered HTTP {response.status_code}{snippet(response.content)}"
            )
        ]

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        key: Secret,
        secret_name: str = "PENDO_INTEGRATION_KEY",
    ) -> requests.Response:
        """One request after urllib3's retries, paced by the limiter; raises PendoAuthError on a refused key."""
        self.health.check()
        headers = {"Content-Type": "application/json; charset=utf-8", KEY_HEADER: key.reveal()}
        try:
            with self.limiter.slot():
                response = self.session.request(method, url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException:
            self.health.failure()
            self.health.check()
            raise
        if response.status_code in RETRY_STATUSES:
            self.health.failure()
            self.health.check()
        else:
            self.health.success()
            self.limiter.succeeded()
        log.debug("%s %s -> %s", method, url.split("?")[0], response.status_code)
        if response.status_code in (401, 403):
            raise PendoAuthError(
                f"Pendo refused the key (HTTP {response.status_code} from {url.split('?')[0]}). Check "
                f"{secret_name} and that PENDO_REGION (or PENDO_BASE_URL) matches your subscription."
            )
        return response


def _no_answer(exc: requests.RequestException) -> str:
    return f"no answer from Pendo after retries ({type(exc).__name__})"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
