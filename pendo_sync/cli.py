"""`pendo-dbt`: the command line. Flags mean what they mean in dbt; errors become messages and exit codes.

Exit codes: 0 every sent row acknowledged (rows Pendo reports missing are reported, not failures);
1 rows failed or were rejected, or a model could not be synced; 2 configuration or usage error.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pendo_sync.errors import PendoSyncError
from pendo_sync.logs import FORMATS, Console


def dbt_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """dbt's own flags, with dbt's names and environment variables."""
    options = [
        click.option(
            "--project-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("."),
            envvar="DBT_PROJECT_DIR",
            show_default=True,
            help="The dbt project (holding target/manifest.json).",
        ),
        click.option(
            "--profiles-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            envvar="DBT_PROFILES_DIR",
            help="Where profiles.yml is (dbt's default rules apply).",
        ),
        click.option("--target", "-t", default=None, envvar="DBT_TARGET", help="dbt target to use."),
        click.option("--profile", default=None, envvar="DBT_PROFILE", help="dbt profile to use."),
        click.option(
            "--vars", default=None, help="dbt vars as a YAML string, e.g. '{pendo_sync_schema: x}'."
        ),
        click.option(
            "--target-path",
            default="target",
            envvar="DBT_TARGET_PATH",
            show_default=True,
            help="dbt's artifacts folder, relative to the project.",
        ),
        click.option("--select", "-s", "select", multiple=True, help="Only these models (by name)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into a message and exit code; anything else is a bug, with a traceback under --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        console = _console()
        try:
            return fn(*args, **kwargs)
        except PendoSyncError as exc:
            console.error(str(exc))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            console.error("Interrupted. State holds only what Pendo acknowledged; rerun to send the rest.")
            sys.exit(130)
        except Exception as exc:
            if console.debug or os.environ.get("PENDO_SYNC_DEBUG"):
                raise
            console.error(
                f"Unexpected error ({type(exc).__name__}): {exc}\n"
                "This is a bug in pendo-dbt; rerun with --debug for the traceback and report it."
            )
            sys.exit(1)

    return wrapper


def _console() -> Console:
    context = click.get_current_context(silent=True)
    console = context.find_object(Console) if context else None
    return console or Console()


def _target(
    project_dir: Path, profiles_dir: Path | None, target: str | None, profile: str | None, vars: str | None
) -> Any:
    from pendo_sync.warehouse import DbtTarget

    return DbtTarget(
        project_dir=project_dir, profiles_dir=profiles_dir, target=target, profile=profile, vars=vars
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pendo-dbt")
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    envvar="DBT_LOG_FORMAT",
    help="text: dbt-style lines; json: one JSON object per line.",
)
@click.option(
    "--debug", is_flag=True, help="Log HTTP and retry details; show tracebacks of unexpected errors."
)
@click.pass_context
def main(context: click.Context, log_format: str, debug: bool) -> None:
    """Sync dbt models tagged with meta.pendo into Pendo."""
    context.obj = Console(log_format, debug)


@main.command()
@dbt_options
@click.option("--pendo-url", default=None, help="Pendo base URL (overrides PENDO_BASE_URL and PENDO_REGION).")
@click.option(
    "--region", default=None, help="Pendo region: us, us1, eu, jpn, au (default: PENDO_REGION or us)."
)
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Concurrent requests."
)
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Records per bulk metadata request.",
)
@click.option(
    "--full-refresh", is_flag=True, help="Forget sync state of the selected models and send every row."
)
@click.option(
    "--max-rps",
    default=100.0,
    show_default=True,
    type=click.FloatRange(1, 10_000),
    help="Most requests per second (Pendo documents about 100 per endpoint); lowered on 429.",
)
@click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds to wait for one Pendo answer before retrying.",
)
@click.option(
    "--retry-budget",
    default=300.0,
    show_default=True,
    type=click.FloatRange(0, 86_400),
    help="Stop the run when Pendo has given no usable answer for this many seconds.",
)
@handle_errors
def sync(
    project_dir: Path,
    profiles_dir: Path | None,
    target: str | None,
    profile: str | None,
    vars: str | None,
    target_path: str,
    select: tuple[str, ...],
    pendo_url: str | None,
    region: str | None,
    threads: int,
    batch_size: int,
    full_refresh: bool,
    max_rps: float,
    timeout: float,
    retry_budget: float,
) -> None:
    """Send what changed in the tagged models since the last successful sync."""
    from pendo_sync.pendo.client import ClientOptions
    from pendo_sync.sync import SyncOptions, run_sync

    options = SyncOptions(
        target=_target(project_dir, profiles_dir, target, profile, vars),
        target_path=target_path,
        pendo_url=pendo_url,
        region=region,
        client=ClientOptions(workers=threads, timeout=timeout, max_rps=max_rps, retry_budget=retry_budget),
        batch_size=batch_size,
        full_refresh=full_refresh,
        models=select,
    )
    report = run_sync(options, _console().info)
    sys.exit(0 if report.ok else 1)


@main.command()
@dbt_options
@handle_errors
def validate(
    project_dir: Path,
    profiles_dir: Path | None,
    target: str | None,
    profile: str | None,
    vars: str | None,
    target_path: str,
    select: tuple[str, ...],
) -> None:
    """Check every meta.pendo mapping in the manifest (no warehouse, no Pendo)."""
    from pendo_sync.sync import SyncOptions, load_config

    options = SyncOptions(
        target=_target(project_dir, profiles_dir, target, profile, vars),
        target_path=target_path,
        models=select,
    )
    _, parsed = load_config(options)
    console = _console()
    for warning in parsed.warnings:
        console.info(f"[WARNING] {warning}")
    console.info(f"OK: {len(parsed.specs)} tagged models, no configuration problems.")


@main.command()
@dbt_options
@handle_errors
def status(
    project_dir: Path,
    profiles_dir: Path | None,
    target: str | None,
    profile: str | None,
    vars: str | None,
    target_path: str,
    select: tuple[str, ...],
) -> None:
    """Per tagged model: rows synced, last run, rows pending (from the warehouse state; Pendo untouched)."""
    from pendo_sync.status import run_status
    from pendo_sync.sync import SyncOptions

    options = SyncOptions(
        target=_target(project_dir, profiles_dir, target, profile, vars),
        target_path=target_path,
        models=select,
    )
    run_status(options, _console().info)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="JSON file with visitors, accounts and schema to start with.",
)
@handle_errors
def emulator(host: str, port: int, seed_file: str | None) -> None:
    """Run the local Pendo emulator (keys from PENDO_INTEGRATION_KEY / PENDO_TRACK_EVENT_SECRET)."""
    from pendo_sync.pendo.emulator import serve

    key = os.environ.get("PENDO_INTEGRATION_KEY", "")
    if not key:
        raise click.UsageError("Set PENDO_INTEGRATION_KEY: the emulator accepts only that key.")
    serve(host, port, key, os.environ.get("PENDO_TRACK_EVENT_SECRET", ""), seed_file)
