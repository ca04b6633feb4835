"""One exception hierarchy, so the CLI can turn every user-facing failure into a message and an exit code.

    PendoSyncError                  anything we raise on purpose; `exit_code` says how the CLI exits
    ├── ConfigError                 meta.pendo, flags or environment are wrong (exit 2, nothing sent)
    ├── ManifestError               dbt's parse gave model nodes without a name or schema
    ├── WarehouseError              the warehouse refused a query or a model is not built
    │   └── LockError               another pendo-dbt run holds the state lock (exit 3)
    ├── UnknownSegmentError         Pendo has no segment of a segment model's segment_id (that model only)
    ├── PendoError                  Pendo could not be used for the whole run
    │   ├── PendoAuthError          the key was refused (401/403): wrong key or wrong region
    │   └── PendoUnavailable        no usable answer for longer than the retry budget (pendo/pacing.py)
    └── RunFailed                   the run finished, but its models or rows fail it (exit 1); raised
                                    only when the Python API is asked to (SyncResult.raise_on_failure)

Pendo's answers come in three kinds, read from one table (pendo/statuses.py) by bulk metadata, Track
and segments alike:
- fatal for the run: PendoError and its subclasses; the run stops, the models it did not reach are
  skipped, and every row not acknowledged is sent next run;
- retryable: resent within the run where Pendo may soon answer (429, 409, 408, most 5xx); a row still
  without an acknowledgement is `failed` (row_outcome.py), reported by id and reason, and sent next run;
- rejected row: Pendo refused the row itself (400, 413, 422, or an error naming it): `rejected`, reported
  with Pendo's reason, and sent next run. Neither of the last two is an exception: one row's answer never
  stops its model (a segment whose id Pendo does not know stops that model alone, UnknownSegmentError).

Messages never contain a secret: they are built from names and counts, never from header values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


class PendoSyncError(Exception):
    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a model's configuration, phrased so the user can fix it without reading code."""

    model: str
    key: str | None  # under meta.pendo ("": meta.pendo itself); None: not about the mapping
    message: str
    fix: str

    def __str__(self) -> str:
        where = "" if self.key is None else f" meta.pendo{'.' if self.key else ''}{self.key}:"
        return f"{self.model}:{where} {self.message}. Fix: {self.fix}"


class ConfigError(PendoSyncError):
    exit_code = 2

    def __init__(self, problems: Sequence[Problem | str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} configuration {noun}:\n{lines}")


class ManifestError(PendoSyncError):
    exit_code = 2


class WarehouseError(PendoSyncError):
    pass


class LockError(WarehouseError):
    exit_code = 3


class UnknownSegmentError(PendoSyncError):
    """Pendo answered 404 to a segment PATCH: the id is wrong, or the key cannot see the segment."""

    exit_code = 2

    def __init__(self, segment_id: str) -> None:
        self.segment_id = segment_id
        super().__init__(f"Pendo has no segment '{segment_id}' (HTTP 404)")


class PendoError(PendoSyncError):
    pass


class PendoAuthError(PendoError):
    pass


class PendoUnavailable(PendoError):
    pass


class RunFailed(PendoSyncError):
    """A finished run that the CLI would exit 1 for, as an exception for orchestrators that fail a task
    on one; `result` holds the run's figures."""

    def __init__(self, message: str, result: object) -> None:
        super().__init__(message)
        self.result = result
