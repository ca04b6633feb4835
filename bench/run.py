"""pendo-dbt benchmark: one command, one table of ratios against raw ceilings (issue 6).

    .venv/bin/python bench/run.py [--visitors N] [--events M] [--quick] [--no-profile] [--source DIR]

Builds bench/project (N visitors, N/10 visitors, M events, made in SQL on DuckDB), then measures, each
against a fresh emulator in its own process: a raw client posting the same records pre-encoded, pendo-dbt
sync (full, then incremental after 1% of visitors change, N/10, events), a naive hand-written script,
and one full sync under py-spy. Prints the table and writes bench/results.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from harness import raw
from harness.emulator import EmulatorProcess
from harness.proc import run_measured, self_cpu_seconds
from harness.profiling import py_spy, record, summarize
from harness.project import (
    EVENTS,
    EVENTS_DISTANT,
    VISITORS,
    VISITORS_NARROW,
    VISITORS_TENTH,
    Project,
    event_bodies,
    metadata_bodies,
)
from harness.report import Phase, bottleneck_notes, distant_lines, ratios, render
from harness.syncrun import SyncRun, run_sync, sync_command

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
KEY, SECRET = "bench-integration-key", "bench-track-secret"
STATE_FULL, STATE_EVENTS, STATE_PROFILE, STATE_DISTANT = (
    "bench_state_full",
    "bench_state_events",
    "bench_state_profile",
    "bench_state_distant",
)
# A distant Pendo: every answer late by this many seconds (loopback answers in about a millisecond).
DISTANT_DELAYS = {"/data/track": 0.1, "/api/v1/metadata/": 0.5}
# The distant phases run at pendo-dbt's defaults but for the threads: no --max-rps lift.
DISTANT_ARGS = ("--max-rps", "100")


@dataclass(frozen=True)
class Context:
    """Everything a phase needs: sizes, tools, paths and the environment every subprocess gets."""

    visitors: int
    events: int
    distant_events: int
    threads: int
    batch_size: int
    naive_rows: int
    work: Path
    project: Project
    pendo_dbt: str
    python: str
    env: dict[str, str]
    stock_emulator: bool
    sync_args: tuple[str, ...]

    def log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def emulator(self, name: str) -> EmulatorProcess:
        if self.stock_emulator:
            command = [self.pendo_dbt, "emulator"]
        else:
            command = [self.python, str(BENCH / "emulator_server.py")]
        return EmulatorProcess(command, self.env, self.work, name)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="pendo-dbt benchmark harness (see bench/README.md)")
    parser.add_argument("--visitors", type=int, help="visitor rows N (default 1,000,000; --quick 100,000)")
    parser.add_argument("--events", type=int, help="event rows M (default 200,000; --quick 20,000)")
    parser.add_argument(
        "--distant-events",
        type=int,
        help="events sent to the distant (slow-answering) Pendo, at 100/s at best (default 1,500; --quick 500)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a run of a few minutes")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="concurrency of every client on loopback (pendo-dbt's `--threads auto` starts at 4)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="records per bulk request (pendo-dbt's default)"
    )
    parser.add_argument("--naive-rows", type=int, default=5000, help="rows the naive script sends")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile of a full sync")
    parser.add_argument(
        "--source", type=Path, help="import pendo_sync from this directory (e.g. another checkout)"
    )
    parser.add_argument(
        "--stock-emulator",
        action="store_true",
        help="run `pendo-dbt emulator` as is (matters only with --source: see bench/emulator_server.py)",
    )
    parser.add_argument(
        "--sync-args",
        default="--max-rps 10000",
        help="extra `pendo-dbt sync` flags (default lifts the 100 requests/s cap meant for Pendo: the "
        "emulator has no rate limit, and the benchmark measures the code; '' runs pure defaults)",
    )
    parser.add_argument("--output", type=Path, default=BENCH / "results.json")
    args = parser.parse_args(argv)
    args.visitors = args.visitors or (100_000 if args.quick else 1_000_000)
    args.events = args.events or (20_000 if args.quick else 200_000)
    args.distant_events = min(args.distant_events or (500 if args.quick else 1_500), args.events)
    return args


def make_context(args: argparse.Namespace) -> Context:
    """A fresh work dir and warehouse each run, so no state of an earlier run can flatter this one."""
    work = BENCH / ".work"
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "PENDO_INTEGRATION_KEY": KEY,
        "PENDO_TRACK_EVENT_SECRET": SECRET,
    }
    env["PENDO_BENCH_DUCKDB"] = str(work / "warehouse.duckdb")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    if args.source:
        env["PYTHONPATH"] = str(args.source.resolve())
    project = Project(BENCH / "project", work / "warehouse.duckdb", str(bin_dir / "dbt"), env)
    return Context(
        args.visitors,
        args.events,
        args.distant_events,
        args.threads,
        args.batch_size,
        args.naive_rows,
        work,
        project,
        str(bin_dir / "pendo-dbt"),
        sys.executable,
        env,
        args.stock_emulator,
        ("--threads", str(args.threads), *shlex.split(args.sync_args)),
    )


def say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')}  {message}", flush=True)


def build(ctx: Context, revision: int, select: str | None = None) -> float:
    start = time.perf_counter()
    sizes = {
        "bench_visitors": ctx.visitors,
        "bench_events": ctx.events,
        "bench_distant_events": ctx.distant_events,
    }
    ctx.project.build(sizes, revision, ctx.log("dbt"), select)
    return time.perf_counter() - start


def measure_raw_metadata(ctx: Context) -> Phase:
    bodies = metadata_bodies(ctx.project, VISITORS, ctx.batch_size)
    with ctx.emulator("raw_metadata") as emulator:
        cpu, emulator_cpu = self_cpu_seconds(), emulator.cpu_seconds()
        result = raw.post_metadata(emulator.url, KEY, bodies, ctx.threads)
        phase = Phase("raw_metadata", ctx.visitors, result.seconds, result.seconds, self_cpu_seconds() - cpu)
        phase.emulator_cpu_seconds = emulator.cpu_seconds() - emulator_cpu
        _check_delivered(phase, emulator.accepted_rows(), 2 * ctx.visitors, result.failures)
    phase.details = {"requests": result.requests, "request_bytes": sum(len(b) for _, b in bodies)}
    return phase


def measure_raw_events(ctx: Context, bodies: list[bytes], client: str) -> Phase:
    name = f"raw_events_{client}"
    with ctx.emulator(name) as emulator:
        cpu, emulator_cpu = self_cpu_seconds(), emulator.cpu_seconds()
        if client == "urllib3":
            result = raw.post_events_urllib3("127.0.0.1", emulator.port, SECRET, bodies, ctx.threads)
        elif client == "http_client":
            result = raw.post_events_http_client("127.0.0.1", emulator.port, SECRET, bodies, ctx.threads)
        else:
            result = raw.post_events_socket("127.0.0.1", emulator.port, SECRET, bodies, ctx.threads)
        phase = Phase(name, len(bodies), result.seconds, result.seconds, self_cpu_seconds() - cpu)
        phase.emulator_cpu_seconds = emulator.cpu_seconds() - emulator_cpu
        _check_delivered(phase, emulator.accepted_rows(), len(bodies), result.failures)
    return phase


def measure_sync(
    ctx: Context,
    name: str,
    model: str,
    state_schema: str,
    expected: int,
    distant_threads: str | None = None,
) -> Phase:
    """One `pendo-dbt sync` subprocess against a fresh emulator; `expected` rows must be sent. With
    `distant_threads` ('auto' or a count), against a distant Pendo (DISTANT_DELAYS) at the default rate."""
    with ctx.emulator(name) as emulator:
        env = {**ctx.env, "PENDO_BASE_URL": emulator.url}
        extra = ctx.sync_args
        if distant_threads:
            emulator.set_faults([{"match": path, "delay": d} for path, d in DISTANT_DELAYS.items()])
            extra = (*DISTANT_ARGS, "--threads", distant_threads)
        # A sync follows the user's `dbt run` with the same target and vars, so its parse is partial.
        ctx.project.parse(ctx.log("dbt"), {"pendo_sync_schema": state_schema})
        emulator_cpu = emulator.cpu_seconds()
        run = run_sync(ctx.pendo_dbt, ctx.project.directory, model, state_schema, env, ctx.log(name), extra)
        phase = _sync_phase(name, run)
        phase.emulator_cpu_seconds = emulator.cpu_seconds() - emulator_cpu
        # a visitor row is one record in each of two groups
        per_row = 1 if model in (EVENTS, EVENTS_DISTANT) else 2
        _check_delivered(phase, emulator.accepted_rows(), per_row * expected, run.model.get("failed", 0))
    if run.model.get("sent") != expected:
        raise RuntimeError(f"{name}: pendo-dbt sent {run.model.get('sent')} rows, expected {expected}")
    return phase


def _sync_phase(name: str, run: SyncRun) -> Phase:
    m = run.measured
    phase = Phase(
        name,
        int(run.model["sent"]),
        m.seconds,
        run.model_seconds or m.seconds,
        m.cpu_seconds,
        0.0,
        m.max_rss_mb,
    )
    keys = ("rows_in_model", "changed", "sent", "updated", "missing", "rejected", "failed")
    phase.details = {"results": {k: run.model.get(k) for k in keys}, "rss_source": m.rss_source}
    return phase


def _check_delivered(phase: Phase, accepted: int, expected: int, failures: int) -> None:
    """A fast wrong answer is no answer: the emulator must have accepted every record sent."""
    if accepted != expected or failures:
        raise RuntimeError(
            f"{phase.name}: emulator accepted {accepted} records, expected {expected}; {failures} failed"
        )
    phase.details["emulator_accepted_records"] = accepted


def measure_memory(ctx: Context, model: str = VISITORS_NARROW) -> dict[str, Phase]:
    """Peak RSS of a full sync of N/10 and of N rows of `model`, each in a DuckDB file of its own that
    holds nothing else (the guard compares sizes, not a small model in a big file)."""
    phases = {}
    for name, rows in (("rss_tenth", ctx.visitors // 10), ("rss_full", ctx.visitors)):
        path = ctx.work / f"{name}.duckdb"
        path.unlink(missing_ok=True)
        env = {**ctx.env, "PENDO_BENCH_DUCKDB": str(path)}
        project = replace(ctx.project, duckdb_path=path, env=env)
        sized = replace(ctx, project=project, env=env, visitors=rows)
        build(sized, revision=0, select=model)
        phases[name] = measure_sync(sized, name, model, f"bench_state_{name}", rows)
        phases[name].details["model"] = model
        path.unlink()
    ctx.project.parse(ctx.log("dbt"))  # the manifest names the database: the shared warehouse's again
    return phases


def measure_naive(ctx: Context) -> Phase:
    """The hand-written script on a subset; its rows/s is what the speed-up is against."""
    script = BENCH / "naive_baseline.py"
    with ctx.emulator("naive") as emulator:
        command = [ctx.python, str(script), "--project-dir", str(ctx.project.directory), "--model", VISITORS]
        command += ["--rows", str(ctx.naive_rows), "--url", emulator.url, "--key", KEY]
        emulator_cpu = emulator.cpu_seconds()
        measured = run_measured(command, env=ctx.env, cwd=ctx.project.directory, log=ctx.log("naive"))
        emulator_cpu = emulator.cpu_seconds() - emulator_cpu
    match = re.search(r"NAIVE_RESULT (\{.*\})", measured.log.read_text())
    if measured.returncode or match is None:
        raise RuntimeError(f"the naive script failed; see {measured.log}")
    result = json.loads(match.group(1))
    phase = Phase(
        "naive",
        result["rows"],
        measured.seconds,
        measured.seconds,
        measured.cpu_seconds,
        emulator_cpu,
        measured.max_rss_mb,
    )
    phase.details = {k: round(v, 2) for k, v in result.items() if k.endswith("seconds")}
    return phase


def profile_full_sync(ctx: Context) -> dict[str, Any] | None:
    """A full sync of N under py-spy, in a state schema of its own (so it is a first sync too)."""
    if py_spy() is None:
        say("py-spy not found: skipping the profile (.venv/bin/pip install py-spy)")
        return None
    output = ctx.work / "profile.speedscope.json"
    with ctx.emulator("profile") as emulator:
        env = {**ctx.env, "PENDO_BASE_URL": emulator.url}
        command = sync_command(ctx.pendo_dbt, ctx.project.directory, VISITORS, STATE_PROFILE, ctx.sync_args)
        returncode = record(command, output, env, ctx.project.directory, ctx.log("profile"))
    if returncode or not output.exists():
        say(f"py-spy run failed (exit {returncode}); see {ctx.log('profile')}")
        return None
    return {"speedscope": str(output.relative_to(REPO)), **summarize(output)}


def machine() -> dict[str, Any]:
    """What the figures were measured on and with: they mean nothing without it."""
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    return {
        "cores": os.cpu_count(),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "memory_gib": round(int(memory.group(1)) / 1024**2, 1) if memory else None,
        "python": platform.python_version(),
        "dbt-core": metadata.version("dbt-core"),
        "duckdb": metadata.version("duckdb"),
        "requests": metadata.version("requests"),
        "repo_commit": _git("rev-parse", "--short", "HEAD"),
        "repo_pendo_sync_uncommitted_changes": bool(_git("status", "--porcelain", "pendo_sync")),
    }


def _git(*args: str) -> str:
    result = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    return result.stdout.strip()


def run_phases(
    ctx: Context, profile: bool
) -> tuple[dict[str, Phase], dict[str, float], dict[str, Any] | None]:
    """Every measurement, in an order where each starts from the state it needs and each ratio's two sides
    are measured one after the other (but the naive script's, far from its target): a 2-vCPU machine's
    speed can drift by 10-50% over a run (an incremental measured 10 minutes after its full sync once came
    out at 0.17 of it instead of 0.11)."""
    phases: dict[str, Phase] = {}
    timings = {}
    say(
        f"dbt deps + dbt build: {ctx.visitors:,} visitors, {ctx.visitors // 10:,} visitors, {ctx.events:,} events"
    )
    ctx.project.deps(ctx.log("dbt"))
    timings["dbt_build_seconds"] = round(build(ctx, revision=0), 1)

    def add(phase: Phase) -> None:
        phases[phase.name] = phase
        say(
            f"{phase.name}: {phase.rows:,} rows in {phase.seconds:.1f} s = {phase.rows_per_second:,.0f} rows/s"
        )

    say("raw metadata ceiling")
    add(measure_raw_metadata(ctx))
    say("pendo-dbt sync, full, N")
    add(measure_sync(ctx, "sync_full", VISITORS, STATE_FULL, ctx.visitors))
    say("rebuild with 1% of visitors changed")
    timings["dbt_rebuild_seconds"] = round(build(ctx, revision=1, select=VISITORS), 1)
    say("pendo-dbt sync, incremental")
    add(measure_sync(ctx, "sync_incremental", VISITORS, STATE_FULL, ctx.visitors // 100))
    say("pendo-dbt sync, nothing changed")
    add(measure_sync(ctx, "sync_unchanged", VISITORS, STATE_FULL, 0))
    say(
        f"peak RSS: full syncs of {ctx.visitors // 10:,} and {ctx.visitors:,} rows, each in a fresh DuckDB file"
    )
    for phase in measure_memory(ctx).values():
        add(phase)
    bodies = event_bodies(ctx.project, EVENTS)
    for client in ("urllib3", "http_client", "socket"):
        say(f"raw events ceiling ({client})")
        add(measure_raw_events(ctx, bodies, client))
    del bodies
    say("pendo-dbt sync, events")
    add(measure_sync(ctx, "sync_events", EVENTS, STATE_EVENTS, ctx.events))
    for threads in (str(ctx.threads), "auto"):
        say(f"distant Pendo, --threads {threads}: events, then N/10 visitors")
        schema = f"{STATE_DISTANT}_{threads}"
        name = f"distant_events_{threads}"
        add(measure_sync(ctx, name, EVENTS_DISTANT, schema, ctx.distant_events, threads))
        name = f"distant_tenth_{threads}"
        add(measure_sync(ctx, name, VISITORS_TENTH, schema, ctx.visitors // 10, threads))
    say(f"naive script, {ctx.naive_rows:,} rows")
    add(measure_naive(ctx))
    summary = None
    if profile:
        say("py-spy profile of a full sync of N")
        summary = profile_full_sync(ctx)
    return phases, timings, summary


def profile_lines(summary: dict[str, Any] | None) -> list[str]:
    if not summary:
        return []
    head = f"py-spy profile of a full sync ({summary['sampled_seconds']:,.0f} s sampled; {summary['speedscope']})"
    by_file = "; ".join(f"{name} {share:.0%}" for name, share in summary["self_by_file"][:8])
    lines = [head, f"  self time by file: {by_file}"]
    for thread in summary["threads"][:4]:
        top = "; ".join(f"{name} {share:.0%}" for name, share in thread["self"][:4])
        lines.append(f"  {thread['thread']} ({thread['share_of_all_samples']:.0%} of samples): {top}")
    return lines


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    ctx = make_context(args)
    start = time.perf_counter()
    phases, timings, summary = run_phases(ctx, profile=not args.no_profile)
    table, notes = ratios(phases), bottleneck_notes(phases)
    print("\n" + render(phases, table, notes))
    distant = distant_lines(phases, str(ctx.threads), DISTANT_DELAYS)
    print("\n".join(distant))
    for line in profile_lines(summary):
        print(line)
    results = {
        "machine": machine(),
        "sizes": {
            "visitors": ctx.visitors,
            "events": ctx.events,
            "distant_events": ctx.distant_events,
            "threads": ctx.threads,
            "batch_size": ctx.batch_size,
            "naive_rows": ctx.naive_rows,
            "sync_args": list(ctx.sync_args),
            "source": str(args.source) if args.source else "installed",
        },
        "ratios": [asdict(r) for r in table],
        "notes": notes,
        "distant": distant,
        "phases": {name: phase.as_json() for name, phase in phases.items()},
        "timings": {**timings, "total_seconds": round(time.perf_counter() - start, 1)},
        "profile": summary,
    }
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {args.output} (total {results['timings']['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
