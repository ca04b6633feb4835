"""Round trips against a distant warehouse: a first sync of N visitors into PostgreSQL, direct and through a
TCP proxy that adds 50 ms per round trip, against the emulator (--max-rps high, so Pendo is not the limit).

    .venv/bin/python bench/latency_proxy.py [--visitors 200000] [--delay 0.025] [--engine postgres|duckdb]

A cloud warehouse costs 50-500 ms per statement; on loopback PostgreSQL that cost is invisible, so the proxy
puts it back: each chunk from client to server waits `--delay` seconds, and each chunk back waits as long
(chunks keep their order; delays overlap, as on a real link). Prints each sync's time, the ratio (target
<= 1.3x) and the statements each run sent (RunReport.warehouse_statements). `--engine duckdb` (no proxy:
DuckDB runs in the process) counts the statements of a first sync of N visitors there.
Needs PostgreSQL at PENDO_SYNC_TEST_PG_HOST/PORT (default 127.0.0.1:5432) for the postgres engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from harness.emulator import EmulatorProcess, free_port

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
KEY = "bench-latency-key"


class LatencyProxy:
    """A TCP proxy on its own thread (asyncio) adding `delay` seconds to each chunk in each direction."""

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        self.target, self.delay, self.port = target, delay, free_port()
        self.chunks_up = 0  # client -> server chunks: about the round trips the run waited for
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(
            self._pipe(reader, upstream_writer, True), self._pipe(upstream_reader, writer, False)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: bool) -> None:
        """Read chunks as they come; deliver each `delay` after it arrived, in order."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()
            writer.close()

        delivery = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(65536):
                self.chunks_up += up
                queue.put_nowait((time.monotonic() + self.delay, data))
        except ConnectionError:
            pass
        queue.put_nowait((0.0, b""))
        await delivery


def write_project(directory: Path, visitors: int) -> None:
    (directory / "models").mkdir(parents=True)
    (directory / "dbt_project.yml").write_text(
        "name: latency_bench\nversion: '1.0'\nconfig-version: 2\nprofile: latency_bench\n"
        f"vars:\n  latency_visitors: {visitors}\n"
    )
    (directory / "packages.yml").write_text(f"packages:\n  - local: {REPO}\n")
    pg = (
        '      type: postgres\n      host: \'{{ env_var("PENDO_SYNC_TEST_PG_HOST", "127.0.0.1") }}\'\n'
        '      user: \'{{ env_var("PENDO_SYNC_TEST_PG_USER", "postgres") }}\'\n'
        '      password: \'{{ env_var("PENDO_SYNC_TEST_PG_PASSWORD", "") }}\'\n'
        '      dbname: \'{{ env_var("PENDO_SYNC_TEST_PG_DB", "test") }}\'\n      schema: latency_bench\n'
        "      threads: 2\n"
    )
    (directory / "profiles.yml").write_text(
        "latency_bench:\n  target: direct\n  outputs:\n"
        "    direct:\n"
        + pg
        + '      port: \'{{ env_var("PENDO_SYNC_TEST_PG_PORT", "5432") | as_number }}\'\n'
        "    proxied:\n" + pg + '      port: \'{{ env_var("LATENCY_PROXY_PORT", "5432") | as_number }}\'\n'
        "    duckdb:\n      type: duckdb\n      path: latency.duckdb\n      schema: main\n      threads: 2\n"
    )
    (directory / "models" / "latency_visitors.sql").write_text(
        "select 'lv' || cast(i as varchar) as user_id, 'u' || cast(i as varchar) || '@x.example' as email,\n"
        "    cast(mod(i, 7) as integer) as login_count\n"
        "{% if target.type == 'duckdb' %}from range(0, {{ var('latency_visitors') }}) t(i)\n"
        "{% else %}from generate_series(0, {{ var('latency_visitors') }} - 1) as t(i){% endif %}\n"
    )
    (directory / "models" / "schema.yml").write_text(
        "version: 2\nmodels:\n  - name: latency_visitors\n    config:\n      meta:\n        pendo:\n"
        "          object: visitor\n          id_column: user_id\n          missing: create\n"
        "          fields:\n            agent: {email: email, login_count: login_count}\n"
    )


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def sync(directory: Path, target: str, env: dict[str, str]) -> tuple[float, int]:
    """A first sync (a fresh state schema): seconds and warehouse statements."""
    state = json.dumps({"pendo_sync_schema": f"latency_{uuid.uuid4().hex[:8]}"})
    flags = ["--project-dir", str(directory), "--profiles-dir", str(directory), "--target", target]
    command = [sys.executable, "-m", "pendo_sync", "sync", *flags, "--vars", state, "--max-rps", "10000"]
    start = time.monotonic()
    run(command, directory, env)
    seconds = time.monotonic() - start
    results = json.loads((directory / "target" / "pendo_sync_results.json").read_text())
    assert results["totals"]["updated"] > 0, results
    return seconds, int(results["warehouse_statements"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=200_000)
    parser.add_argument("--delay", type=float, default=0.025, help="seconds added to each chunk each way")
    parser.add_argument("--engine", choices=("postgres", "duckdb"), default="postgres")
    parser.add_argument("--repeats", type=int, default=2, help="syncs of each kind; the fastest counts")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pendo-latency-"))
    (work / "logs").mkdir()
    directory = work / "project"
    write_project(directory, args.visitors)
    dbt = str(Path(sys.executable).with_name("dbt"))
    env = {**os.environ, "DO_NOT_TRACK": "1", "PENDO_INTEGRATION_KEY": KEY}
    flags = ["--project-dir", str(directory), "--profiles-dir", str(directory)]
    target = "direct" if args.engine == "postgres" else "duckdb"
    try:
        run([dbt, "deps", *flags], directory, env)
        run([dbt, "run", *flags, "--target", target], directory, env)
        emulator_command = [sys.executable, str(BENCH / "emulator_server.py")]
        with EmulatorProcess(emulator_command, env, work, "latency") as emulator:
            env["PENDO_BASE_URL"] = emulator.url
            if args.engine == "duckdb":
                seconds, statements = sync(directory, target, env)
                print(f"duckdb: {args.visitors:,} visitors in {seconds:.1f} s, {statements} statements")
                return
            pg = (
                os.environ.get("PENDO_SYNC_TEST_PG_HOST", "127.0.0.1"),
                int(os.environ.get("PENDO_SYNC_TEST_PG_PORT", "5432")),
            )
            direct, proxied = [], []
            with LatencyProxy(pg, args.delay) as proxy:
                env["LATENCY_PROXY_PORT"] = str(proxy.port)
                for _ in range(args.repeats):  # alternating, so the machine's load hits both alike
                    direct.append(sync(directory, target, env))
                    proxied.append(sync(directory, "proxied", env))
                chunks = proxy.chunks_up // args.repeats
            (seconds, statements), (slow, slow_statements) = min(direct), min(proxied)
            print(f"postgres direct: {args.visitors:,} visitors in {seconds:.1f} s, {statements} statements")
            print(
                f"postgres + {2 * args.delay * 1000:.0f} ms per round trip: {slow:.1f} s, "
                f"{slow_statements} statements, ~{chunks} client->server chunks per run; "
                f"ratio {slow / seconds:.2f}x (target <= 1.3x; fastest of {args.repeats} each)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
