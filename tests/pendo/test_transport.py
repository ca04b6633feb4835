"""transport.py over real loopback sockets: framing, reuse, dropped connections, TLS and proxy tunnels.

Each server here is a few lines of raw socket code with a scripted answer, so the answers can be what a
well-behaved server rarely sends (chunked, interim, close-delimited, nothing at all).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO

import pytest
import trustme
from urllib3.exceptions import NewConnectionError, ProtocolError, ProxyError, ReadTimeoutError, SSLError
from urllib3.util.retry import Retry

from pendo_sync.pendo import transport
from pendo_sync.pendo.transport import Connections, Endpoint

Handler = Callable[[IO[bytes], socket.socket], None]  # serves one accepted connection


@contextmanager
def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[socket.socket]]]:
    """A loopback server running `handler` per connection; yields its address and the accepted sockets."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

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
            accepted.append(sock)
            threading.Thread(target=_serve, args=(handler, sock), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        listener.close()
        for sock in accepted:
            sock.close()


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


def answering(*answers: bytes) -> Handler:
    """Answer each request on a connection with the next of `answers`, then close it."""

    def handle(reader: IO[bytes], sock: socket.socket) -> None:
        for answer in answers:
            if read_request(reader) is None:
                return
            sock.sendall(answer)

    return handle


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def connections(address: str, *, scheme: str = "http", proxy: str | None = None, **kw: object) -> Connections:
    options = {"connect_timeout": 5.0, "read_timeout": 5.0, "ca_file": None, **kw}
    return Connections(Endpoint(f"{scheme}://{address}", proxy), **options)  # type: ignore[arg-type]


def test_a_kept_alive_connection_carries_every_request_of_a_thread() -> None:
    with serving(answering(OK, OK, OK)) as (address, accepted):
        client = connections(address)
        answers = [client.request("POST", f"http://{address}/data/track", b"{}", "") for _ in range(3)]
        client.close()
    assert [(a.status, a.data) for a in answers] == [(200, b"ok")] * 3
    assert len(accepted) == 1


def test_the_request_is_sent_as_written_with_host_and_length() -> None:
    seen = []

    def handle(reader: IO[bytes], sock: socket.socket) -> None:
        seen.append(read_request(reader))
        sock.sendall(OK)

    with serving(handle) as (address, _):
        connections(address).request(
            "POST", f"http://{address}/api/v1/x?create=true", b'{"a":1}', "X-K: v\r\n"
        )
    assert seen == [
        (
            "POST /api/v1/x?create=true HTTP/1.1",
            {"host": address, "x-k": "v", "content-length": "7"},
            b'{"a":1}',
        )
    ]


def test_chunked_answers_with_extensions_and_trailers_are_read_whole() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n'
    )
    with serving(answering(chunked, OK)) as (address, accepted):
        client = connections(address)
        first = client.request("GET", f"http://{address}/", None, "")
        second = client.request("GET", f"http://{address}/", None, "")
    assert (first.data, second.data, len(accepted)) == (b'{"a":1}', b"ok", 1)


def test_an_answer_framed_by_close_is_read_and_the_next_request_reconnects() -> None:
    unframed = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n\r\nbusy"
    with serving(answering(unframed)) as (address, accepted):
        client = connections(address)
        first = client.request("GET", f"http://{address}/", None, "")
        second = client.request("GET", f"http://{address}/", None, "")
    assert (first.status, first.data, first.headers["retry-after"]) == (503, b"busy", "2")
    assert second.status == 503 and len(accepted) == 2


def test_connection_close_and_http_1_0_answers_are_not_reused() -> None:
    close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    with serving(answering(close)) as (a, first), serving(answering(old)) as (b, second):
        for address in (a, b):
            client = connections(address)
            for _ in range(2):
                assert client.request("GET", f"http://{address}/", None, "").data == b"ok"
    assert (len(first), len(second)) == (2, 2)


def test_interim_answers_are_skipped() -> None:
    with serving(answering(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK)) as (address, _):
        answer = connections(address).request("GET", f"http://{address}/", None, "")
    assert (answer.status, answer.data) == (200, b"ok")


