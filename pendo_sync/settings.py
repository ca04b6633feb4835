"""Where Pendo is and how we authenticate: read from the environment, validated, secrets wrapped.

Secrets are held in `Secret`, whose str/repr never show the value, so a key cannot leak through a log
line, an exception message or a dataclass repr by accident.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pendo_sync.errors import ConfigError

# Pendo's documented hosts per region: (v1 REST API, Track events). See shared pendo-api.md section 1.
REGIONS: dict[str, tuple[str, str]] = {
    "us": ("https://app.pendo.io", "https://data.pendo.io"),
    "us1": ("https://us1.app.pendo.io", "https://us1.data.pendo.io"),
    "eu": ("https://app.eu.pendo.io", "https://data.eu.pendo.io"),
    "jpn": ("https://app.jpn.pendo.io", "https://data.jpn.pendo.io"),
    "au": ("https://app.au.pendo.io", "https://data.au.pendo.io"),
}


class Secret:
    """A string that refuses to be printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class PendoSettings:
    api_url: str
    track_url: str
    integration_key: Secret
    track_secret: Secret


def settings_from_env(
    env: Mapping[str, str] | None = None, *, base_url: str | None = None, region: str | None = None
) -> PendoSettings:
    """Build settings from flags (which win) and the environment; every problem is a ConfigError."""
    env = os.environ if env is None else env
    region = (region or env.get("PENDO_REGION") or "us").strip().lower()
    base_url = base_url or env.get("PENDO_BASE_URL") or None
    problems = []
    if base_url:
        base_url = base_url.rstrip("/")
        problem = _url_problem(base_url)
        if problem:
            problems.append(f"PENDO_BASE_URL / --pendo-url: {problem}")
        api_url = track_url = base_url
    elif region in REGIONS:
        api_url, track_url = REGIONS[region]
    else:
        problems.append(f"PENDO_REGION={region!r} is not a Pendo region. Use one of: {', '.join(REGIONS)}")
        api_url, track_url = REGIONS["us"]
    key = env.get("PENDO_INTEGRATION_KEY", "").strip()
    if not key:
        problems.append(
            "PENDO_INTEGRATION_KEY is not set. Create an integration key with write access in Pendo "
            "(Settings > Integrations > Integration Keys) and export it"
        )
    if problems:
        raise ConfigError(problems)
    return PendoSettings(
        api_url=api_url,
        track_url=track_url,
        integration_key=Secret(key),
        track_secret=Secret(env.get("PENDO_TRACK_EVENT_SECRET", "").strip()),
    )


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return f"plain http is only allowed on loopback, not {parts.hostname!r}; use https"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
