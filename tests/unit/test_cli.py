"""The command line: dbt's global flags on either side of the command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pendo_sync.cli import main


def test_log_format_is_taken_after_the_command_too(tmp_path: Path) -> None:
    for argv in (
        ["--log-format", "json", "validate", "--project-dir", str(tmp_path)],
        ["validate", "--project-dir", str(tmp_path), "--log-format", "json"],
    ):
        result = CliRunner().invoke(main, argv, env={"DO_NOT_TRACK": "1"}, catch_exceptions=False)
        assert result.exit_code == 2, result.output
        (line,) = [json.loads(line) for line in result.output.splitlines() if line.strip()]
        assert line["level"] == "error" and "dbt could not parse the project" in line["msg"]
