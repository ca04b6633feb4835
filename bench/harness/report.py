"""Turn measured phases into the ratios the targets are stated in, and print them as one table.

A ratio is a fact of this run on this machine; the targets are printed beside them, never asserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A Python http.server serves with one core at most (the GIL): at or above this many cores of CPU it was
# the limit, and a client could go no faster against it.
EMULATOR_BOUND_CORES = 0.85


@dataclass
class Phase:
    """One measurement: `seconds` is end-to-end wall time; `active_seconds` excludes process start-up."""

    name: str
    rows: int
    seconds: float
    active_seconds: float
    client_cpu_seconds: float | None = None
    emulator_cpu_seconds: float = 0.0
    max_rss_mb: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def active_rows_per_second(self) -> float:
        return self.rows / self.active_seconds if self.active_seconds else 0.0

    @property
    def emulator_cores(self) -> float:
        """Average cores the emulator process used while this client was sending."""
        return self.emulator_cpu_seconds / self.active_seconds if self.active_seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "active_seconds": round(self.active_seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "active_rows_per_second": round(self.active_rows_per_second, 1),
            "client_cpu_seconds": None
            if self.client_cpu_seconds is None
            else round(self.client_cpu_seconds, 2),
            "emulator_cpu_seconds": round(self.emulator_cpu_seconds, 2),
            "emulator_cores": round(self.emulator_cores, 2),
            "max_rss_mb": None if self.max_rss_mb is None else round(self.max_rss_mb, 1),
            **self.details,
        }


@dataclass(frozen=True)
class Ratio:
    measure: str
    value: float
    target: str
    met: bool
    basis: str


def ratios(p: dict[str, Phase]) -> list[Ratio]:
    """The targets of the benchmark, from the phases run.py measured."""
    full, ceiling = p["sync_full"], p["raw_metadata"]
    events = p["sync_events"]
    out = [
        _at_least(
            "full metadata sync / raw ceiling (rows/s)",
            full.rows_per_second / ceiling.rows_per_second,
            0.8,
            f"{full.rows_per_second:,.0f} vs {ceiling.rows_per_second:,.0f} rows/s; in-model "
            f"{full.active_rows_per_second:,.0f} rows/s = {full.active_rows_per_second / ceiling.rows_per_second:.2f}x",
        ),
    ]
    out.append(marginal_incremental(full, p["sync_incremental"], p["sync_unchanged"]))
    small, large = p["rss_tenth"], p["rss_full"]
    if large.max_rss_mb and small.max_rss_mb:
        out.append(
            _at_most(
                "peak RSS at N / at N/10 (each in a fresh DuckDB file)",
                large.max_rss_mb / small.max_rss_mb,
                1.2,
                f"{large.max_rss_mb:,.0f} MiB vs {small.max_rss_mb:,.0f} MiB ({large.details.get('model')})",
            )
        )
    out.append(event_cpu(events, p["sync_unchanged"]))
    naive = p["naive"]
    out.append(
        _at_least(
            "speed-up over the naive script (rows/s)",
            full.rows_per_second / naive.rows_per_second,
            20,
            f"{full.rows_per_second:,.0f} vs {naive.rows_per_second:,.0f} rows/s",
        )
    )
    return out


def marginal_incremental(full: Phase, incremental: Phase, unchanged: Phase) -> Ratio:
    """What syncing 1% changed rows costs beyond a sync with nothing changed (dbt's load, the diff's
    scan), against what a full sync costs beyond it: the fixed cost of a run is not the incremental's."""
    extra, full_extra = incremental.seconds - unchanged.seconds, full.seconds - unchanged.seconds
    return _at_most(
        "marginal incremental 1% / marginal full sync (time)",
        extra / full_extra if full_extra > 0 else float("inf"),
        0.10,
        f"({incremental.seconds:.1f} - {unchanged.seconds:.1f}) s vs ({full.seconds:.1f} - "
        f"{unchanged.seconds:.1f}) s, the second of each a sync with nothing changed",
    )


def event_cpu(events: Phase, unchanged: Phase) -> Ratio:
    """pendo-dbt's CPU per Track event beyond a sync with nothing to send (dbt's load, the diff's scan).
    Against Pendo a Track event is one request at ~100/s, so this, not loopback events/s, is what a run's
    CPU costs: 1 ms per event is a tenth of a core at Pendo's rate."""
    spent = (events.client_cpu_seconds or 0.0) - (unchanged.client_cpu_seconds or 0.0)
    per_event = 1000 * spent / events.rows if events.rows else float("inf")
    return _at_most(
        "CPU per Track event beyond an idle sync (ms)",
        per_event,
        1.0,
        f"({events.client_cpu_seconds or 0:.1f} - {unchanged.client_cpu_seconds or 0:.1f}) s of CPU for "
        f"{events.rows:,} events: {per_event / 10:.1%} of a core at Pendo's 100 events/s",
    )


