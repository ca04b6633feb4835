"""`pendo-dbt`: the command line. Flags mean what they mean in dbt; errors become messages and exit codes.

Exit codes: 0 every sent row acknowledged (rows Pendo reports missing are reported, not failures), or
no more rejected/failed rows than --fail-on-rejected allows; 1 more rows failed or were rejected, a
model is ERROR (not synced, or rows failed and none acknowledged), or the run stopped; 2 configuration
or usage error (nothing sent); 3 another run holds the lock; 130 interrupted (Ctrl-C).

The commands are a layer over the Python API (api.PendoSync): they turn flags into its arguments, its
lines into output, its results and errors into exit codes. A new command adds its method there.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pendo_sync.api import PendoSync
from pendo_sync.cli_options import SelectorOption, reject_limit, thread_count
from pendo_sync.config import BATCH_BYTES, BATCH_SIZE
from pendo_sync.dbt_bridge.selection import Selection
from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.errors import PendoSyncError
from pendo_sync.logs import FORMATS, Console
from pendo_sync.report import plural

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pendo_sync.project import SyncOptions
    from pendo_sync.thresholds import RejectLimit

_DBT_FLAGS = ("project_dir", "profiles_dir", "target", "profile", "vars", "target_path", "select", "exclude")


def dbt_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """dbt's own flags, with dbt's names and environment variables, handed to the command as one
    `dbt: SyncOptions` (target, artifacts folder and selection; the command adds its own settings)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pendo_sync.project import SyncOptions

        flags = {name: kwargs.pop(name) for name in _DBT_FLAGS}
        target = DbtTarget(
            project_dir=flags["project_dir"],
            profiles_dir=flags["profiles_dir"],
            target=flags["target"],
            profile=flags["profile"],
            vars=flags["vars"],
        )
        selection = Selection(select=flags["select"], exclude=flags["exclude"])
        dbt = SyncOptions(target=target, target_path=flags["target_path"], selection=selection)
        return fn(*args, dbt=dbt, **kwargs)

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
        click.option(
            "--select",
            "-s",
            "select",
            cls=SelectorOption,
            multiple=True,
            help="dbt node selection: names, tag:, path:, config.meta...:, +graph, unions, intersections.",
        ),
        click.option(
            "--exclude",
            "exclude",
            cls=SelectorOption,
            multiple=True,
            help="dbt node selection of models to leave out.",
        ),
    ]
    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def pendo_location(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--region", default=None, help="Pendo region: us, us1, eu, jpn, au (default: PENDO_REGION or us)."
    )(fn)
    return click.option(
        "--pendo-url", default=None, help="Pendo base URL (overrides PENDO_BASE_URL and PENDO_REGION)."
    )(fn)


def allow_stale(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--allow-stale",
        is_flag=True,
        help="Sync a model even when its latest dbt run/build failed (target/run_results.json), from the "
        "table that build left.",
    )(fn)


def fail_on_rejected(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--fail-on-rejected",
        metavar="N|P%",
        default="0",
        callback=reject_limit,
        show_default=True,
        help="Exit 1 only when rejected+failed rows exceed N rows or P% of the changed rows.",
    )(fn)


