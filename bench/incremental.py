"""The incremental guard alone, repeated: one full sync of N visitors, then K pairs of an incremental sync
after 1% changed and a sync with nothing changed.

    .venv/bin/python bench/incremental.py [--visitors N] [--repeats K] [run.py's other flags]

bench/run.py measures one pair per run; on a machine whose speed drifts between syncs, one pair is a weak
figure. The guard is the *marginal* cost: an incremental's time minus a no-change sync's time (dbt's
load, reading the manifest, the diff's scan of the model and its state: what every run pays), against a
full sync's time minus the same. This runs run.py's own phases (build, `measure_sync`) so the figures mean
the same: each rebuild flips the `bench_revision` var, which changes the same 1% of the visitors back and
forth. Prints one line per pair, the range of the ratio, and the ratio of the fastest incremental and the
fastest unchanged sync (the least disturbed by other work on the machine); writes nothing.
"""

from __future__ import annotations

import argparse

import run as bench
from harness.report import marginal_incremental


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="pairs of syncs after the full one")
    own, rest = parser.parse_known_args()
    args = bench.parse_args(["--no-profile", *rest])
    ctx = bench.make_context(args)
    ctx.project.deps(ctx.log("dbt"))
    bench.say(f"dbt build: {ctx.visitors:,} visitors")
    bench.build(ctx, revision=0, select=bench.VISITORS)
    full = bench.measure_sync(ctx, "sync_full", bench.VISITORS, bench.STATE_FULL, ctx.visitors)
    bench.say(f"full: {full.seconds:.1f} s")
    values, incrementals, unchanged = [], [], []
    for i in range(own.repeats):
        bench.build(ctx, revision=1 - i % 2, select=bench.VISITORS)
        name = f"sync_incremental_{i}"
        inc = bench.measure_sync(ctx, name, bench.VISITORS, bench.STATE_FULL, ctx.visitors // 100)
        same = bench.measure_sync(ctx, f"sync_unchanged_{i}", bench.VISITORS, bench.STATE_FULL, 0)
        ratio = marginal_incremental(full, inc, same)
        values.append(ratio.value)
        incrementals.append(inc)
        unchanged.append(same)
        bench.say(
            f"pair {i + 1}: incremental {inc.seconds:.1f} s, nothing changed {same.seconds:.1f} s: {ratio.value:.3f}"
        )
    bench.say(f"marginal incremental / marginal full, per pair: {min(values):.3f} to {max(values):.3f}")
    # A busy machine slows single syncs at random; the fastest of each kind is the least disturbed.
    fastest = marginal_incremental(
        full, min(incrementals, key=lambda p: p.seconds), min(unchanged, key=lambda p: p.seconds)
    )
    bench.say(
        f"fastest incremental and fastest unchanged: {fastest.value:.3f} (target <= 0.10); {fastest.basis}"
    )


if __name__ == "__main__":
    main()
