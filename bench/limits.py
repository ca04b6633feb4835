"""Against Pendo's rate limits: what a user waits for, and what our CPU costs per row, at default flags.

    .venv/bin/python bench/limits.py [--visitors 60000] [--events 300] [--limit 10] [--latency 0.04]
                                     [--cpu-events 3000]

Pendo allows about 100 requests per second per endpoint (each metadata kind and group, and Track), so a
sync's time is bounded by requests / limit per endpoint, endpoints in parallel. To make a run long enough
to measure, the emulator (in a process of its own) allows `--limit` requests per second per endpoint and
answers `--latency` seconds late. pendo-dbt runs with its default flags (`--max-rps 100`, `--threads
auto`), as a user would, and has to find the limit itself. Measured, each a ratio in this run:
1. metadata for N visitors (two groups, batches of 1,000): the model's time against the ideal
   (N / 1,000 requests per group / limit), and the 429s it met; then again with `--max-rps` at the limit,
   as a user who knows it would run;
2. M Track events: the model's time against M / limit;
3. K Track events at Pendo's own limit (100/s), for the CPU per event at the rate Pendo allows;
4. the visitors and the M events in one sync: with the profile's `threads: 1` (one model after the other)
   and `threads: 2` (both at once, each endpoint at its own limit): the ideal is the longer model's time
   rather than the sum of both;
and for each of 1-3, the CPU per row: the sync's CPU minus that of a sync of the same model with nothing left to
send (start-up and the diff, measured right after), divided by the rows sent.
Each sync must deliver every row (the emulator's own log is checked). Writes bench/limits.json.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import run as bench
from harness.syncrun import SyncRun, run_sync

BATCH = 1000  # pendo-dbt's default --batch-size
TIME_TARGET = 1.3  # of the ideal time
CPU_TARGET_MS = 1.0  # per event: a tenth of a core at Pendo's 100 events/s
PENDO_LIMIT = 100.0  # requests/s per endpoint


@dataclass
class Figure:
    name: str
    rows: int
    limit: float  # requests/s per endpoint the emulator allowed
    requests_per_endpoint: int
    ideal_seconds: float
    seconds: float  # the model's own time, as pendo-dbt reports it
    wall_seconds: float  # the whole command, start-up included
    throttled: int  # 429 answers
    cpu_seconds: float
    idle_cpu_seconds: float  # the same sync with nothing to send

    @property
    def ratio(self) -> float:
        return self.seconds / self.ideal_seconds

    @property
    def cpu_ms_per_row(self) -> float:
        return 1000 * (self.cpu_seconds - self.idle_cpu_seconds) / self.rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=60_000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument(
        "--limit", type=float, default=10.0, help="requests/s per endpoint the emulator allows"
    )
    parser.add_argument("--latency", type=float, default=0.04, help="seconds every answer is late")
    parser.add_argument("--cpu-events", type=int, default=3000, help="events sent at 100/s (phase 3)")
    parser.add_argument("--output", type=Path, default=bench.BENCH / "limits.json")
    parser.add_argument(
        "--only-pair", action="store_true", help="only phase 4 (the two models in one sync, then at once)"
    )
    return parser.parse_args()


def measure(
    ctx: bench.Context,
    args: argparse.Namespace,
    model: str,
    rows: int,
    per_row: int,
    limit: float,
    flags: tuple[str, ...] = (),
) -> Figure:
    """A first sync of `model` and one with nothing left to send, against one limited emulator."""
    name = f"{model}{''.join(flags).replace('-', '_')}"
    state = f"{name}_limits_state"
    with ctx.emulator(f"limits_{name}") as emulator:
        emulator.configure({"rate_limit": limit, "latency": args.latency})
        env = {**ctx.env, "PENDO_BASE_URL": emulator.url}
        first = _sync(ctx, model, state, env, f"{name}_first", flags)
        accepted, throttled = emulator.accepted_rows(), emulator.throttled()
        idle = _sync(ctx, model, state, env, f"{name}_idle", flags)
    if accepted != per_row * rows or first.model.get("sent") != rows or first.model.get("failed"):
        raise RuntimeError(f"{model}: {accepted} records accepted, expected {per_row * rows}: see the logs")
    requests = math.ceil(rows / BATCH) if per_row == 2 else rows
    return Figure(
        " ".join((model, *flags)),
        rows,
        limit,
        requests,
        requests / limit,
        first.model_seconds,
        first.measured.seconds,
        throttled,
        first.measured.cpu_seconds or 0.0,
        idle.measured.cpu_seconds or 0.0,
    )


@dataclass
class Pair:
    """The visitors and the events in one sync, with `threads` models at once."""

    threads: int
    seconds: float  # the whole command
    visitors_seconds: float
    events_seconds: float
    throttled: int
    max_rss_mib: float  # the whole process's peak

    @property
    def models_seconds(self) -> float:
        return self.visitors_seconds + self.events_seconds


def measure_pair(ctx: bench.Context, args: argparse.Namespace, threads: int) -> Pair:
    """A first sync of both models against one limited emulator, with the profile's `threads`."""
    name = f"pair_threads_{threads}"
    with ctx.emulator(f"limits_{name}") as emulator:
        emulator.configure({"rate_limit": args.limit, "latency": args.latency})
        env = {**ctx.env, "PENDO_BASE_URL": emulator.url, "PENDO_BENCH_THREADS": str(threads)}
        extra = ("--select", bench.EVENTS_DISTANT)
        run = run_sync(
            ctx.pendo_dbt, ctx.project.directory, bench.VISITORS, f"{name}_state", env, ctx.log(name), extra
        )
        accepted, throttled = emulator.accepted_rows(), emulator.throttled()
    results = json.loads((ctx.project.directory / "target" / "pendo_sync_results.json").read_text())
    seconds = {m["model"]: float(m["seconds"]) for m in results["models"] if m["status"] == "ok"}
    if accepted != 2 * args.visitors + args.events or set(seconds) != {bench.VISITORS, bench.EVENTS_DISTANT}:
        raise RuntimeError(f"pair with threads {threads}: {accepted} records accepted: see the logs")
    visitors, events = seconds[bench.VISITORS], seconds[bench.EVENTS_DISTANT]
    return Pair(threads, run.measured.seconds, visitors, events, throttled, run.measured.max_rss_mb or 0.0)


