"""--notify: a real sync posts its alert to a local HTTP receiver (a tiny http.server); a receiver that
fails is a warning, never the sync's failure; the webhook URL never shows."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import KEY, TRACK, Project

TOKEN = "T0/B0/webhook-token-sEcReT"


class Receiver:
    """Takes JSON posts and answers with `status`."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append({"path": self.path, "json": json.loads(body)})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/{TOKEN}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


def assert_no_secret(text: str) -> None:
    for secret in (TOKEN, KEY, TRACK):
        assert secret not in text


def test_a_failed_run_posts_its_models_counts_reasons_and_run_id(
    project: Project, emulator: Emulator, receiver: Receiver
) -> None:
    emulator.faults.set(
        parse_faults([{"match": "/api/v1/metadata/account/", "method": "POST", "status": 403}])
    )
    # one model at a time (the profile's threads), so the visitors are not reached
    result = project.sync(emulator, "--notify", receiver.url, env={"PENDO_SYNC_TEST_THREADS": "1"})
    assert result.exit_code == 1, result.output
    [post] = receiver.posts
    assert post["path"] == f"/services/{TOKEN}"
    message = post["json"]
    assert message["status"] == "failed" and message["exit_code"] == 1 and message["target"] == project.target
    assert message["run_id"] == project.results()["run_id"]
    assert [(m["model"], m["status"]) for m in message["models"]] == [
        ("pendo_accounts", "error"),
        ("pendo_visitors", "skipped"),
    ]
    assert "- pendo_accounts (account) ERROR: " in message["text"] and "refused" in message["text"]
    assert_no_secret(json.dumps(message))
    assert_no_secret(result.output)


def test_a_passing_run_posts_only_with_notify_on_always_to_every_url_of_the_environment(
    project: Project, emulator: Emulator, receiver: Receiver
) -> None:
    env = {"PENDO_SYNC_NOTIFY": f"{receiver.url}, {receiver.url}/second"}
    quiet = project.sync(emulator, env=env)
    assert quiet.exit_code == 0 and receiver.posts == []
    loud = project.sync(emulator, "--notify-on", "always", env=env)
    assert loud.exit_code == 0, loud.output
    assert [p["path"] for p in receiver.posts] == [f"/services/{TOKEN}", f"/services/{TOKEN}/second"]
    message = receiver.posts[0]["json"]
    assert message["status"] == "passed" and message["totals"]["changed"] == 0
    assert message["text"].startswith(
        f"pendo-dbt sync on target '{project.target}' passed (exit 0): 2 models"
    )


def test_a_receiver_that_fails_or_is_gone_is_a_warning_and_the_exit_code_stays_the_syncs(
    project: Project, emulator: Emulator, receiver: Receiver
) -> None:
    receiver.status = 500
    failing = project.sync(emulator, "--notify", receiver.url, "--notify-on", "always")
    assert failing.exit_code == 0, failing.output
    assert (
        "[WARNING] Could not notify 127.0.0.1: HTTP 500 (the sync's outcome is unchanged)" in failing.output
    )
    receiver.close()
    gone = project.sync(emulator, "--notify", receiver.url, "--notify-on", "always")
    assert gone.exit_code == 0, gone.output
    assert "[WARNING] Could not notify 127.0.0.1: " in gone.output
    assert_no_secret(failing.output + gone.output)


def test_a_configuration_error_is_alerted_and_a_bad_webhook_is_one(
    project: Project, emulator: Emulator, receiver: Receiver
) -> None:
    result = project.sync(emulator, "--select", "no_such_model", "--notify", receiver.url)
    assert result.exit_code == 2, result.output
    [post] = receiver.posts
    assert post["json"]["status"] == "configuration error" and "no_such_model" in post["json"]["text"]
    bad = project.sync(emulator, "--notify", f"hooks.example.com/{TOKEN}")
    assert bad.exit_code == 2 and "not an http(s) URL" in bad.output
    assert_no_secret(bad.output)
