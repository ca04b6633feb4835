"""Secrets stay secret: every command, with sentinel keys, at --debug, on success and failure paths;
nothing printed and no file written may contain a key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from pendo_sync.cli import main
from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import KEY, TRACK, Project


def files_text(root: Path) -> str:
    texts = []
    for path in root.rglob("*"):
        if path.is_file() and path.suffix != ".duckdb" and "dbt_packages" not in path.parts:
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_no_command_leaks_a_key(project: Project, pendo_schema: dict[str, Any]) -> None:
    outputs = []
    with Emulator(KEY, TRACK) as emulator:
        # Most records are missing: the report paths that name rows run too.
        emulator.seed({"visitors": ["u001"], "accounts": ["acme"], "schema": pendo_schema})
        env = project.pendo_env(emulator)
        runner = CliRunner()
        for args in (
            [
                "--debug",
                "sync",
                *project.flags,
                "-s",
                "pendo_visitors",
                "-s",
                "pendo_accounts",
                "-s",
                "pendo_events",
            ],
            [
                "--debug",
                "--log-format",
                "json",
                "sync",
                *project.flags,
                "--full-refresh",
                "-s",
                "pendo_accounts",
            ],
            ["--debug", "validate", *project.flags],
            ["--debug", "status", *project.flags],
            ["--debug", "plan", *project.flags, "-s", "pendo_visitors", "pendo_events", "--samples", "5"],
            ["--debug", "--log-format", "json", "plan", *project.flags, "-s", "path:models/events"],
        ):
            result = runner.invoke(main, args, env=env)
            outputs.append(result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        # Refused keys: the error must say which variable to check, without its value.
        for bad in (
            {"PENDO_INTEGRATION_KEY": KEY + "-wrong"},
            {"PENDO_TRACK_EVENT_SECRET": TRACK + "-wrong"},
        ):
            result = runner.invoke(
                main,
                [
                    "--debug",
                    "sync",
                    *project.flags,
                    "-s",
                    "pendo_events",
                    "-s",
                    "pendo_visitors",
                    "--full-refresh",
                ],
                env={**env, **bad},
            )
            assert result.exit_code == 1
            outputs.append(result.output)
    text = "\n".join(outputs) + files_text(project.path)
    assert "pendo_sync_results.json" in str(list(project.path.rglob("*.json")))
    for secret in (KEY, TRACK):
        assert secret not in text
    assert "Pendo refused the key" in text
