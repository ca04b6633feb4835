"""The command line: dbt's global flags on either side of the command."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import click
from click.testing import CliRunner

from pendo_sync.cli import COLLECTOR_THRESHOLDS, main


def test_log_format_is_taken_after_the_command_too(tmp_path: Path) -> None:
    for argv in (
        ["--log-format", "json", "validate", "--project-dir", str(tmp_path)],
        ["validate", "--project-dir", str(tmp_path), "--log-format", "json"],
    ):
        result = CliRunner().invoke(main, argv, env={"DO_NOT_TRACK": "1"}, catch_exceptions=False)
        assert result.exit_code == 2, result.output
        (line,) = [json.loads(line) for line in result.output.splitlines() if line.strip()]
        assert line["level"] == "error" and "dbt could not parse the project" in line["msg"]


def test_a_command_runs_with_the_collectors_thresholds_and_puts_the_callers_back() -> None:
    seen: list[tuple[int, ...]] = []

    @click.command("probe")
    def probe() -> None:
        seen.append(gc.get_threshold())

    before = gc.get_threshold()
    main.add_command(probe)
    try:
        result = CliRunner().invoke(main, ["probe"], catch_exceptions=False)
    finally:
        main.commands.pop("probe")
    assert result.exit_code == 0 and seen == [COLLECTOR_THRESHOLDS]
    assert gc.get_threshold() == before != COLLECTOR_THRESHOLDS
