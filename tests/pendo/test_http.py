"""PendoClient's HTTP over real loopback sockets: answers no well-kept parser accepts, TLS, IPv6, proxies.

Each server here is a few lines of raw socket code with a scripted answer, so the answers can be what a
well-behaved server never sends. What must hold: an answer that cannot be read is retried and never
acknowledges a row, and bytes nobody asked for never become the answer to a later request.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO

import pytest
import trustme

from pendo_sync.errors import PendoError
from pendo_sync.pendo.client import ClientOptions, PendoClient
from pendo_sync.row_outcome import FAILED
from pendo_sync.settings import PendoSettings, Secret

Handler = Callable[[IO[bytes], socket.socket], None]  # serves one accepted connection
KEY = "http-test-key"


@contextmanager
def serving(
    handler: Handler, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> Iterator[tuple[str, int]]:
    """A loopback server running `handler` on each connection; yields its host and port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, 0), family=family)

    def accept() -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            if tls is not None:
                try:
                    sock = tls.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    sock.close()
                    continue
            threading.Thread(target=_serve, args=(handler, sock), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield host, listener.getsockname()[1]
    finally:
        listener.close()


def _serve(handler: Handler, sock: socket.socket) -> None:
    with sock, sock.makefile("rb") as reader, suppress(OSError):
        handler(reader, sock)


def read_request(reader: IO[bytes]) -> tuple[str, dict[str, str], bytes] | None:
    """One request: its request line, headers (lower-cased) and body; None at end of stream."""
    line = reader.readline()
    if not line:
        return None
    headers = {}
    for header in iter(reader.readline, b"\r\n"):
        name, _, value = header.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", 0)))
    return line.decode().strip(), headers, body


def answer(body: bytes, status: bytes = b"200 OK") -> bytes:
    return b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def counts(body: bytes) -> bytes:
    """Pendo's answer to a bulk request that updated every row of `body`."""
    rows = len(json.loads(body))
    return json.dumps({"total": rows, "updated": rows, "failed": 0}).encode()


def client_for(url: str, retries: int = 3) -> PendoClient:
    settings = PendoSettings(url, url, Secret(KEY), Secret("track-secret"))
    return PendoClient(settings, ClientOptions(threads=1, retries=retries, timeout=5.0, backoff=0.0))


def post(client: PendoClient, *ids: str) -> list[tuple[str, str]]:
    entries = [{"visitorId": i, "values": {"plan": "pro"}} for i in ids]
    return [
        (o.record_id, o.outcome)
        for o in client.post_metadata("visitor", "custom", entries, list(ids), create=False)
    ]


MALFORMED = {
    "bad chunk size": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n{}\r\n0\r\n\r\n",
    "body shorter than its length": b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n{}",
    "HTTP/9": b"HTTP/9 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    "superscript digit in the status": "HTTP/1.1 2\u00b20 OK\r\nContent-Length: 2\r\n\r\n{}".encode(
        "latin-1"
    ),
    "no status line": b"\r\n\r\n",
    "closed without an answer": b"",
}


@pytest.mark.parametrize("bad", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_retried_and_never_acknowledges(bad: bytes) -> None:
    """The first try of each request gets `bad` (its connection then closes); the retry, a true answer."""
    tries: list[str] = []

    def handle(reader: IO[bytes], sock: socket.socket) -> None:
        request = read_request(reader)
        assert request is not None
        tries.append(request[0])
        sock.sendall(bad if len(tries) % 2 else answer(counts(request[2])))

    with serving(handle) as (host, port):
        client = client_for(f"http://{host}:{port}")
        assert post(client, "v1", "v2") == []  # both updated, by the second answer
        assert client.post_track("e1", {"event": "x"}) is None
    assert len(tries) == 4  # each request twice


def test_conflicting_content_lengths_acknowledge_nothing() -> None:
    """urllib3 refuses the answer before its retry policy sees it: the rows fail and go next run."""
    bad = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}"

    def handle(reader: IO[bytes], sock: socket.socket) -> None:
        if read_request(reader) is not None:
            sock.sendall(bad)

    with serving(handle) as (host, port):
        outcomes = post(client_for(f"http://{host}:{port}"), "v1", "v2")
    assert outcomes == [("v1", FAILED), ("v2", FAILED)]


