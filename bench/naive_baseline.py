"""The naive baseline: reverse ETL as it is often written by hand, for comparison only.

Loads the model with dbt (`dbt show --limit -1`, which builds an agate table of every row in memory),
then makes one `requests.post` per row and Pendo group, without a session (so one connection each).
Prints one JSON line: rows, seconds loading, seconds posting, failures.

    python bench/naive_baseline.py --project-dir bench/project --model bench_visitors --rows 5000 \
        --url http://127.0.0.1:8787 --key KEY
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests

GROUPS = {"agent": ("email", "login_count"), "custom": ("plan_tier", "arr", "last_login", "is_admin")}


def load(project_dir: str, model: str, rows: int) -> list[dict[str, Any]]:
    from dbt.cli.main import dbtRunner

    sql = f"select * from {{{{ ref('{model}') }}}} limit {rows}"
    args = [
        "show",
        "--project-dir",
        project_dir,
        "--profiles-dir",
        project_dir,
        "--inline",
        sql,
        "--limit",
        "-1",
    ]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise SystemExit(f"dbt show failed: {result.exception}")
    table = result.result.results[0].agate_table
    return [dict(zip(table.column_names, row)) for row in table.rows]


def plain(value: Any) -> Any:
    """What such a script does to get past `Object of type Decimal is not JSON serializable`."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return value


def post_all(rows: list[dict[str, Any]], url: str, key: str) -> int:
    failures = 0
    for row in rows:
        for group, columns in GROUPS.items():
            body = [{"visitorId": row["visitor_id"], "values": {c: plain(row[c]) for c in columns}}]
            response = requests.post(
                f"{url}/api/v1/metadata/visitor/{group}/value?create=true",
                json=body,
                headers={"x-pendo-integration-key": key},
                timeout=60,
            )
            failures += response.status_code != 200
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    rows = load(args.project_dir, args.model, args.rows)
    loaded = time.perf_counter()
    failures = post_all(rows, args.url, args.key)
    done = time.perf_counter()
    report = {
        "rows": len(rows),
        "load_seconds": loaded - start,
        "post_seconds": done - loaded,
        "failures": failures,
    }
    print("NAIVE_RESULT " + json.dumps(report))


if __name__ == "__main__":
    main()
