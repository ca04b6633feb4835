"""HTTP to Pendo: pooled keep-alive connections, retries with backoff, and per-row outcomes.

Thread-safe for concurrent calls: the sync submits batches from a worker pool. Retries (429 honouring
Retry-After, 408, 5xx, dropped connections) are urllib3's, a well-kept implementation, rather than a loop
of our own. Errors name headers, never their values, so the key cannot leak through a message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pendo_sync.errors import PendoAuthError, PendoError
from pendo_sync.pendo.responses import FAILED, REJECTED, UPDATED, RowOutcome, parse_bulk_response, snippet
from pendo_sync.pendo.schema import KindSchema, PendoField, parse_schema
from pendo_sync.settings import PendoSettings, Secret

RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
KEY_HEADER = "x-pendo-integration-key"


def default_retry() -> Retry:
    return Retry(
        total=6,
        connect=4,
        read=4,
        status=6,
        backoff_factor=0.5,
        backoff_jitter=0.5,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # metadata writes are idempotent: resending sets the same values
        respect_retry_after_header=True,
        raise_on_status=False,
    )


class PendoClient:
    def __init__(
        self, settings: PendoSettings, *, workers: int = 4, timeout: float = 120.0, retry: Retry | None = None
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=2, pool_maxsize=max(workers, 1), max_retries=retry or default_retry()
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def post_metadata(
        self, kind: str, group: str, entries: Sequence[dict[str, Any]], ids: Sequence[str], *, create: bool
    ) -> list[RowOutcome]:
        """One bulk request; an outcome for every id, in order. Raises PendoAuthError on a refused key."""
        url = f"{self.settings.api_url}/api/v1/metadata/{kind}/{group}/value"
        if create:
            url += "?create=true"
        try:
            response = self._send("POST", url, _json_bytes(list(entries)), self.settings.integration_key)
        except requests.RequestException as exc:
            return [
                RowOutcome(i, FAILED, f"no answer from Pendo after retries ({type(exc).__name__})")
                for i in ids
            ]
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
            return [
                RowOutcome(event_id, FAILED, f"no answer from Pendo after retries ({type(exc).__name__})")
            ]
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
        """One request after urllib3's retries; raises PendoAuthError on a refused key."""
        headers = {"Content-Type": "application/json; charset=utf-8", KEY_HEADER: key.reveal()}
        response = self.session.request(method, url, data=body, headers=headers, timeout=self.timeout)
        if response.status_code in (401, 403):
            raise PendoAuthError(
                f"Pendo refused the key (HTTP {response.status_code} from {url.split('?')[0]}). Check "
                f"{secret_name} and that PENDO_REGION (or PENDO_BASE_URL) matches your subscription."
            )
        return response


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
