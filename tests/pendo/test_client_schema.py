"""PendoClient's schema calls over real HTTP: reading the schema, creating agent fields, and failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pendo_sync.errors import ConfigError, PendoAuthError, PendoError
from pendo_sync.pendo.client import Answer, ClientOptions, PendoClient, _masked
from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from pendo_sync.pendo.schema import PendoField
from pendo_sync.settings import PendoSettings, Secret

KEY = "test-key"


def client_for(url: str, key: str = KEY) -> PendoClient:
    settings = PendoSettings(url, url, Secret(key), Secret(""))
    return PendoClient(settings, ClientOptions(retries=0))


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(KEY) as emulator:
        emulator.seed({"schema": {"visitor": {"agent": {"email": "string"}, "custom": {"Seats": "integer"}}}})
        yield emulator


def test_get_schema_reads_fields_and_types(emu: Emulator) -> None:
    schema = client_for(emu.url).get_schema("visitor")
    assert schema.find("agent", "EMAIL") == PendoField("email", "string")
    assert schema.find("custom", "seats") == PendoField("Seats", "integer")
    assert schema.find("auto", "lastvisit") == PendoField("lastvisit", "time")


def test_create_fields_then_the_schema_has_them(emu: Emulator) -> None:
    client = client_for(emu.url)
    client.create_fields("account", "agent", [PendoField("tier", "string"), PendoField("since", "time")])
    schema = client.get_schema("account")
    assert schema.find("agent", "tier") == PendoField("tier", "string")
    assert schema.find("agent", "since") == PendoField("since", "time")


def test_a_refused_key_is_an_auth_error(emu: Emulator) -> None:
    with pytest.raises(PendoAuthError, match="Pendo refused the key"):
        client_for(emu.url, key="wrong").get_schema("visitor")


def test_refused_field_creation_is_a_pendo_error(emu: Emulator) -> None:
    with pytest.raises(
        PendoError, match=r"HTTP 400 to creating visitor agent field\(s\) tags: .*type must be"
    ):
        client_for(emu.url).create_fields("visitor", "agent", [PendoField("tags", "list")])


@contextmanager
def canned(status: int, body: bytes, seen: list[str] | None = None) -> Iterator[str]:
    """A loopback server answering every request with one status and body, as a misbehaving Pendo (or a
    proxy in front of it) might; yields its URL and appends each request's target to `seen`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if seen is not None:
                seen.append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<html>maintenance</html>", "not a JSON object of groups: <html>maintenance</html>"),
        (200, b"", "not a JSON object of groups"),
        (200, b"[1, 2]", "not a JSON object of groups"),
        (503, b"busy", "HTTP 503 to reading the visitor metadata schema: busy"),
        (404, b"", "HTTP 404 to reading the visitor metadata schema"),
    ],
)
def test_an_unreadable_schema_is_a_pendo_error(status: int, body: bytes, message: str) -> None:
    with canned(status, body) as url, pytest.raises(PendoError, match=message):
        client_for(url).get_schema("visitor")


def test_no_answer_is_a_pendo_error_naming_the_host_the_cause_and_the_fix() -> None:
    client = client_for("http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(PendoError) as raised:
        client.get_schema("visitor")
    assert str(raised.value) == (
        "No answer from Pendo at http://127.0.0.1:9 to reading the visitor metadata schema: [Errno 111] "
        "Connection refused. Check PENDO_REGION (or PENDO_BASE_URL) and that this machine can reach it"
    )


def use_proxy(monkeypatch: pytest.MonkeyPatch, scheme: str, url: str) -> None:
    """The environment names `url` as the proxy for `scheme` URLs, and nothing bypasses it."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in (f"{scheme.upper()}_PROXY", f"{scheme}_proxy"):
        monkeypatch.setenv(name, url)


def test_an_unreachable_proxy_is_named_without_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    use_proxy(monkeypatch, "http", "http://alice:pr0xy-pw@127.0.0.1:9")
    with pytest.raises(PendoError) as raised:
        client_for("http://pendo.invalid").get_schema("visitor")
    assert "Unable to connect to proxy" in str(raised.value) and "pr0xy-pw" not in str(raised.value)


def test_requests_go_through_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    with canned(200, b'{"custom": {"plan": {"type": "string"}}}', seen) as proxy:
        use_proxy(monkeypatch, "http", proxy)
        schema = client_for("http://pendo.invalid").get_schema("visitor")
    assert schema.find("custom", "plan") == PendoField("plan", "string")
    assert seen == ["http://pendo.invalid/api/v1/metadata/schema/visitor"]  # a forward proxy's request line


def test_a_proxy_url_of_no_known_scheme_is_a_configuration_error_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_proxy(monkeypatch, "https", "ftp://alice:pr0xy-pw@proxy.example:3128")
    with pytest.raises(ConfigError) as raised:
        client_for("https://app.pendo.io")
    assert "http://[user:password@]host:port" in str(raised.value) and "pr0xy-pw" not in str(raised.value)


def test_a_malformed_proxy_url_is_refused_without_quoting_it(monkeypatch: pytest.MonkeyPatch) -> None:
    use_proxy(monkeypatch, "https", "http://bob:s3cr3t/pw@proxy.example:3128")  # "/" in the password
    with pytest.raises(ConfigError, match="not a valid URL") as raised:
        client_for("https://app.pendo.io")
    assert "s3cr3t" not in str(raised.value)


def test_a_schema_nested_deeper_than_python_recurses_is_a_pendo_error() -> None:
    with canned(200, b"[" * 100_000) as url, pytest.raises(PendoError, match="not a JSON object"):
        client_for(url).get_schema("visitor")


def test_an_answer_that_echoes_the_request_has_the_key_masked(emu: Emulator) -> None:
    """A proxy or server that sends the request back would otherwise quote the key in our reasons."""
    emu.faults.set(parse_faults([{"match": "/api/v1/metadata", "status": 400, "echo": True}]))
    client = client_for(emu.url)
    with pytest.raises(PendoError) as raised:
        client.get_schema("visitor")
    assert "x-pendo-integration-key: ********" in str(raised.value) and KEY not in str(raised.value)
    [outcome] = client.post_metadata("visitor", "custom", [{"visitorId": "u1"}], ["u1"], create=False)
    assert outcome.outcome == "rejected" and "********" in outcome.reason and KEY not in outcome.reason


def test_a_secret_inside_another_is_masked_after_it() -> None:
    settings = PendoSettings(
        "http://127.0.0.1:9", "http://127.0.0.1:9", Secret("k-0123456789"), Secret("0123")
    )
    client = PendoClient(settings)
    answer = Answer(400, b"x-pendo-integration-key: k-0123456789")
    assert _masked(answer, client._secrets).data == b"x-pendo-integration-key: ********"