def test_an_idle_connection_the_server_closed_is_replaced_before_reuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Servers drop idle kept-alive connections; reusing one would cost the request a failed try."""
    monkeypatch.setattr(transport, "IDLE_CHECK", 0.0)
    closed = threading.Event()

    def answer_once(reader: IO[bytes], sock: socket.socket) -> None:
        answering(OK)(reader, sock)
        sock.shutdown(socket.SHUT_RDWR)  # closed for the client now, whoever still holds the socket
        closed.set()

    with serving(answer_once) as (address, accepted):
        client = connections(address)
        client.request("GET", f"http://{address}/", None, "")
        assert closed.wait(5)
        answer = client.request("GET", f"http://{address}/", None, "")
    assert answer.data == b"ok" and len(accepted) == 2


def test_no_answer_is_a_read_error_urllib3_retries() -> None:
    def hang_up(reader: IO[bytes], sock: socket.socket) -> None:
        read_request(reader)

    with serving(hang_up) as (address, _), pytest.raises(ProtocolError) as raised:
        connections(address).request("POST", f"http://{address}/data/track", b"{}", "")
    assert "Remote end closed connection without response" in str(raised.value)
    assert Retry(read=1)._is_read_error(raised.value)


def test_a_slow_answer_is_a_read_timeout() -> None:
    never = threading.Event()

    def stall(reader: IO[bytes], sock: socket.socket) -> None:
        read_request(reader)
        never.wait(10)

    with serving(stall) as (address, _), pytest.raises(ReadTimeoutError, match=r"read timeout=0.2"):
        connections(address, read_timeout=0.2).request("GET", f"http://{address}/", None, "")
    never.set()


def test_a_refused_connection_is_a_connection_error_naming_the_cause() -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        address = f"127.0.0.1:{closed.getsockname()[1]}"
    with pytest.raises(NewConnectionError, match=r"\[Errno 111\] Connection refused") as raised:
        connections(address).request("GET", f"http://{address}/", None, "")
    assert Retry(connect=1)._is_connection_error(raised.value)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    return context


def test_https_checks_the_certificate_against_the_ca_bundle(ca: trustme.CA) -> None:
    with ca.cert_pem.tempfile() as ca_file, serving(answering(OK, OK), tls=_server_tls(ca)) as (address, _):
        port = address.split(":")[1]
        answer = connections(f"localhost:{port}", scheme="https", ca_file=ca_file).request(
            "GET", f"https://localhost:{port}/", None, ""
        )
        with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            connections(f"localhost:{port}", scheme="https", ca_file=None).request(
                "GET", f"https://localhost:{port}/", None, ""
            )
    assert answer.data == b"ok"


def test_https_goes_through_a_connect_tunnel_with_the_proxy_credentials(ca: trustme.CA) -> None:
    tunnels: list[tuple[str, dict[str, str]]] = []

    def tunnel(reader: IO[bytes], sock: socket.socket) -> None:
        request = read_request(reader)
        assert request is not None
        tunnels.append((request[0], request[1]))
        port = request[0].split()[1].rsplit(":", 1)[1]
        upstream = socket.create_connection(("127.0.0.1", int(port)))
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pump = threading.Thread(target=_copy, args=(upstream, sock), daemon=True)
        pump.start()
        _copy(sock, upstream)

    with (
        ca.cert_pem.tempfile() as ca_file,
        serving(answering(OK, OK), tls=_server_tls(ca)) as (pendo, _),
        serving(tunnel) as (proxy, _),
    ):
        port = pendo.split(":")[1]
        client = connections(
            f"localhost:{port}", scheme="https", proxy=f"http://al%40ce:s3cr%3At@{proxy}", ca_file=ca_file
        )
        answers = [client.request("GET", f"https://localhost:{port}/x", None, "") for _ in range(2)]
    assert [a.data for a in answers] == [b"ok", b"ok"]
    assert tunnels == [
        (
            f"CONNECT localhost:{port} HTTP/1.1",
            {"host": f"localhost:{port}", "proxy-authorization": "Basic YWxAY2U6czNjcjp0"},
        )
    ]


def _copy(source: socket.socket, sink: socket.socket) -> None:
    with sink, suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)


def test_a_proxy_that_refuses_the_tunnel_is_a_proxy_error() -> None:
    refuse = answering(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
    with serving(refuse) as (proxy, _), pytest.raises(ProxyError, match="HTTP 407 to CONNECT"):
        connections("pendo.invalid:443", scheme="https", proxy=f"http://{proxy}").request(
            "GET", "https://pendo.invalid/x", None, ""
        )


def test_an_https_proxy_url_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="give its http:// address"):
        Endpoint("https://app.pendo.io", "https://proxy.example:3128")


def test_an_endpoint_shows_no_proxy_credentials() -> None:
    endpoint = Endpoint("https://app.pendo.io", "http://alice:pw@proxy.example:3128")
    assert "pw" not in repr(endpoint) and "alice" not in repr(endpoint)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nok\r\n0\r\n\r\n",
    ],
)
def test_a_malformed_frame_is_a_read_error_urllib3_retries(answer: bytes) -> None:
    with serving(answering(answer)) as (address, _), pytest.raises(ProtocolError) as raised:
        connections(address).request("POST", f"http://{address}/data/track", b"{}", "")
    assert Retry(read=1)._is_read_error(raised.value)
