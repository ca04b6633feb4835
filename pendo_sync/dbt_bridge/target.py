"""A dbt invocation as pendo-dbt names it: the user's own flags (DbtTarget), the flags that keep an
in-process dbt command quiet, and dbt's errors on one line. Pure: no dbt import, so what only names a
target or words an error does not load the warehouse's code.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

QUIET = ["--quiet", "--log-level", "none", "--log-level-file", "none"]


@dataclass(frozen=True)
class DbtTarget:
    """dbt's own flags, meaning what they mean to dbt."""

    project_dir: Path
    profiles_dir: Path | None = None
    target: str | None = None
    profile: str | None = None
    vars: str | None = None

    def dbt_args(self) -> list[str]:
        """These flags for an in-process dbt command (dbtRunner)."""
        return ["--project-dir", str(self.project_dir), *self._profile_flags()]

    def _profile_flags(self) -> list[str]:
        """--profiles-dir, --target, --profile and --vars, those that are set."""
        flags = []
        for flag, value in (
            ("--profiles-dir", self.profiles_dir),
            ("--target", self.target),
            ("--profile", self.profile),
            ("--vars", self.vars),
        ):
            if value is not None:
                flags += [flag, str(value)]
        return flags

    def shell_flags(self) -> str:
        """The flags a dbt command in a fix must repeat to act on the same project, profile, target and
        vars, quoted for a shell: a fix that drops `--target prod` would act on another target."""
        parts = [] if self.project_dir == Path(".") else ["--project-dir", str(self.project_dir)]
        parts += self._profile_flags()
        return "".join(f" {shlex.quote(part)}" for part in parts)


_HEADING = re.compile(r"[A-Z][A-Za-z ]* Error")  # dbt's first line: "Runtime Error", "Parsing Error"
_REASON_LIMIT = 600


def dbt_reason(exc: BaseException) -> str:
    """A dbt (or driver) error on one line: without dbt's heading, every other line kept (the cause is
    often not the last: "no target named 'nope'. The valid target names ... are: - dev")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) > 1 and _HEADING.fullmatch(lines[0]):
        lines = lines[1:]
    text = " ".join(lines) or type(exc).__name__
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 3] + "..."
