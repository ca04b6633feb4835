"""HTTP/1.1 to one Pendo host over kept-alive sockets, doing as little as possible per request.

Why our own (docs/decisions/0008): Track takes one event per request, so what an HTTP library does per
request is most of an event sync's CPU. Sending pre-encoded events on loopback with 4 threads took 125 us
of CPU per event with bare `http.client` (urllib3: ~180, `requests`: ~620), 41 us for a minimal client
that writes a prebuilt block and reads by Content-Length, and 75 us through PendoClient on this module
(pacing, retries and outcomes included). What it does:
one connection per thread (reused while the server keeps it open; checked before reuse only after it sat
idle), TLS with SNI and certificate checks, `http://` proxies (a CONNECT tunnel to an https host, the
absolute URL to an http one), answers framed by Content-Length, chunked or connection close. What it does
not: redirects (Pendo's API answers in place), compression (never asked for), HTTP/2.

Failures raise urllib3's exception types, so urllib3's `Retry` (pacing.PendoRetry) classifies them as it
classifies its own: `NewConnectionError`/`ConnectTimeoutError` (nothing was sent: connect retries),
`ReadTimeoutError`/`ProtocolError` (sent, no usable answer: read retries), `ProxyError`, `SSLError`.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import IO
from urllib.parse import unquote, urlsplit

from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

IDLE_CHECK = 1.0  # seconds idle after which a kept-alive connection is checked before reuse
_MAX_LINE = 65536
_MAX_HEADERS = 100


class ProxyURLError(ValueError):
    """A proxy URL we cannot use, said in our words (urllib's may quote the URL, credentials and all)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased
    data: bytes


class Endpoint:
    """Where requests to one host go: the host itself, or the proxy the environment names for it."""

    def __init__(self, base_url: str, proxy: str | None = None) -> None:
        parts = urlsplit(base_url)
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.tls else 80)
        default_port = (443 if self.tls else 80) == self.port
        self.authority = self.host if default_port else f"{self.host}:{self.port}"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.proxy: tuple[str, int] | None = None
        self.proxy_auth = ""  # a Proxy-Authorization header line, or ""
        if proxy:
            p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            if p.scheme != "http":
                raise ProxyURLError(
                    f"the proxy for {self.host} is a {p.scheme}:// URL; give its http:// address (the "
                    "connection to Pendo through it is TLS either way)"
                )
            self.proxy = (p.hostname or "", p.port or 80)
            if p.username is not None:
                pair = f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
                self.proxy_auth = f"Proxy-Authorization: Basic {base64.b64encode(pair).decode()}\r\n"

    def __repr__(self) -> str:  # never the proxy's credentials
        return f"Endpoint({self.origin})"


class Connections:
    """Kept-alive connections to one endpoint, one per thread (each worker sends one request at a time)."""

    def __init__(
        self, endpoint: Endpoint, *, connect_timeout: float, read_timeout: float, ca_file: str | None
    ) -> None:
        self.endpoint = endpoint
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self._tls = ssl.create_default_context(cafile=ca_file) if endpoint.tls else None
        self._local = threading.local()
        self._open: set[_Connection] = set()
        self._lock = threading.Lock()
        self._description = f"HTTPConnection(host='{endpoint.host}', port={endpoint.port})"

    def request(self, method: str, url: str, body: bytes | None, headers: str) -> Answer:
        """One request to `url` (absolute, on this endpoint's host); `headers` are header lines, each ending
        in CRLF. Raises urllib3's HTTPError subclasses (see the module docstring)."""
        e = self.endpoint
        forwarded = e.proxy is not None and not e.tls  # an http proxy takes the absolute URL, no tunnel
        target = url if forwarded else url[len(e.origin) :]
        proxy_auth = e.proxy_auth if forwarded else ""
        length = "" if body is None else f"Content-Length: {len(body)}\r\n"
        head = f"{method} {target} HTTP/1.1\r\nHost: {e.authority}\r\n{headers}{proxy_auth}{length}\r\n"
        data = head.encode("latin-1")
        connection = self._connection()
        try:
            connection.sock.sendall(data + body if body else data)
            answer, reusable = _read_answer(connection.reader)
        except TimeoutError:
            self._discard(connection)
            raise ReadTimeoutError(
                self._description,  # type: ignore[arg-type]  # the pool it names is only text in the message
                url,
                f"Read timed out. (read timeout={self.read_timeout})",
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            self._discard(connection)
            raise ProtocolError("Connection aborted.", exc) from exc
        if reusable:
            connection.used = time.monotonic()
        else:
            self._discard(connection)
        return answer

    def close(self) -> None:
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()

    def _connection(self) -> _Connection:
        connection: _Connection | None = getattr(self._local, "connection", None)
        if connection is not None and (
            time.monotonic() - connection.used < IDLE_CHECK or not connection.dropped()
        ):
            return connection
        if connection is not None:
            self._discard(connection)
        connection = self._connect()
        self._local.connection = connection
        with self._lock:
            self._open.add(connection)
        return connection

    def _discard(self, connection: _Connection) -> None:
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None
        with self._lock:
            self._open.discard(connection)
        connection.close()

    def _connect(self) -> _Connection:
        e = self.endpoint
        address = e.proxy or (e.host, e.port)
        try:
            sock = socket.create_connection(address, timeout=self.connect_timeout)
        except OSError as exc:
            where = f"proxy {address[0]}:{address[1]}" if e.proxy else self._description
            error: HTTPError
            if isinstance(exc, TimeoutError):
                error = ConnectTimeoutError(
                    where, f"Connection timed out. (connect timeout={self.connect_timeout})"
                )
            else:  # the connection it names is only text in urllib3's message
                error = NewConnectionError(where, f"Failed to establish a new connection: {exc}")  # type: ignore[arg-type]
            raise (ProxyError("Unable to connect to proxy", error) if e.proxy else error) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a request is one write: send it now
            if e.proxy and e.tls:
                _tunnel(sock, e)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=e.host)
            sock.settimeout(self.read_timeout)
        except BaseException as exc:
            sock.close()
            if isinstance(exc, ssl.SSLError):
                raise SSLError(exc) from None
            if isinstance(exc, TimeoutError):
                raise ConnectTimeoutError(
                    self._description, f"TLS handshake with {e.host} timed out"
                ) from None
            if isinstance(exc, (OSError, http.client.HTTPException)):
                raise ProtocolError("Connection aborted.", exc) from None
            raise
        return _Connection(sock)


