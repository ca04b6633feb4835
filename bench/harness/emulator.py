"""The Pendo emulator in a process of its own, fresh for every measurement.

In its own process the emulator does not share a GIL with the client being measured, and a fresh one per
measurement means every client meets the same empty server. Its CPU time is sampled from /proc so the
report can say when the server, not the client, was the limit (a Python http.server uses at most about
one core, whatever the number of connections).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from harness.proc import process_cpu_seconds

# The mapped fields of bench/project/models/schema.yml, as Pendo's schema would declare them.
SCHEMA = {
    "visitor": {
        "agent": {"email": "string", "login_count": "integer"},
        "custom": {"plan_tier": "string", "arr": "float", "last_login": "time", "is_admin": "boolean"},
    }
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmulatorProcess:
    """The emulator as a subprocess; a context manager that waits until it answers.

    `command` is the command line without the port and seed: `pendo-dbt emulator` (stock) or
    bench/emulator_server.py (the same emulator with TCP_NODELAY; see that file for why).
    """

    def __init__(self, command: list[str], env: dict[str, str], work: Path, name: str) -> None:
        self.base_command, self.env, self.work, self.name = command, env, work, name
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> EmulatorProcess:
        seed = self.work / "emulator_seed.json"
        seed.write_text(json.dumps({"schema": SCHEMA}))
        log = (self.work / "logs" / f"emulator-{self.name}.log").open("w")
        command = [*self.base_command, "--port", str(self.port), "--seed", str(seed)]
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)  # Ctrl-C is how the emulator is meant to stop
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited at start; see {self.work}/logs")
            try:
                self._get("/_emulator/requests")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the emulator did not answer within 30 s")

    def cpu_seconds(self) -> float:
        assert self.process is not None
        return process_cpu_seconds(self.process.pid)

    def accepted_rows(self) -> int:
        """Rows of the requests it answered 200: proof that a client really delivered what it claims."""
        log = self._get("/_emulator/requests")["requests"]
        return sum(entry["rows"] for entry in log if entry["status"] == 200)

    def set_faults(self, faults: list[dict[str, Any]]) -> None:
        """Fault rules (pendo_sync/pendo/faults.py), e.g. a delay on every answer: a distant Pendo."""
        self._post("/_emulator/faults", {"faults": faults})

    def configure(self, settings: dict[str, Any]) -> None:
        """Emulator settings (`POST /_emulator/settings`), e.g. a per-endpoint rate limit and latency."""
        self._post("/_emulator/settings", settings)

    def throttled(self) -> int:
        """Requests it answered 429."""
        return sum(1 for entry in self._get("/_emulator/requests")["requests"] if entry["status"] == 429)

    def _post(self, path: str, body: Any) -> None:
        request = urllib.request.Request(
            self.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60):
            pass

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=60) as response:
            return json.load(response)
