"""Raw ceilings: the least a client must do to deliver the same records to the same emulator.

Bodies are encoded beforehand, so only HTTP is timed. Worker threads (as many as pendo-dbt's --threads)
pull requests from one shared iterator over keep-alive connections. The metadata client shares one
requests.Session. For events, where one small request is one row and so the HTTP library's own cost can be
the ceiling, there are three clients: urllib3, bare http.client, and a socket client that writes each
request as one prebuilt block and reads the answer by its Content-Length: the least any client can do,
and less than any maintained HTTP library does (urllib3, which pendo-dbt uses, also parses every answer
strictly and handles chunked answers, TLS, proxies and dropped connections). A `requests.Session` events client (~940 events/s against ~4,600 for http.client)
is no longer run: since decision 0006 it could not be the ceiling, and it took 3.5 min.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

KEY_HEADER = "x-pendo-integration-key"
JSON = "application/json; charset=utf-8"


@dataclass
class RawResult:
    seconds: float
    requests: int
    failures: int


def post_metadata(url: str, key: str, bodies: Sequence[tuple[str, bytes]], threads: int) -> RawResult:
    """Every pre-encoded bulk body, posted with one shared requests.Session."""
    session = _session(threads)
    headers = {"Content-Type": JSON, KEY_HEADER: key}

    def make_sender() -> Callable[[tuple[str, bytes]], bool]:
        def send(item: tuple[str, bytes]) -> bool:
            path, body = item
            response = session.post(url + path, data=body, headers=headers, timeout=120)
            return response.status_code == 200

        return send

    try:
        return _drive(bodies, threads, make_sender)
    finally:
        session.close()


def post_events_urllib3(
    host: str, port: int, secret: str, bodies: Sequence[bytes], threads: int
) -> RawResult:
    """One Track event per request through one urllib3 connection pool, shared as requests shares its own."""
    pool = urllib3.HTTPConnectionPool(host, port, maxsize=threads, block=True, retries=False, timeout=120.0)
    headers = {"Content-Type": JSON, KEY_HEADER: secret}

    def make_sender() -> Callable[[bytes], bool]:
        def send(body: bytes) -> bool:
            return pool.urlopen("POST", "/data/track", body=body, headers=headers).status == 200

        return send

    try:
        return _drive(bodies, threads, make_sender)
    finally:
        pool.close()


def post_events_http_client(
    host: str, port: int, secret: str, bodies: Sequence[bytes], threads: int
) -> RawResult:
    """One Track event per request over bare http.client, one keep-alive connection per thread."""
    headers = {"Content-Type": JSON, KEY_HEADER: secret}

    def make_sender() -> Callable[[bytes], bool]:
        connection = http.client.HTTPConnection(host, port, timeout=120)

        def send(body: bytes) -> bool:
            connection.request("POST", "/data/track", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status == 200

        return send

    return _drive(bodies, threads, make_sender)


def post_events_socket(host: str, port: int, secret: str, bodies: Sequence[bytes], threads: int) -> RawResult:
    """One Track event per request, written to a kept-alive socket per thread as one prebuilt block."""
    head = (
        f"POST /data/track HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {JSON}\r\n"
        f"{KEY_HEADER}: {secret}\r\nContent-Length: "
    ).encode()

    def make_sender() -> Callable[[bytes], bool]:
        sock = socket.create_connection((host, port), timeout=120)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")

        def send(body: bytes) -> bool:
            sock.sendall(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status = int(reader.readline().split(None, 2)[1])
            length = 0
            for line in iter(reader.readline, b"\r\n"):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            reader.read(length)
            return status == 200

        return send

    return _drive(bodies, threads, make_sender)


def _session(threads: int) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=threads)
    session.mount("http://", adapter)
    return session


def _drive(items: Iterable[Any], threads: int, make_sender: Callable[[], Callable[[Any], bool]]) -> RawResult:
    """Send every item from `threads` workers; each worker gets its own sender (and so connection)."""
    source, lock = iter(items), threading.Lock()
    counts = {"requests": 0, "failures": 0}

    def worker() -> None:
        send, sent, failed = make_sender(), 0, 0
        while True:
            with lock:
                item = next(source, None)
            if item is None:
                break
            sent += 1
            failed += 0 if send(item) else 1
        with lock:
            counts["requests"] += sent
            counts["failures"] += failed

    workers = [threading.Thread(target=worker, name=f"raw-{i}") for i in range(threads)]
    start = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return RawResult(time.perf_counter() - start, counts["requests"], counts["failures"])