def console_flags(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--log-format` and `--debug` after the command too (`pendo-dbt sync --log-format json`), as dbt
    takes its global flags on either side of the command; given here, they win over the group's."""

    @functools.wraps(fn)
    def wrapper(*args: Any, log_format: str | None, debug: bool, **kwargs: Any) -> Any:
        if log_format is not None or debug:
            context = click.get_current_context()
            outer = _console()
            context.obj = Console(log_format or outer.log_format, debug or outer.debug)
        return fn(*args, **kwargs)

    wrapper = click.option(
        "--debug", is_flag=True, help="Log HTTP and retry details; show tracebacks of unexpected errors."
    )(wrapper)
    return click.option(
        "--log-format",
        type=click.Choice(FORMATS),
        default=None,
        help="text: dbt-style lines; json: one JSON object per line.",
    )(wrapper)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into a message and exit code; anything else is a bug, with a traceback under --debug.
    Usage errors (click's) are click's to print, with exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        console = _console()
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except PendoSyncError as exc:
            # only a sync sends: that nothing was is news there, and noise after validate or plan
            sent = "\nNothing was sent." if fn.__name__ == "sync" and exc.exit_code in (2, 3) else ""
            console.error(f"{exc}{sent}")
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
    context.obj.configure_logging()
    _collect_young_objects_only(context)
    _skip_final_collection()


# A sync allocates millions of short-lived objects (rows, payloads, request bodies) while dbt's project and
# adapter, millions more, stay alive. At CPython's default thresholds every hundredth young collection is a
# full one, which walks dbt's objects again, holding the GIL while the HTTP threads wait. These collect the
# young every 50,000 allocations and everything rarely; what pendo-dbt keeps is not cyclic, and dbt's
# cyclic garbage waits for a later full collection (measured: docs/performance.md, "Decisions that followed").
COLLECTOR_THRESHOLDS = (50_000, 20, 100)


def _collect_young_objects_only(context: click.Context) -> None:
    """For the command's duration: the CLI owns its process, so it tunes the collector, and puts the
    thresholds back when the command ends (a test or a script may call `main` in its own process). The
    Python API leaves the collector to its caller."""
    previous = gc.get_threshold()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    context.call_on_close(lambda: gc.set_threshold(*previous))


@functools.cache
def _skip_final_collection() -> None:
    """At exit, CPython's last collection tears down the cycles of everything dbt loaded (adapter, project,
    or a whole `dbt ls` parse) one by one, a noticeable share of a short run (docs/performance.md), to
    free memory the OS takes back anyway. Frozen at exit, they are skipped. Exit handlers still run first
    (the warehouse, and with it DuckDB, is closed before them) and output is still flushed; only
    finalizers of cyclic garbage left at exit do not run, which CPython never promised anyway."""
    atexit.register(gc.freeze)


@main.command()
@console_flags
@dbt_options
@pendo_location
@click.option(
    "--threads",
    default="auto",
    show_default=True,
    callback=thread_count,
    help="Requests to Pendo in flight at once (1-64), or 'auto': per endpoint, as many as Pendo's answer "
    "time needs to reach --max-rps (4 to 32 in all).",
)
@click.option(
    "--batch-size",
    default=BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Records per bulk metadata request.",
)
@click.option(
    "--batch-bytes",
    default=BATCH_BYTES,
    show_default=True,
    type=click.IntRange(1, 2**30),
    help="Most bytes in one bulk metadata request body; a larger batch is sent in halves.",
)
@click.option(
    "--full-refresh", is_flag=True, help="Forget sync state of the selected models and send every row."
)
@click.option(
    "--max-rps",
    default=100.0,
    show_default=True,
    type=click.FloatRange(1, 10_000),
    help="Most requests per second to each Pendo endpoint (Pendo documents about 100); lowered on 429.",
)
@click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds to wait for one Pendo answer before retrying.",
)
@allow_stale
@click.option(
    "--retry-budget",
    default=300.0,
    show_default=True,
    type=click.FloatRange(0, 86_400),
    help="Stop the run when Pendo has given no usable answer for this many seconds.",
)
@fail_on_rejected
@click.option(
    "--notify",
    "notify_urls",
    multiple=True,
    metavar="URL",
    help="Webhook (Slack-compatible) to post the run to when it fails; repeatable. Default: "
    "PENDO_SYNC_NOTIFY (URLs separated by spaces or commas).",
)
@click.option(
    "--notify-on",
    type=click.Choice(("failure", "always")),
    default="failure",
    show_default=True,
    help="failure: a run that exits non-zero; always: every run.",
)
@handle_errors
def sync(
    dbt: SyncOptions,
    pendo_url: str | None,
    region: str | None,
    threads: int | None,
    batch_size: int,
    batch_bytes: int,
    full_refresh: bool,
    max_rps: float,
    timeout: float,
    retry_budget: float,
    allow_stale: bool,
    fail_on_rejected: RejectLimit,
    notify_urls: tuple[str, ...],
    notify_on: str,
) -> None:
    """Send what changed in the tagged models since the last successful sync."""
    from pendo_sync.progress import Progress

    console = _console()
    progress = Progress(sys.stderr if console.log_format == "text" else None)

    def emit(line: str) -> None:
        with progress.hidden():  # models sending on other threads redraw it after the line
            console.info(line)

    result = _api(dbt, pendo_url, region, emit).sync(
        dbt.selection.select,
        dbt.selection.exclude,
        full_refresh=full_refresh,
        threads=threads,
        batch_size=batch_size,
        batch_bytes=batch_bytes,
        max_rps=max_rps,
        timeout=timeout,
        retry_budget=retry_budget,
        allow_stale=allow_stale,
        fail_on_rejected=fail_on_rejected,
        notify_urls=notify_urls,
        notify_on=notify_on,
        progress=progress,
    )
    sys.exit(result.exit_code)


@main.command()
@console_flags
@dbt_options
@pendo_location
@click.option(
    "--batch-size",
    default=BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Rows read from the warehouse at a time.",
)
@click.option("--full-refresh", is_flag=True, help="Plan as if state were forgotten: every row is new.")
@click.option(
    "--samples",
    default=3,
    show_default=True,
    type=click.IntRange(0, 100),
    help="Example payloads shown per Pendo group (they hold real values).",
)
@allow_stale
@fail_on_rejected
@handle_errors
def plan(
    dbt: SyncOptions,
    pendo_url: str | None,
    region: str | None,
    batch_size: int,
    full_refresh: bool,
    samples: int,
    allow_stale: bool,
    fail_on_rejected: RejectLimit,
) -> None:
    """Dry run: what sync would send now, per model, group and field. Sends and writes nothing."""
    console = _console()
    result = _api(dbt, pendo_url, region, console.info, console.record).plan(
        dbt.selection.select,
        dbt.selection.exclude,
        batch_size=batch_size,
        full_refresh=full_refresh,
        samples=samples,
        allow_stale=allow_stale,
        fail_on_rejected=fail_on_rejected,
    )
    sys.exit(result.exit_code)


def _api(
    dbt: SyncOptions,
    pendo_url: str | None = None,
    region: str | None = None,
    emit: Callable[[str], None] | None = None,
    record: Callable[[Sequence[str], Mapping[str, Any]], None] | None = None,
) -> PendoSync:
    """The Python API for dbt's flags as given: every command that runs one is a layer over it."""
    console = _console()
    return PendoSync(
        dbt.target.project_dir,
        profiles_dir=dbt.target.profiles_dir,
        target=dbt.target.target,
        profile=dbt.target.profile,
        vars=dbt.target.vars,
        target_path=dbt.target_path,
        pendo_url=pendo_url,
        region=region,
        emit=emit or console.info,
        record=record or console.record,
    )


@main.command()
@console_flags
@dbt_options
@handle_errors
def validate(dbt: SyncOptions) -> None:
    """Check every meta.pendo mapping; with PENDO_INTEGRATION_KEY set, also check the
    mapped fields against Pendo's schema (read only). Never touches the warehouse."""
    _api(dbt).validate(dbt.selection.select, dbt.selection.exclude)


@main.command()
@console_flags
@dbt_options
@handle_errors
def status(dbt: SyncOptions) -> None:
    """Per tagged model: rows synced, last run, rows pending (from the warehouse state; Pendo untouched)."""
    _api(dbt).status(dbt.selection.select, dbt.selection.exclude)


@main.command()
@console_flags
@dbt_options
@pendo_location
@click.option(
    "--sample",
    default=None,
    type=click.IntRange(1, 100_000),
    help="Verify N records per model, picked at random (for very large models); default: every record.",
)
@click.option(
    "--repair",
    is_flag=True,
    help="Forget the sync state of drifted records, so the next sync resends exactly them.",
)
@click.option(
    "--page-size",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 50_000),
    help="Records per read from Pendo (each read must stay inside Pendo's 5-minute cap).",
)
@click.option(
    "--max-rps",
    default=100.0,
    show_default=True,
    type=click.FloatRange(1, 10_000),
    help="Most requests per second to Pendo; lowered on 429.",
)
@click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds to wait for one Pendo answer before retrying.",
)
@handle_errors
def verify(
    dbt: SyncOptions,
    pendo_url: str | None,
    region: str | None,
    sample: int | None,
    repair: bool,
    page_size: int,
    max_rps: float,
    timeout: float,
) -> None:
    """Read back what Pendo holds for the tagged visitor/account models and compare it with the models.
    Writes nothing to Pendo. Exit 0: Pendo holds what the models say; 1: drift; 2: configuration error."""
    from pendo_sync.pendo.client import ClientOptions
    from pendo_sync.verify import VerifyOptions, run_verify

    options = VerifyOptions(
        dbt=dataclasses.replace(dbt, pendo_url=pendo_url, region=region),
        client=ClientOptions(threads=1, timeout=timeout, max_rps=max_rps),
        page_size=page_size,
        sample=sample,
        repair=repair,
    )
    console = _console()
    report = run_verify(options, console.info, console.record)
    sys.exit(0 if report.ok else 1)


@main.command()
@console_flags
@dbt_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("models") / "pendo_exposures.yml",
    show_default=True,
    help="The YAML file to write, relative to --project-dir (it must be under a model path).",
)
@click.option("--owner-name", default=None, help="Exposure owner's name (dbt needs a name or an email).")
@click.option("--owner-email", default=None, help="Exposure owner's email.")
@click.option("--name", default="pendo", show_default=True, help="Exposure name.")
@click.option(
    "--region", default=None, help="Pendo region for the exposure's URL (default: PENDO_REGION or us)."
)
@handle_errors
def exposures(
    dbt: SyncOptions,
    output: Path,
    owner_name: str | None,
    owner_email: str | None,
    name: str,
    region: str | None,
) -> None:
    """Write a dbt exposure declaring Pendo downstream of every synced model (for dbt docs and lineage)."""
    from pendo_sync.dbt_bridge.selection import NOTHING_TAGGED
    from pendo_sync.exposures import (
        Owner,
        build_exposure,
        check_output,
        model_paths,
        pendo_app_url,
        render,
        write_exposures,
    )
    from pendo_sync.project import load_config

    manifest, parsed = load_config(dbt)
    parsed.check()
    console = _console()
    if not parsed.specs:
        console.info(NOTHING_TAGGED + " No exposure written.")
        return
    url = pendo_app_url(region, os.environ)
    exposure = build_exposure(
        [s.model for s in parsed.specs], manifest.project_name, url, Owner(owner_name, owner_email), name
    )
    path = output if output.is_absolute() else dbt.target.project_dir / output
    check_output(path, dbt.target.project_dir, model_paths(dbt.target.project_dir))
    changed = write_exposures(path, render(exposure))
    verb = "Wrote" if changed else "Unchanged:"
    console.info(
        f"{verb} {path}: exposure '{exposure.name}' depends on {plural(len(exposure.refs), 'model')}. "
        "Run `dbt parse` (or `dbt docs generate`) to see Pendo in the lineage."
    )


@main.command()
@console_flags
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
        raise click.UsageError(
            "Set PENDO_INTEGRATION_KEY (any value, e.g. `export PENDO_INTEGRATION_KEY=local-key`): the "
            "emulator accepts only that key, and pendo-dbt sends it."
        )
    try:
        serve(host, port, key, os.environ.get("PENDO_TRACK_EVENT_SECRET", ""), seed_file)
    except OSError as exc:  # the address is taken, or not ours to listen on
        raise click.UsageError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port, or stop what "
            "listens there (another emulator?)"
        ) from None
    except ValueError as exc:  # the seed file is not JSON, or not a seed
        raise click.UsageError(f"--seed {seed_file}: {exc}") from None
