"""`pendo-dbt verify` at scale: time and peak memory of reading N visitors back from the emulator.

    .venv/bin/python bench/verify.py [--visitors N]

Builds bench/project's two visitor models (N and N/10) on DuckDB, syncs both to a fresh emulator in its
own process, then runs `pendo-dbt verify` on each as a subprocess under GNU `time -v`: wall time, CPU and
peak RSS at N/10 against N show whether memory is flat in row count. Writes bench/verify_results.json.
The emulator answers aggregations of at most 5,000 rows, so N visitors take N/5,000 paged reads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from harness.emulator import EmulatorProcess
from harness.proc import run_measured
from harness.project import VISITORS, VISITORS_TENTH, Project
from harness.syncrun import run_sync

BENCH = Path(__file__).resolve().parent
KEY = "bench-integration-key"
STATE = "bench_state_verify"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=1_000_000)
    parser.add_argument("--output", type=Path, default=BENCH / "verify_results.json")
    args = parser.parse_args()
    work = BENCH / ".work-verify"
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "DO_NOT_TRACK": "1", "PENDO_INTEGRATION_KEY": KEY}
    env["PENDO_BENCH_DUCKDB"] = str(work / "warehouse.duckdb")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    project = Project(BENCH / "project", work / "warehouse.duckdb", str(bin_dir / "dbt"), env)
    project.deps(work / "logs" / "dbt.log")
    sizes = {"bench_visitors": args.visitors, "bench_events": 0, "bench_distant_events": 0}
    project.build(sizes, 0, work / "logs" / "dbt.log", f"{VISITORS} {VISITORS_TENTH}")
    pendo_dbt = str(bin_dir / "pendo-dbt")
    emulator = EmulatorProcess([sys.executable, str(BENCH / "emulator_server.py")], env, work, "verify")
    figures = {}
    with emulator:
        run_env = {**env, "PENDO_BASE_URL": emulator.url}
        for model in (VISITORS_TENTH, VISITORS):
            run_sync(
                pendo_dbt,
                project.directory,
                model,
                STATE,
                run_env,
                work / "logs" / f"sync-{model}.log",
                ("--max-rps", "10000", "--threads", "4"),
            )
            command = [
                pendo_dbt,
                "verify",
                *("--project-dir", str(project.directory), "--profiles-dir", str(project.directory)),
                *("--select", model, "--vars", json.dumps({"pendo_sync_schema": STATE})),
                *("--max-rps", "10000"),
            ]
            measured = run_measured(
                command, env=run_env, cwd=project.directory, log=work / "logs" / f"verify-{model}.log"
            )
            if measured.returncode != 0:
                raise RuntimeError(f"verify of {model} exited {measured.returncode}; see {measured.log}")
            rows = args.visitors // 10 if model == VISITORS_TENTH else args.visitors
            figures[model] = {
                "records": rows,
                "seconds": round(measured.seconds, 1),
                "cpu_seconds": measured.cpu_seconds,
                "peak_rss_mb": measured.max_rss_mb,
                "rss_source": measured.rss_source,
            }
            print(
                f"verify {model}: {rows:,} records in {measured.seconds:.1f} s "
                f"(CPU {measured.cpu_seconds} s), peak RSS {measured.max_rss_mb} MB",
                flush=True,
            )
    args.output.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
