"""What the CLI prints: dbt-style timestamped lines, or one JSON object per line for machines.

`--debug` turns on Python logging (ours: methods, URLs and status codes; urllib3's retry policy: each
retry). Neither logs headers, and our own messages never include a secret's value.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

FORMATS = ("text", "json")


class Console:
    def __init__(self, log_format: str = "text", debug: bool = False) -> None:
        self.log_format = log_format
        self.debug = debug

    def configure_logging(self) -> None:
        """Python logging for the process, called once by the CLI entry point (a library configures none):
        with --debug everything to stderr; else warnings (dbt's among them), as Python shows them."""
        if self.debug:
            logging.basicConfig(
                level=logging.DEBUG,
                stream=sys.stderr,
                format="%(asctime)s %(name)s %(levelname)s %(message)s",
            )

    def info(self, message: str) -> None:
        self._write("info", message, err=False)

    def record(self, lines: Sequence[str], data: Mapping[str, Any]) -> None:
        """A result with structure (e.g. one model of a plan): its lines as text, or one JSON object
        whose `data` holds the structure, so machines never parse our text."""
        if self.log_format != "json":
            for line in lines:
                self.info(line)
            return
        message = lines[0] if lines else ""
        self._write("info", message, err=False, data=data)

    def error(self, message: str) -> None:
        self._write("error", message, err=True)

    def _write(self, level: str, message: str, *, err: bool, data: Mapping[str, Any] | None = None) -> None:
        now = datetime.now(timezone.utc)
        if self.log_format == "json":
            record: dict[str, Any] = {"timestamp": now.isoformat(), "level": level, "msg": message}
            if data is not None:
                record["data"] = data
            click.echo(json.dumps(record, default=str), err=err)
        elif level == "error":
            click.echo(f"Error: {message}", err=True)
        else:
            click.echo(f"{now.astimezone().strftime('%H:%M:%S')}  {message}", err=err)