class _Connection:
    __slots__ = ("reader", "sock", "used")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader: IO[bytes] = sock.makefile("rb")
        self.used = time.monotonic()

    def dropped(self) -> bool:
        """An idle kept-alive connection that is readable was closed by the server (or holds junk)."""
        try:
            return bool(select.select([self.sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        for closable in (self.reader, self.sock):
            with contextlib.suppress(OSError):
                closable.close()


def _tunnel(sock: socket.socket, e: Endpoint) -> None:
    """CONNECT through the proxy to the Pendo host; raises ProxyError unless the proxy answers 2xx."""
    sock.sendall(
        f"CONNECT {e.host}:{e.port} HTTP/1.1\r\nHost: {e.host}:{e.port}\r\n{e.proxy_auth}\r\n".encode(
            "latin-1"
        )
    )
    reader = sock.makefile("rb")
    try:
        _, status, _ = _read_head(reader)
    finally:
        reader.close()
    if not 200 <= status < 300:
        raise ProxyError(
            "Unable to connect to proxy", OSError(f"the proxy answered HTTP {status} to CONNECT")
        )


def _read_answer(reader: IO[bytes]) -> tuple[Answer, bool]:
    """The answer and whether the connection can carry another request."""
    while True:
        version, status, headers = _read_head(reader)
        if not 100 <= status < 200:  # interim answers (e.g. 103) precede the real one
            break
    framing = headers.get("transfer-encoding", "").lower()
    if "chunked" in framing:
        data = _read_chunked(reader)
    elif "content-length" in headers:
        value = headers["content-length"]
        if not (value.isascii() and value.isdigit()):
            raise http.client.HTTPException(f"an invalid Content-Length: {value[:20]!r}")
        length = int(value)
        data = reader.read(length)
        if len(data) < length:
            raise http.client.IncompleteRead(data, length - len(data))
    elif status in (204, 304):
        data = b""
    else:
        return Answer(status, headers, reader.read()), False  # framed by the server closing
    connection = headers.get("connection", "").lower()
    reusable = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
    return Answer(status, headers, data), reusable


def _read_head(reader: IO[bytes]) -> tuple[str, int, dict[str, str]]:
    """The status line (version, status) and the header fields of one answer."""
    line = reader.readline(_MAX_LINE + 1)
    if not line:
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    parts = line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise http.client.BadStatusLine(line.decode("latin-1", "replace").strip())
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS + 1):
        line = reader.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return parts[0], int(parts[1]), headers
        if not line or len(line) > _MAX_LINE:
            raise http.client.IncompleteRead(line)
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    raise http.client.HTTPException(f"more than {_MAX_HEADERS} header lines")


def _read_chunked(reader: IO[bytes]) -> bytes:
    chunks: list[bytes] = []
    while True:
        line = reader.readline(_MAX_LINE + 1)
        try:
            size = int(line.split(b";", 1)[0], 16)
        except ValueError:
            raise http.client.IncompleteRead(b"".join(chunks)) from None
        if size < 0:
            raise http.client.IncompleteRead(b"".join(chunks))
        if size == 0:
            break
        chunk = reader.read(size + 2)  # the chunk and its CRLF
        if len(chunk) < size + 2:
            raise http.client.IncompleteRead(b"".join(chunks))
        chunks.append(chunk[:size])
    while reader.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):  # trailers
        pass
    return b"".join(chunks)
