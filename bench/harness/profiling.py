"""Profile one pendo-dbt sync with py-spy (a sampling profiler: no change to the code under test).

The speedscope file is for a person (open it at speedscope.app); the summary is for the report: where
the samples of each thread went, by the function on top of the stack (self) and anywhere on it (total).
py-spy samples running threads only by default, so a thread waiting on a lock or a socket adds nothing;
its speedscope weights are seconds of samples, so shares are shares of sampled (on-CPU) time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

TOP = 12


def py_spy() -> str | None:
    """py-spy beside the running interpreter (the venv), else on PATH."""
    import sys

    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(command: list[str], output: Path, env: dict[str, str], cwd: Path, log: Path) -> int:
    """Run `command` under `py-spy record` at 200 samples a second; speedscope keeps one profile per thread."""
    spy = py_spy()
    if spy is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    wrapped = [spy, "record", "--format", "speedscope", "--rate", "200", "-o", str(output), "--"]
    with log.open("w") as out:
        return subprocess.run(
            [*wrapped, *command], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        ).returncode


def summarize(speedscope: Path) -> dict[str, Any]:
    """Per thread: its share of all sampled time, its top functions by self and by total time."""
    data = json.loads(speedscope.read_text())
    frames = data["shared"]["frames"]
    names = [_frame_name(f) for f in frames]
    threads, total = [], 0.0
    overall_self: Counter[str] = Counter()
    by_file: Counter[str] = Counter()
    for profile in data["profiles"]:
        self_counts: Counter[str] = Counter()
        total_counts: Counter[str] = Counter()
        samples = 0.0
        for stack, weight in zip(profile["samples"], profile["weights"]):
            samples += weight
            if stack:
                self_counts[names[stack[-1]]] += weight
                by_file[_file(frames[stack[-1]])] += weight
            for name in {names[i] for i in stack}:
                total_counts[name] += weight
        total += samples
        overall_self.update(self_counts)
        threads.append(
            {
                "thread": profile.get("name", "?"),
                "sampled_seconds": round(samples, 2),
                "self": _top(self_counts, samples),
                "total": _top(total_counts, samples),
            }
        )
    threads.sort(key=lambda t: -t["sampled_seconds"])
    for thread in threads:
        thread["share_of_all_samples"] = round(thread["sampled_seconds"] / total, 3) if total else 0.0
    return {
        "sampled_seconds": round(total, 2),
        "self_by_file": _top(by_file, total),
        "self_overall": _top(overall_self, total),
        "threads": threads,
    }


def _file(frame: dict[str, Any]) -> str:
    """The module a frame runs in, with its package (requests/sessions.py), so libraries stand out."""
    parts = Path(str(frame.get("file") or "?")).parts
    return "/".join(parts[-2:])


def _frame_name(frame: dict[str, Any]) -> str:
    location = Path(str(frame.get("file") or "")).name
    line = frame.get("line")
    return f"{frame.get('name')} ({location}:{line})" if location else str(frame.get("name"))


def _top(counts: Counter[str], samples: float) -> list[list[Any]]:
    return [[name, round(n / samples, 3)] for name, n in counts.most_common(TOP)] if samples else []
