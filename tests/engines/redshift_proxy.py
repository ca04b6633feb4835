"""A TCP proxy that lets dbt-redshift's driver (redshift_connector) talk to a local PostgreSQL.

The driver sends Redshift-only startup parameters, which PostgreSQL refuses, and parses the server's
`server_version` expecting Redshift's "8.0.2". The proxy drops the unknown parameters from the startup
message and reports that version, and turns Redshift's `varchar(max)` into PostgreSQL's `varchar` in the
statements it forwards (simple and extended protocol); every other byte passes through unchanged. The engine behind it is still
PostgreSQL: Redshift's own limits (varchar = varchar(256), ...) are checked by golden SQL tests, not here.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType

# Startup parameters PostgreSQL accepts that the driver sends; the rest (client_protocol_version,
# driver_version, os_version, plugin_name, ...) exist on Redshift only.
KEPT = {b"user", b"database", b"application_name", b"options", b"client_encoding", b"DateStyle", b"TimeZone"}
SSL_REQUEST, GSS_REQUEST = 80877103, 80877104
REDSHIFT_VERSION = b"8.0.2"
VARCHAR_MAX = re.compile(rb"varchar\s*\(\s*max\s*\)", re.IGNORECASE)


class RedshiftProxy:
    """Listens on a free loopback port and forwards each connection to `upstream` (host, port)."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> RedshiftProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            startup = _startup_message(client)
            if startup is None:
                client.close()
                return
            server = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        server.sendall(startup)
        threading.Thread(target=_pump_rewriting_statements, args=(client, server), daemon=True).start()
        _pump_rewriting_version(server, client)


def _startup_message(client: socket.socket) -> bytes | None:
    """The client's startup message with only PostgreSQL's parameters; SSL/GSS requests are declined."""
    while True:
        head = _read(client, 8)
        if head is None:
            return None
        length, code = struct.unpack("!ii", head)
        body = _read(client, length - 8)
        if body is None:
            return None
        if code in (SSL_REQUEST, GSS_REQUEST):
            client.sendall(b"N")
            continue
        fields = body.rstrip(b"\0").split(b"\0")
        pairs = [(k, v) for k, v in zip(fields[::2], fields[1::2]) if k in KEPT]
        payload = struct.pack("!i", code) + b"".join(k + b"\0" + v + b"\0" for k, v in pairs) + b"\0"
        return struct.pack("!i", len(payload) + 4) + payload


def _pump_rewriting_statements(client: socket.socket, server: socket.socket) -> None:
    """Client to server, message by message, with `varchar(max)` made PostgreSQL's `varchar` in Query and
    Parse messages (their SQL is a null-terminated string, so the rewrite keeps the framing)."""
    _relay(client, server, _postgres_statement)


def _postgres_statement(message: bytes) -> bytes:
    if message[:1] not in (b"Q", b"P"):
        return message
    body = VARCHAR_MAX.sub(b"varchar", message[5:])
    return message[:1] + struct.pack("!i", len(body) + 4) + body


def _redshift_version(message: bytes) -> bytes:
    if message[:1] == b"S" and message[5:].startswith(b"server_version\0"):
        body = b"server_version\0" + REDSHIFT_VERSION + b"\0"
        return b"S" + struct.pack("!i", len(body) + 4) + body
    return message


def _pump_rewriting_version(server: socket.socket, client: socket.socket) -> None:
    """Server to client, message by message, with ParameterStatus(server_version) set to Redshift's."""
    _relay(server, client, _redshift_version)


def _relay(source: socket.socket, sink: socket.socket, rewrite: Callable[[bytes], bytes]) -> None:
    """Forward whole protocol messages (type byte, length, body), each through `rewrite`."""
    buffer = b""
    try:
        while chunk := source.recv(65536):
            buffer += chunk
            out = bytearray()
            while len(buffer) >= 5:
                length = struct.unpack("!i", buffer[1:5])[0]
                if len(buffer) < 1 + length:
                    break
                message, buffer = buffer[: 1 + length], buffer[1 + length :]
                out += rewrite(message)
            sink.sendall(bytes(out))
    except OSError:
        pass
    finally:
        _close(source, sink)


def _read(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.close()