def test_bytes_behind_an_answer_never_answer_the_next_request() -> None:
    """Each connection answers its first request truly, with a second, unrequested "all updated" answer
    behind it, then drops whatever comes next on it unanswered. Every row the client counts updated must
    have been answered for (a hand-made client once counted a quarter of such rows that never were)."""
    answered: list[str] = []

    def handle(reader: IO[bytes], sock: socket.socket) -> None:
        request = read_request(reader)
        if request is None:
            return
        answered.extend(e["visitorId"] for e in json.loads(request[2]))
        sock.sendall(answer(counts(request[2])) + answer(b'{"total": 1, "updated": 1, "failed": 0}'))
        read_request(reader)  # the next request on this connection: never answered

    ids = [f"v{i}" for i in range(20)]
    with serving(handle) as (host, port):
        client = client_for(f"http://{host}:{port}")
        outcomes = [post(client, i) for i in ids]
    assert outcomes == [[]] * 20
    assert sorted(answered) == sorted(ids)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_tls(ca: trustme.CA, *hosts: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(context)
    return context


def _schema_server(seen: list[str] | None = None) -> Handler:
    def handle(reader: IO[bytes], sock: socket.socket) -> None:
        while (request := read_request(reader)) is not None:
            if seen is not None:
                seen.append(request[1].get("host", ""))
            sock.sendall(answer(b'{"custom": {"plan": {"type": "string"}}}'))

    return handle


def test_https_trusts_the_ca_bundle_and_refuses_a_certificate_for_another_host(
    ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ca.cert_pem.tempfile() as ca_file:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
        with serving(_schema_server(), tls=_server_tls(ca, "localhost")) as (_, port):
            assert client_for(f"https://localhost:{port}", retries=0).get_schema("visitor").groups
        with (
            serving(_schema_server(), tls=_server_tls(ca, "pendo.example")) as (_, port),
            pytest.raises(PendoError, match=r"Hostname mismatch|doesn't match"),
        ):
            client_for(f"https://localhost:{port}", retries=0).get_schema("visitor")


def test_an_ipv6_host_is_reached_with_a_bracketed_host_header() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    seen: list[str] = []
    try:
        server = serving(_schema_server(seen), host="::1")
        _, port = server.__enter__()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        client_for(f"http://[::1]:{port}", retries=0).get_schema("visitor")
    finally:
        server.__exit__(None, None, None)
    assert seen == [f"[::1]:{port}"]


def _forward_proxy(seen: list[str]) -> Handler:
    """A forward proxy for http:// URLs: records the request line and answers as Pendo would."""

    def handle(reader: IO[bytes], sock: socket.socket) -> None:
        while (request := read_request(reader)) is not None:
            seen.append(request[0])
            sock.sendall(answer(b'{"custom": {}}'))

    return handle


def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_all_proxy_is_used_when_no_scheme_has_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_proxies(monkeypatch)
    seen: list[str] = []
    with serving(_forward_proxy(seen)) as (host, port):
        monkeypatch.setenv("ALL_PROXY", f"http://{host}:{port}")
        client_for("http://pendo.invalid", retries=0).get_schema("visitor")
    assert seen == ["GET http://pendo.invalid/api/v1/metadata/schema/visitor HTTP/1.1"]


def test_no_proxy_hosts_are_reached_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_proxies(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "localhost")
    with serving(_schema_server()) as (_, port):
        assert client_for(f"http://localhost:{port}", retries=0).get_schema("visitor").groups


def test_https_through_an_https_proxy_with_its_credentials(
    ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS to the proxy, a CONNECT tunnel inside it, TLS to Pendo inside that."""
    _no_proxies(monkeypatch)
    tunnels: list[tuple[str, str]] = []

    def tunnel(reader: IO[bytes], sock: socket.socket) -> None:
        request = read_request(reader)
        assert request is not None
        tunnels.append((request[0].rsplit(" ", 1)[0], request[1].get("proxy-authorization", "")))
        upstream = socket.create_connection(("127.0.0.1", int(request[0].split()[1].rsplit(":", 1)[1])))
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=_copy, args=(upstream, sock), daemon=True).start()
        _copy(sock, upstream)

    with (
        ca.cert_pem.tempfile() as ca_file,
        serving(_schema_server(), tls=_server_tls(ca, "localhost")) as (_, pendo_port),
        serving(tunnel, tls=_server_tls(ca, "localhost")) as (_, proxy_port),
    ):
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
        monkeypatch.setenv("HTTPS_PROXY", f"https://al%40ce:s3cr%3At@localhost:{proxy_port}")
        assert client_for(f"https://localhost:{pendo_port}", retries=0).get_schema("visitor").groups
    assert tunnels == [(f"CONNECT localhost:{pendo_port}", "Basic YWxAY2U6czNjcjp0")]


def _copy(source: socket.socket, sink: socket.socket) -> None:
    with sink, suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
