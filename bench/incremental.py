"""The incremental ratio alone, repeated: one full sync of N visitors, then K syncs after 1% changed each.

    .venv/bin/python bench/incremental.py [--visitors N] [--repeats K] [run.py's other flags]

bench/run.py measures one incremental per run; on a machine whose speed drifts between syncs, one pair
is a weak figure, and at N = 1M the ratio is mostly dbt's fixed start-up (docs/performance.md, eighth
session). This runs run.py's own phases (build, `measure_sync`) so the figures mean the same: each
rebuild flips the `bench_revision` var, which changes the same 1% of the visitors back and forth.
Prints one line per sync; writes nothing.
"""

from __future__ import annotations

import argparse

import run as bench


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
    for i in range(own.repeats):
        bench.build(ctx, revision=1 - i % 2, select=bench.VISITORS)
        inc = bench.measure_sync(
            ctx, f"sync_incremental_{i}", bench.VISITORS, bench.STATE_FULL, ctx.visitors // 100
        )
        bench.say(
            f"incremental {i + 1}: {inc.seconds:.1f} s = {inc.seconds / full.seconds:.3f} of full "
            f"(in-model {inc.active_seconds:.1f} s = {inc.active_seconds / full.active_seconds:.3f})"
        )


if __name__ == "__main__":
    main()
