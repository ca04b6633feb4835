"""The incremental ratio alone, repeated: one full sync of N visitors, then K syncs after 1% changed each.

    .venv/bin/python bench/incremental.py [--visitors N] [--repeats K] [run.py's other flags]

bench/run.py measures one incremental per run; on a machine whose speed drifts between syncs, one pair
is a weak figure, and at N = 1M the ratio is mostly dbt's fixed start-up (docs/performance.md, eighth
session). This runs run.py's own phases (build, `measure_sync`) so the figures mean the same: each
rebuild flips the `bench_revision` var, which changes the same 1% of the visitors back and forth.
Then it opens the warehouse as a sync does (importing dbt, its flags, project, profile and adapter) in
fresh processes with no sync after it, and prints the floor that load sets: dbt's fastest load plus the
fastest in-model incremental, as a share of the full sync, which no start-up of pendo-dbt's own could beat.
Prints one line per measurement; writes nothing.
"""

from __future__ import annotations

import argparse
import subprocess

import run as bench

# Timed from before the first import; os._exit leaves out the interpreter's teardown, which a sync skips too.
_OPEN_WAREHOUSE = """
import os, sys, time
start = time.perf_counter()
from pathlib import Path
from pendo_sync.warehouse import DbtTarget, Warehouse
Warehouse(DbtTarget(Path("."), Path(".")))
print(time.perf_counter() - start, flush=True)
os._exit(0)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="incremental syncs after the full one")
    own, rest = parser.parse_known_args()
    args = bench.parse_args(["--no-profile", *rest])
    ctx = bench.make_context(args)
    ctx.project.deps(ctx.log("dbt"))
    bench.say(f"dbt build: {ctx.visitors:,} visitors")
    bench.build(ctx, revision=0, select=bench.VISITORS)
    full = bench.measure_sync(ctx, "sync_full", bench.VISITORS, bench.STATE_FULL, ctx.visitors)
    bench.say(f"full: {full.seconds:.1f} s (in-model {full.active_seconds:.1f} s)")
    in_model = []
    for i in range(own.repeats):
        bench.build(ctx, revision=1 - i % 2, select=bench.VISITORS)
        inc = bench.measure_sync(
            ctx, f"sync_incremental_{i}", bench.VISITORS, bench.STATE_FULL, ctx.visitors // 100
        )
        in_model.append(inc.active_seconds)
        bench.say(
            f"incremental {i + 1}: {inc.seconds:.1f} s = {inc.seconds / full.seconds:.3f} of full "
            f"(in-model {inc.active_seconds:.1f} s = {inc.active_seconds / full.active_seconds:.3f})"
        )
    loads = sorted(dbt_load_seconds(ctx) for _ in range(max(own.repeats, 3)))
    floor = (loads[0] + min(in_model)) / full.seconds
    bench.say(
        f"dbt's load alone (no sync): {loads[0]:.2f}-{loads[-1]:.2f} s; the fastest load and the fastest "
        f"in-model incremental together: {floor:.3f} of the full sync, a floor for any start-up"
    )


def dbt_load_seconds(ctx: bench.Context) -> float:
    """Opening the warehouse in a new process, as `pendo-dbt sync` does before its first model."""
    done = subprocess.run(
        [ctx.python, "-c", _OPEN_WAREHOUSE],
        cwd=ctx.project.directory,
        env=ctx.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


if __name__ == "__main__":
    main()