def best_event_ceiling(p: dict[str, Phase]) -> Phase:
    """The faster raw events client is the ceiling: the least any client must spend per event."""
    candidates = [
        p[name]
        for name in (
            "raw_events_urllib3",
            "raw_events_http_client",
            "raw_events_socket",
        )
        if name in p
    ]
    return max(candidates, key=lambda phase: phase.rows_per_second)


def _at_least(measure: str, value: float, target: float, basis: str) -> Ratio:
    return Ratio(measure, value, f">= {target:g}", value >= target, basis)


def _at_most(measure: str, value: float, target: float, basis: str) -> Ratio:
    return Ratio(measure, value, f"<= {target:g}", value <= target, basis)


def bottleneck_notes(p: dict[str, Phase]) -> list[str]:
    """Say when the emulator, not the client, set the pace of both sides of a ratio."""
    notes = []
    pairs = (("raw_metadata", "sync_full", "metadata"), (best_event_ceiling(p).name, "sync_events", "events"))
    for ceiling, ours, what in pairs:
        a, b = p[ceiling], p[ours]
        if a.emulator_cores >= EMULATOR_BOUND_CORES and b.emulator_cores >= EMULATOR_BOUND_CORES:
            notes.append(
                f"{what}: the emulator was the bottleneck for both the raw client ({a.emulator_cores:.2f} cores) "
                f"and pendo-dbt ({b.emulator_cores:.2f} cores): the ratio compares two clients against the "
                "same server limit, so it is fair, but it is not the client's own ceiling"
            )
        elif a.emulator_cores >= EMULATOR_BOUND_CORES:
            notes.append(
                f"{what}: the emulator bounded the raw client ({a.emulator_cores:.2f} cores) but not pendo-dbt "
                f"({b.emulator_cores:.2f} cores): pendo-dbt is slower than the server allows"
            )
    return notes


def distant_lines(p: dict[str, Phase], threads: str, delays: dict[str, float]) -> list[str]:
    """Against a distant Pendo, what limits a sync is requests in flight (at most in flight / answer time
    per second), not CPU: the fixed thread count against `--threads auto`, at the default --max-rps 100."""
    late = ", ".join(f"{path} {seconds:g} s" for path, seconds in delays.items())
    lines = [f"distant Pendo (answers late: {late}; --max-rps 100), not a target:"]
    for what, unit in (("events", "events"), ("tenth", "rows")):
        fixed, auto = p[f"distant_{what}_{threads}"], p[f"distant_{what}_auto"]
        rates = [f"{phase.active_rows_per_second:,.0f} {unit}/s in-model" for phase in (fixed, auto)]
        line = f"  {fixed.rows:,} {'events' if what == 'events' else 'visitors'}: --threads {threads} {rates[0]}, "
        line += f"auto {rates[1]} ({auto.active_rows_per_second / fixed.active_rows_per_second:.1f}x)"
        if what == "events":
            line += f"; --max-rps allows 100/s: {fixed.active_rows_per_second / 100:.2f} vs {auto.active_rows_per_second / 100:.2f} of it"
        lines.append(line)
    return lines


def render(phases: dict[str, Phase], table: list[Ratio], notes: list[str]) -> str:
    lines = [
        f"{'phase':<26}{'rows':>10}{'seconds':>9}{'rows/s':>10}{'in-model/s':>12}{'client CPU s':>13}"
        f"{'emulator cores':>15}{'peak RSS MiB':>13}",
    ]
    for phase in phases.values():
        cpu = "" if phase.client_cpu_seconds is None else f"{phase.client_cpu_seconds:.1f}"
        rss = "" if phase.max_rss_mb is None else f"{phase.max_rss_mb:,.0f}"
        lines.append(
            f"{phase.name:<26}{phase.rows:>10,}{phase.seconds:>9.1f}{phase.rows_per_second:>10,.0f}"
            f"{phase.active_rows_per_second:>12,.0f}{cpu:>13}{phase.emulator_cores:>15.2f}{rss:>13}"
        )
    lines += ["", f"{'ratio':<56}{'value':>8}  {'target':<8}{'met':<5}basis"]
    for r in table:
        lines.append(f"{r.measure:<56}{r.value:>8.2f}  {r.target:<8}{'yes' if r.met else 'NO':<5}{r.basis}")
    lines += [f"note: {note}" for note in notes]
    return "\n".join(lines)
