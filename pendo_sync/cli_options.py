"""Click parameters that behave as dbt's do (`--select a b`), and values with a unit or a word in them:
`--fail-on-rejected 10|0.5%`, `--threads auto|N`."""

from __future__ import annotations

from typing import Any

import click

from pendo_sync.errors import ConfigError
from pendo_sync.pendo.client import parse_threads
from pendo_sync.thresholds import RejectLimit


class SelectorOption(click.Option):
    """dbt's `--select a b`: the option also takes the words after it, up to the next option.

    Each occurrence becomes one space-separated value; dbt splits it again (a union), exactly as it
    does `--select "a b"`. Hooks click's option parser the way dbt's own MultiOption does.
    """

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is None:
                continue
            process = option.process

            def take_words(value: str, state: Any, process: Any = process) -> None:
                words = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    words.append(state.rargs.pop(0))
                process(" ".join(words), state)

            option.process = take_words


def reject_limit(ctx: click.Context, param: click.Parameter, value: str) -> RejectLimit:
    """Callback of --fail-on-rejected: '10' rows or '0.5%' of the changed rows."""
    try:
        return RejectLimit.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def thread_count(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    """Callback of --threads: 'auto' (None: as many in flight as Pendo's answer time needs) or 1-64."""
    try:
        return parse_threads(value)
    except ConfigError:
        raise click.BadParameter(
            f"{value!r} is not 'auto' or a whole number from 1 to 64.", ctx, param
        ) from None
