"""What reading state as "latest row per key" costs the diff: DuckDB, N visitors all in state, 1% changed.

    .venv/bin/python bench/state_diff.py [--visitors 1000000] [--repeats 5]

State is append-only (docs/decisions/0022-append-only-state-in-chunks.md): every reader ranks a key's rows
by `seq` (state_sql.latest_state). This times sync's very diff SQL (diffs.metadata_diff) as it is, and
the same SQL with each latest-state subquery swapped for the plain filtered table (how the diff read state
when it held one row per key), in the same process, alternating, so the machine's load hits both alike.
Also times the diff over a state holding two rows per key (what Spark, which cannot compact, keeps after
every key changed once). Prints the fastest of each and the ratios; writes nothing.
"""

from __future__ import annotations

import argparse
import time

import duckdb

from pendo_sync import diffs
from pendo_sync import state_sql as sql

MODEL = "model.bench.visitors"
GROUPS = (
    diffs.GroupHash("agent", "fp-agent", ("email", "login_count")),
    diffs.GroupHash("custom", "fp-custom", ("plan_tier",)),
)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    d = sql.dialect_for("duckdb", quote)
    db = duckdb.connect()
    db.execute("create schema st")
    for statement in sql.create_tables("st", d):
        db.execute(statement)
    db.execute(
        f"create table m as select 'v' || i as user_id, 'u' || i || '@x.example' as email, "
        f"i % 97 as login_count, 'tier' || (i % 5) as plan_tier from range({args.visitors}) t(i)"
    )
    for g in GROUPS:  # every visitor in state, as after a full sync; then 1% of the model changes
        hashed = d.row_hash(g.fingerprint, [quote(c) for c in g.columns])
        db.execute(
            f"insert into st.{quote(sql.STATE)} select '{MODEL}', '{g.group}', user_id, {hashed}, now(), 'r', 1 from m"
        )
    db.execute("update m set email = email || '.changed' where hash(user_id) % 100 = 0")
    columns = ["email", "login_count", "plan_tier"]
    latest = diffs.metadata_diff("m", "st", MODEL, "user_id", columns, GROUPS, d)
    plain = latest
    for g in GROUPS:
        table = (
            f"(select * from st.{quote(sql.STATE)} where model_id = '{MODEL}' and pendo_group = '{g.group}')"
        )
        plain = plain.replace(sql.latest_state("st", MODEL, d, g.group), table)
    assert plain != latest

    def timed(query: str) -> tuple[float, int]:
        start = time.perf_counter()
        count = db.execute(f"select count(*) from ({query}) d").fetchone()
        return time.perf_counter() - start, int(count[0]) if count else 0

    runs: dict[str, list[float]] = {"one row per key, plain read": [], "one row per key, latest read": []}
    counts = set()
    for _ in range(args.repeats):
        for name, query in zip(runs, (plain, latest)):
            seconds, changed = timed(query)
            runs[name].append(seconds)
            counts.add(changed)
    assert len(counts) == 1, counts  # both read the same state
    db.execute(
        f"insert into st.{quote(sql.STATE)} select model_id, pendo_group, record_key, row_hash, now(), 'r', 2 from st.{quote(sql.STATE)}"
    )
    runs["two rows per key, latest read"] = [timed(latest)[0] for _ in range(args.repeats)]
    base = min(runs["one row per key, plain read"])
    print(f"diff of {args.visitors:,} visitors, {counts.pop():,} changed (fastest of {args.repeats}):")
    for name, seconds in runs.items():
        print(f"  {name}: {min(seconds):.3f} s ({min(seconds) / base:.2f}x)")


if __name__ == "__main__":
    main()
