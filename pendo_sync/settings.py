"""Where Pendo is and how we authenticate: read from the environment, validated, secrets wrapped.

Secrets are held in `Secret`, whose str/repr never show the value, so a key cannot leak through a log
line, an exception message or a dataclass repr by accident.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pendo_sync.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

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
    region_source = "--region" if region else "PENDO_REGION"  # errors name what the user set
    region = (region or env.get("PENDO_REGION") or "us").strip().lower()
    url_source = "--pendo-url" if base_url else "PENDO_BASE_URL"
    base_url = base_url or env.get("PENDO_BASE_URL") or None
    problems = []
    if base_url:
        base_url = base_url.rstrip("/")
        problem = _url_problem(base_url)
        if problem:
            problems.append(f"{url_source}: {problem}")
        api_url = track_url = base_url
    elif region in REGIONS:
        api_url, track_url = REGIONS[region]
    else:
        problems.append(f"{region_source} {region!r} is not a Pendo region. Use one of: {', '.join(REGIONS)}")
        api_url, track_url = REGIONS["us"]
    key = env.get("PENDO_INTEGRATION_KEY", "").strip()
    track_secret = env.get("PENDO_TRACK_EVENT_SECRET", "").strip()
    if not key:
        problems.append(
            "PENDO_INTEGRATION_KEY is not set. Create an integration key with write access in Pendo "
            "(Settings > Integrations > Integration Keys) and export it"
        )
    for name, value in (("PENDO_INTEGRATION_KEY", key), ("PENDO_TRACK_EVENT_SECRET", track_secret)):
        if not _header_safe(value):
            problems.append(
                f"{name} holds a character that cannot go in an HTTP header (a space, a control "
                "character or a non-ASCII one, such as a typographic dash pasted with it). Copy the "
                "value again from Pendo and export it"
            )
    if problems:
        raise ConfigError(problems)
    return PendoSettings(
        api_url=api_url,
        track_url=track_url,
        integration_key=Secret(key),
        track_secret=Secret(track_secret),
    )


def _header_safe(secret: str) -> bool:
    """Printable ASCII without spaces, as Pendo's keys are: anything else would fail to encode, or (CR, LF)
    inject header lines. The message says which variable, never the value."""
    return all("!" <= c <= "~" for c in secret)


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        return "it is not a valid URL (scheme://host[:port], a port from 1 to 65535)"
    if "@" in parts.netloc:  # said without the URL, which would quote the credentials
        return "it holds credentials (user@); pendo-dbt authenticates with PENDO_INTEGRATION_KEY only"
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
