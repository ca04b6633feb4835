"""A tiny HTTP server that answers every request with one recorded Pendo answer, byte for byte.

The emulator answers as we believe Pendo does; this answers as public sources show Pendo did
(tests/fixtures/pendo/README.md), so a misreading shared by the client and the emulator still fails a test.
A fixture is a `.http` file: status line and headers (one a line), a blank line, then the body. The head
goes out with HTTP's CRLF line endings, the body exactly as stored; Content-Length is added when the
fixture has none, and each connection closes after its answer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pendo"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def raw_answer(name: str) -> bytes:
    """The fixture `responses/<name>.http` as it goes on the wire."""
    text = (FIXTURES / "responses" / f"{name}.http").read_bytes()
    head, _, body = text.partition(b"\n\n")
    lines = head.split(b"\n")
    if not any(line.lower().startswith(b"content-length:") for line in lines):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join([*lines, b"Connection: close", b"", b""]) + body


@dataclass
class Replay:
    """Serves one fixture to every request on loopback and records what the client sent."""

    name: str
    requests: list[Recorded] = field(default_factory=list)

    def __enter__(self) -> Replay:
        answer, requests = raw_answer(self.name), self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
                self.wfile.write(answer)
                self.close_connection = True

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
