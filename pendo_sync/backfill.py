"""The backfill window of an event model: which events not yet sent are too old to send.

`backfill: {since: ...}` starts the window at a fixed time; `backfill: {days: N}` starts it N days
before the model's first sync (state keeps when that began). Either way the line is drawn once, so a
rerun after a kill, a `--full-refresh` and every later run draw the same one: an event older than it is
marked seen and never sent, whenever it reaches the model. Pure: config parses, event_sync applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any


@dataclass(frozen=True)
class BackfillWindow:
    since: datetime | None = None  # naive UTC
    days: int | None = None

    def start(self, first_sync: datetime) -> datetime:
        """The oldest time still sent (naive UTC), given when the model's first sync began (naive UTC)."""
        if self.since is not None:
            return self.since
        return first_sync - timedelta(days=self.days or 0)

    def describe(self, first_sync: datetime) -> str:
        """`events from before 2026-11-22 00:00:00 UTC (backfill: {days: 30})`."""
        start = self.start(first_sync).isoformat(sep=" ", timespec="seconds")
        rule = f"since: {self.since.isoformat(sep=' ')}" if self.since is not None else f"days: {self.days}"
        return f"events from before {start} UTC (backfill: {{{rule}}})"


def parse_since(value: Any) -> datetime:
    """A date or timestamp (a YAML date, or ISO-8601 text such as '2026-01-01' or
    '2026-01-01T09:00:00+02:00') as naive UTC; a time without an offset is UTC. ValueError otherwise."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO-8601 date or timestamp") from None
    else:
        raise ValueError(f"{value!r} is not a date or timestamp")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
