"""Connections to one Pendo host: urllib3's pooled managers, set up from the environment once per run.

HTTP itself (parsing answers, keep-alive, TLS with certificate and hostname checks, proxy tunnels) is
urllib3's, used as its documentation shows (docs/decisions/0014). What this module adds is what
`requests` would read from the environment, read once per run instead of per request: the proxy
(`HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`, bypassed for `NO_PROXY` hosts; an http://, https:// or, with
PySocks installed, socks:// URL) and the CA bundle (`REQUESTS_CA_BUNDLE`, else `SSL_CERT_FILE`, else
certifi's). `.netrc` credentials are not read: a Pendo integration authenticates with its key.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import certifi
import urllib3
from urllib3.exceptions import LocationParseError
from urllib3.util import Url, make_headers, parse_url

from pendo_sync.errors import ConfigError

CONNECT_TIMEOUT = 10.0
PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


@dataclass(frozen=True)
class Proxy:
    """A proxy without its credentials (they go in a header), so its URL can appear in errors."""

    url: str
    credentials: str | None  # "user:password", unquoted


def proxy_for(base_url: str) -> Proxy | None:
    """The proxy the environment names for `base_url` (as `requests` and curl read it), or None.

    Raises ConfigError for a URL we cannot use, in our words: urllib's may quote it, password and all.
    """
    host = parse_url(base_url)
    proxies = urllib.request.getproxies()  # lower-cased schemes; ALL_PROXY is "all"
    raw = proxies.get(host.scheme or "https") or proxies.get("all")
    if not raw or urllib.request.proxy_bypass(host.host or ""):
        return None
    try:
        proxy = parse_url(raw if "://" in raw else f"http://{raw}")
    except LocationParseError:
        proxy = Url()
    if proxy.scheme not in PROXY_SCHEMES or not proxy.host:
        raise ConfigError(
            [
                f"HTTPS_PROXY / HTTP_PROXY / ALL_PROXY: the proxy for {host.host} is not a valid URL. Give it "
                "as http://[user:password@]host:port (https:// and socks5:// work too)"
            ]
        )
    credentials = None
    if proxy.auth is not None:
        user, _, password = proxy.auth.partition(":")
        credentials = f"{unquote(user)}:{unquote(password)}"
    bare = Url(scheme=proxy.scheme, host=proxy.host, port=proxy.port)
    return Proxy(bare.url, credentials)


def ca_bundle() -> str:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or certifi.where()


def pool_manager(base_url: str, connections: int, read_timeout: float) -> urllib3.PoolManager:
    """Kept-alive connections to one Pendo host, at most `connections` of them (further requests wait for
    one), through the environment's proxy if it names one."""
    options: dict[str, Any] = {
        "num_pools": 4,
        "maxsize": connections,
        "block": True,
        "timeout": urllib3.Timeout(connect=CONNECT_TIMEOUT, read=read_timeout),
        "cert_reqs": "CERT_REQUIRED",
        "ca_certs": ca_bundle(),
    }
    proxy = proxy_for(base_url)
    if proxy is None:
        return urllib3.PoolManager(**options)
    if proxy.url.startswith("socks"):
        try:
            from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError:
            raise ConfigError(
                [
                    "ALL_PROXY / HTTPS_PROXY names a SOCKS proxy, which needs PySocks: "
                    "pip install 'urllib3[socks]' (or give an http:// proxy)"
                ]
            ) from None
        user, _, password = (proxy.credentials or "").partition(":")
        return SOCKSProxyManager(proxy.url, username=user or None, password=password or None, **options)
    headers = make_headers(proxy_basic_auth=proxy.credentials) if proxy.credentials else None
    return urllib3.ProxyManager(proxy.url, proxy_headers=headers, **options)
