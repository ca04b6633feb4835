"""Region hosts, base URL override, loopback-only plain http, and secrets that never print."""

from __future__ import annotations

import re

import pytest

from pendo_sync.errors import ConfigError
from pendo_sync.settings import REGIONS, Secret, settings_from_env

KEY = {"PENDO_INTEGRATION_KEY": "sentinel-key-123"}


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_regions_pick_documented_hosts(region: str) -> None:
    settings = settings_from_env({**KEY, "PENDO_REGION": region.upper()})
    assert (settings.api_url, settings.track_url) == REGIONS[region]


def test_us_is_the_default_and_eu_hosts_are_pendos() -> None:
    assert settings_from_env(KEY).api_url == "https://app.pendo.io"
    assert settings_from_env({**KEY, "PENDO_REGION": "eu"}).track_url == "https://data.eu.pendo.io"


def test_base_url_overrides_region_and_flag_overrides_env() -> None:
    env = {**KEY, "PENDO_REGION": "eu", "PENDO_BASE_URL": "http://127.0.0.1:9/"}
    assert settings_from_env(env).api_url == "http://127.0.0.1:9"
    assert (
        settings_from_env(env, base_url="https://pendo.example.com").track_url == "https://pendo.example.com"
    )


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.1:80", "ftp://127.0.0.1"])
def test_plain_http_is_refused_off_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match="PENDO_BASE_URL"):
        settings_from_env({**KEY, "PENDO_BASE_URL": url})


@pytest.mark.parametrize("url", ["http://localhost:1", "http://127.0.0.5:1", "http://[::1]:1"])
def test_plain_http_is_allowed_on_loopback(url: str) -> None:
    assert settings_from_env({**KEY, "PENDO_BASE_URL": url}).api_url == url


def test_missing_key_and_bad_region_are_reported_together() -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_env({"PENDO_REGION": "mars"})
    text = str(info.value)
    assert "PENDO_REGION 'mars' is not a Pendo region" in text and "PENDO_INTEGRATION_KEY is not set" in text


def test_a_bad_region_or_url_names_the_flag_when_a_flag_set_it() -> None:
    env = {**KEY, "PENDO_REGION": "eu"}
    with pytest.raises(
        ConfigError, match=re.escape("--region 'eu1' is not a Pendo region. Use one of: us, us1, eu")
    ):
        settings_from_env(env, region="eu1")
    with pytest.raises(ConfigError, match="--pendo-url: plain http is only allowed on loopback"):
        settings_from_env(env, base_url="http://example.com")


def test_secrets_never_print() -> None:
    settings = settings_from_env({**KEY, "PENDO_TRACK_EVENT_SECRET": "sentinel-track-456"})
    for text in (repr(settings), str(settings), f"{settings.integration_key}", repr(Secret("x"))):
        assert "sentinel" not in text
    assert settings.integration_key.reveal() == "sentinel-key-123"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PENDO_INTEGRATION_KEY", "sentinel\u2013key"),  # a typographic dash pasted with the key
        ("PENDO_INTEGRATION_KEY", "sentinel\r\nX-Injected: 1"),
        ("PENDO_TRACK_EVENT_SECRET", "track secret"),
    ],
)
def test_a_secret_that_cannot_go_in_a_header_is_refused_by_name(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_env({**KEY, variable: value})
    message = str(raised.value)
    assert variable in message and "cannot go in an HTTP header" in message
    assert "sentinel" not in message and "secret" not in message.replace("SECRET", "")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999", "not a valid URL"),
        ("http://127.0.0.1:abc", "not a valid URL"),
        ("http://[::1", "not a valid URL"),
        ("http://bob:s3cr3t@127.0.0.1:8080", "holds credentials"),
    ],
)
def test_a_bad_base_url_is_a_config_error_that_quotes_no_credentials(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as raised:
        settings_from_env({**KEY, "PENDO_BASE_URL": url})
    assert "PENDO_BASE_URL" in str(raised.value) and "s3cr3t" not in str(raised.value)
