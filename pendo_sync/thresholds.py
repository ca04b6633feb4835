"""`--fail-on-rejected N|P%`: how many rejected or failed rows a run may have and still exit 0.

Pure. A CI job syncing a million rows may accept a handful of rows Pendo refuses (they are reported,
kept out of state and retried next run) without paging anyone; the default, 0, fails on any such row.
The percentage is of the rows the run found changed, the rows it tried to deliver. A model that could
not be synced at all (e.g. duplicate ids) always fails the run: no threshold covers a whole model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

SUCCESS, FAILURE = 0, 1


@dataclass(frozen=True)
class RejectLimit:
    value: float = 0
    percent: bool = False

    @classmethod
    def parse(cls, text: str) -> RejectLimit:
        """'25' (rows) or '0.5%' (of changed rows); ValueError with a message fit for the user otherwise."""
        raw = text.strip()
        percent = raw.endswith("%")
        number = raw[:-1].strip() if percent else raw
        try:
            value = float(number) if percent else int(number)
        except ValueError:
            raise ValueError(f"{text!r} is not a row count (e.g. 10) or a percentage (e.g. 0.5%)") from None
        if not math.isfinite(value) or value < 0 or (percent and value > 100):
            raise ValueError(f"{text!r} must be a row count >= 0 or a percentage from 0% to 100%")
        return cls(value, percent)

    def allows(self, bad: int, changed: int) -> bool:
        if bad <= 0:
            return True
        if self.percent:
            return changed > 0 and bad * 100 <= self.value * changed
        return bad <= self.value

    def __str__(self) -> str:
        return f"{_number(self.value)}%" if self.percent else str(int(self.value))


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    message: str | None = None  # why rejected or failed rows did or did not fail the run


def judge(totals: Mapping[str, int], model_errors: int, limit: RejectLimit) -> Verdict:
    """The exit code of a run from its totals (report.RunReport.totals()) and models in error."""
    bad, changed = totals.get("rejected", 0) + totals.get("failed", 0), totals.get("changed", 0)
    if model_errors:
        return Verdict(FAILURE)
    if not bad:
        return Verdict(SUCCESS)
    share = f" ({_number(bad * 100 / changed)}% of {changed} changed {_rows(changed)})" if changed else ""
    figures = f"{bad} rejected or failed {_rows(bad)}{share}"
    if limit.allows(bad, changed):
        return Verdict(SUCCESS, f"{figures}: within --fail-on-rejected {limit}; exit 0")
    return Verdict(
        FAILURE,
        f"{figures}: more than --fail-on-rejected {limit} allows; exit 1 "
        "(raise it, e.g. --fail-on-rejected 1%, to tolerate a few rows Pendo refuses)",
    )


def _rows(count: int) -> str:
    return "row" if count == 1 else "rows"


def _number(value: float) -> str:
    """At most two decimals, none when whole: 0.5, 12, 33.33."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
