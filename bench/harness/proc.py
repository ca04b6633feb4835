"""Run a command and measure it as the OS sees it: wall time, CPU time and peak resident memory.

Peak RSS comes from GNU time (`/usr/bin/time -v`), which reads the child's own rusage, so the figure
belongs to that one process and not to the harness or an earlier child. Without GNU time we fall back to
getrusage(RUSAGE_CHILDREN), whose max RSS is the largest of all children so far (said so in the result).
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = Path("/usr/bin/time")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    command: list[str]
    returncode: int
    seconds: float
    cpu_seconds: float | None
    max_rss_mb: float | None
    rss_source: str
    log: Path


def run_measured(command: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Measured:
    """Run `command` to completion with its output in `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    usage_file = log.with_suffix(".time")
    wrapped = [str(GNU_TIME), "-v", "-o", str(usage_file), *command] if GNU_TIME.exists() else command
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log.open("w") as out:
        returncode = subprocess.run(
            wrapped, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    seconds = time.perf_counter() - start
    if GNU_TIME.exists() and usage_file.exists():
        cpu, rss = _parse_gnu_time(usage_file.read_text())
        return Measured(command, returncode, seconds, cpu, rss, "GNU time -v", log)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(
        command, returncode, seconds, cpu, after.ru_maxrss / 1024, "RUSAGE_CHILDREN (max so far)", log
    )


def _parse_gnu_time(text: str) -> tuple[float | None, float | None]:
    """(user + system seconds, max RSS in MiB) from `time -v` output."""

    def number(label: str) -> float | None:
        match = re.search(rf"{re.escape(label)}:\s*([\d.]+)", text)
        return float(match.group(1)) if match else None

    user, system = number("User time (seconds)"), number("System time (seconds)")
    rss_kb = number("Maximum resident set size (kbytes)")
    cpu = None if user is None or system is None else user + system
    return cpu, None if rss_kb is None else rss_kb / 1024


def process_cpu_seconds(pid: int) -> float:
    """CPU time a running process has used so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def self_cpu_seconds() -> float:
    """CPU time of this process (all threads): what an in-process raw client costs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
