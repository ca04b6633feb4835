"""The memory guard alone: peak RSS of a full sync of N visitors against N/10, each in a fresh DuckDB file.

    .venv/bin/python bench/memory.py [--visitors N] [run.py's other flags]

Each size gets a warehouse file of its own, holding only that model and the state its sync writes: a
sync of N/10 in a file that also holds N rows (and their state) would start from a larger buffer pool and
flatter the ratio. The same function gives bench/run.py its RSS phases. Prints one line per size and the
ratio; writes nothing.
"""

from __future__ import annotations

import argparse

import run as bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=bench.VISITORS_NARROW, help="the bench model to sync")
    own, rest = parser.parse_known_args()
    args = bench.parse_args(["--no-profile", *rest])
    ctx = bench.make_context(args)
    ctx.project.deps(ctx.log("dbt"))
    phases = bench.measure_memory(ctx, own.model)
    small, large = phases["rss_tenth"], phases["rss_full"]
    for phase in (small, large):
        bench.say(
            f"{phase.name}: {phase.rows:,} rows, {phase.seconds:.1f} s, peak RSS {phase.max_rss_mb:,.0f} MiB"
        )
    if small.max_rss_mb and large.max_rss_mb:
        bench.say(f"peak RSS at N / at N/10: {large.max_rss_mb / small.max_rss_mb:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