def _sync(
    ctx: bench.Context, model: str, state: str, env: dict[str, str], name: str, flags: tuple[str, ...]
) -> SyncRun:
    return run_sync(ctx.pendo_dbt, ctx.project.directory, model, state, env, ctx.log(f"limits_{name}"), flags)


def main() -> None:
    args = parse_args()
    sizes = ["--visitors", str(args.visitors), "--events", str(args.cpu_events)]
    ctx = bench.make_context(bench.parse_args([*sizes, "--distant-events", str(args.events)]))
    ctx.project.deps(ctx.log("dbt"))
    bench.say(f"dbt build: {args.visitors:,} visitors, {args.events:,} and {args.cpu_events:,} events")
    bench.build(ctx, revision=0)
    figures = []
    known = ("--max-rps", f"{args.limit:g}")  # a user who knows the limit
    phases = (
        (bench.VISITORS, args.visitors, 2, args.limit, ()),
        (bench.VISITORS, args.visitors, 2, args.limit, known),
        (bench.EVENTS_DISTANT, args.events, 1, args.limit, ()),
        (bench.EVENTS, args.cpu_events, 1, PENDO_LIMIT, ()),
    )
    for model, rows, per_row, limit, flags in () if args.only_pair else phases:
        figures.append(measure(ctx, args, model, rows, per_row, limit, flags))
        bench.say(f"{model}: {figures[-1].seconds:.1f} s")
    pairs = [measure_pair(ctx, args, threads) for threads in (1, 2)]
    print(
        f"\nAgainst an emulator allowing N requests/s per endpoint, answering {args.latency * 1000:g} ms late:"
    )
    print(f"{'model':<34}{'rows':>8}{'N/s':>5}{'req/endpoint':>14}{'ideal s':>9}{'model s':>9}{'ratio':>7}"
          f"{'wall s':>8}{'429s':>6}{'CPU ms/row':>12}")  # fmt: skip
    for f in figures:
        print(
            f"{f.name:<34}{f.rows:>8,}{f.limit:>5g}{f.requests_per_endpoint:>14}{f.ideal_seconds:>9.1f}"
            f"{f.seconds:>9.1f}{f.ratio:>7.2f}{f.wall_seconds:>8.1f}{f.throttled:>6}{f.cpu_ms_per_row:>12.3f}"
        )
    print(f"targets: model time <= {TIME_TARGET}x ideal, few 429s; CPU <= {CPU_TARGET_MS:g} ms per event")
    print(f"\n{args.visitors:,} visitors and {args.events:,} events in one sync, by the profile's threads:")
    print(
        f"{'threads':>8}{'visitors s':>12}{'events s':>10}{'sum s':>8}{'wall s':>8}{'429s':>6}{'peak MiB':>10}"
    )
    for p in pairs:
        print(
            f"{p.threads:>8}{p.visitors_seconds:>12.1f}{p.events_seconds:>10.1f}{p.models_seconds:>8.1f}"
            f"{p.seconds:>8.1f}{p.throttled:>6}{p.max_rss_mib:>10.0f}"
        )
    one, two = pairs
    print(
        f"wall at threads 2 / threads 1: {two.seconds / one.seconds:.2f}; saved {one.seconds - two.seconds:.1f} s "
        f"of the shorter model's {min(one.visitors_seconds, one.events_seconds):.1f} s"
    )
    result = {
        "machine": bench.machine(),
        "limit": args.limit,
        "latency": args.latency,
        "figures": [{**asdict(f), "ratio": f.ratio, "cpu_ms_per_row": f.cpu_ms_per_row} for f in figures],
        "pairs": [asdict(p) for p in pairs],
    }
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
