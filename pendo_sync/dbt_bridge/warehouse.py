"""The warehouse through dbt: the user's own profile and adapter, its connections, streaming.

We go through dbt (not a second set of credentials) so `pendo-dbt` reaches the warehouse exactly as
`dbt run` does. Where dbt's handle is a DB-API connection, rows are read with `fetchmany` on its raw
cursor (dbapi_driver.py): agate tables would hold a model in memory. Elsewhere (BigQuery, Spark) only
dbt's adapter API is used (dbt_driver.py). dbt keeps one connection per thread: each model syncing reads on its own
thread, the state writer's thread writes. dbt is imported lazily so `pendo-dbt --help` starts instantly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pendo_sync.capabilities import Capabilities, capabilities_for
from pendo_sync.dbt_bridge.dbapi_driver import DbapiDriver
from pendo_sync.dbt_bridge.dbt_driver import DbtDriver
from pendo_sync.dbt_bridge.target import dbt_reason
from pendo_sync.errors import ConfigError, LockError, PendoSyncError, WarehouseError
from pendo_sync.sql_render import canonical_relation

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pendo_sync.dbt_bridge.target import DbtTarget

# DuckDB keeps the state a sync writes in memory while a diff is being streamed (it cannot checkpoint
# under an open read), then checkpoints it into the file: at the first commit after the read ends, or when
# the last connection closes. Under DuckDB's default limit (80% of RAM) both grow with the model
# (docs/performance.md). So once a diff's joins are built (at full memory),
# DuckDB may grow only this much more, and the cap stays until that model's thread's next query, which comes
# after the state writer has committed the model's last rows; the checkpoint at close gets this much too.
# Beyond it DuckDB spills to its temp directory. A profile's `memory_limit` is left alone.
_SPILL_HEADROOM_MIB = 32
dbt_log = logging.getLogger("pendo_sync.dbt")


class Warehouse:
    """The user's warehouse: small queries, transactions and streams, whatever the adapter's handle is.

    Statements are canonical SQL (`?` markers), rendered for the adapter by its driver: a DB-API driver
    where dbt's handle is a PEP 249 connection, dbt's adapter API otherwise (capabilities.driver).
    """

    def __init__(self, target: DbtTarget) -> None:
        self._adapter, self._config = _open_adapter(target)
        config = self._config
        self.target_name: str = config.target_name
        self.target_schema: str = config.credentials.schema
        project_vars = config.vars.to_dict()
        self.vars: dict[str, Any] = {**{k: v for k, v in project_vars.items() if not isinstance(v, dict)}}
        self.vars.update(config.cli_vars)
        self.adapter_type: str = self._adapter.type()
        self.capabilities: Capabilities = capabilities_for(self.adapter_type)
        self._quoting: dict[str, bool] = dict(getattr(config, "quoting", None) or {})
        self.threads: int = int(config.threads or 1)  # the profile's: how many models sync at once
        self._lock = threading.Lock()
        self._macros_loaded = False
        profile_settings = getattr(config.credentials, "settings", None) or {}
        self._spill = self.adapter_type == "duckdb" and "memory_limit" not in profile_settings
        self._capped: set[int] = set()  # threads whose diff capped DuckDB's memory (_stop_growth)
        self._driver: DbapiDriver | DbtDriver = (
            DbtDriver(self.capabilities, self._adapter, self._handle, self.quote, self._load_macros)
            if self.capabilities.driver == "dbt"
            else DbapiDriver(self.capabilities, self._handle, self.quote)
        )
        # Statements sent to the warehouse (queries, each statement of execute(), each stream): round
        # trips are what a cloud warehouse charges for, so the bench and tests count them here.
        self.statements = 0

    def close(self) -> None:
        if self._spill:
            with contextlib.suppress(Exception):
                self._run_alone(f"set memory_limit = '{_SPILL_HEADROOM_MIB}MiB'")  # for the checkpoint
        with contextlib.suppress(Exception):
            self._adapter.cleanup_connections()
        if self.adapter_type == "duckdb":
            # dbt-duckdb keeps the database open in a process-wide environment after its connections
            # close: a process running syncs through the Python API would hold the file's write lock
            # until it exits, and the next `dbt build` or sync of another process would be locked out.
            with contextlib.suppress(Exception):
                type(self._adapter.connections).env().close()
        from dbt.adapters.factory import reset_adapters

        reset_adapters()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def quote(self, identifier: str) -> str:
        """An identifier quoted for canonical SQL (sql_render gives it the dialect's quotes), the quote
        doubled inside the name: a column named `x"; drop table y; --` stays a name."""
        return '"' + identifier.replace('"', '""') + '"'

    def relation(self, database: str | None, schema: str, identifier: str) -> str:
        relation = self._adapter.Relation.create(database=database, schema=schema, identifier=identifier)
        return self.canonical(str(relation.render()))

    def canonical(self, relation_name: str) -> str:
        """A relation as dbt renders it for this adapter (a manifest's relation_name) in canonical SQL."""
        return canonical_relation(relation_name, self.capabilities)

    def project_relation(self, schema: str, identifier: str | None = None) -> str:
        """A schema, or a table in it, named as dbt names what it builds in this project: with the
        project's `quoting:` config over the adapter's defaults (dbt-snowflake quotes nothing, so
        `dev_pendo_sync` is DEV_PENDO_SYNC there, the schema `ref('pendo_sync_state')` reads)."""
        relation = self._adapter.Relation.create(
            schema=schema, identifier=identifier, quote_policy=self._quoting
        ).include(database=False, identifier=identifier is not None)
        return self.canonical(str(relation.render()))

    def name_as_built(self, identifier: str) -> str:
        """A table name of the package's own, quoted as dbt quotes identifiers in this project."""
        relation = self._adapter.Relation.create(identifier=identifier, quote_policy=self._quoting)
        return self.canonical(str(relation.include(database=False, schema=False).render()))

    def columns(self, relation: str) -> list[str] | None:
        """Column names of a relation, or None when it does not exist (the model was never built)."""
        typed = self.column_types(relation)
        return None if typed is None else [name for name, _ in typed]

    def column_types(self, relation: str) -> list[tuple[str, str]] | None:
        """(name, type) of each column, or None when the relation does not exist. The type is the
        driver's: a name such as 'DECIMAL(18,2)' on DuckDB, a type OID such as '1184' on PostgreSQL; dbt's
        name for it ('integer', 'timestamp with time zone') through dbt's adapter API."""
        try:
            found = self._driver.describe(relation)
        except PendoSyncError:
            raise
        except Exception as exc:
            if _is_missing_relation(exc):
                return None
            raise WarehouseError(f"Could not read the columns of {relation}: {dbt_reason(exc)}") from None
        return found or None  # dbt's adapter API describes a missing relation as no columns

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a small query on this thread's connection and return all rows; on the thread that streamed
        the last diff, with DuckDB's memory uncapped first."""
        self._uncap()
        return self._run_alone(sql, params)

    def _run_alone(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._count(1)
        try:
            return self._driver.fetch(sql, params)[1]
        except PendoSyncError:
            raise
        except Exception as exc:
            raise WarehouseError(f"The warehouse refused a query: {dbt_reason(exc)}\n{sql}") from None

    def execute(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run statements on this thread's connection in one transaction, all of them or none, where the
        adapter has transactions (capabilities.transactions "statements" or "dbapi"). With "none"
        (BigQuery, Spark, Trino, ...) each statement stands alone: after a failure, those before it
        stay applied, so callers send only statements that are safe one by one."""
        self._count(len(statements))
        try:
            self._driver.run(statements)
        except PendoSyncError:
            raise
        except Exception as exc:
            raise WarehouseError(f"The warehouse refused a statement: {dbt_reason(exc)}") from None

    def define(self, statements: Sequence[str]) -> None:
        """Schema changes (create, alter, drop), each statement committed alone, never inside a batch's
        transaction: Snowflake commits the open transaction at any DDL statement (fakesnow's server even
        fails such a statement), and each one here is idempotent (`if not exists`, `if exists`), so a run
        killed between two leaves nothing the next run does not finish."""
        for sql in statements:
            self._count(1)
            try:
                self._driver.run([(sql, ())], atomic=False)
            except PendoSyncError:
                raise
            except Exception as exc:
                raise WarehouseError(f"The warehouse refused a statement: {dbt_reason(exc)}\n{sql}") from None

    def stream(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """Yield lists of rows, `size` at a time, never holding the whole result: from a streaming
        cursor where the driver has one, else in keyset pages (paging.py)."""
        self._count(1)
        self._uncap(lift=True)  # the query's joins are built at full memory
        chunks = self._driver.stream(sql, size)
        first = True
        try:
            while True:
                try:
                    rows = next(chunks)
                except StopIteration:
                    if first and self._capped:  # an empty diff; another model's diff may stream on
                        self._stop_growth()
                    return
                except PendoSyncError:
                    raise
                except Exception as exc:
                    raise WarehouseError(f"The warehouse refused a query: {dbt_reason(exc)}\n{sql}") from None
                if first:  # the query's joins are built by now, with all the memory they wanted
                    first = False
                    self._stop_growth()
                yield rows
        finally:
            chunks.close()

    @contextlib.contextmanager
    def memory_cap(self, mib: int) -> Iterator[None]:
        """Within the block, DuckDB (in this process) holds at most `mib` MiB and spills beyond it; then
        its default again. Only where the profile leaves `memory_limit` to us; elsewhere a no-op."""
        if not self._spill:
            yield
            return
        self.query(f"set memory_limit = '{int(mib)}MiB'")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self.query("reset memory_limit")

    def _stop_growth(self) -> None:
        """Cap DuckDB's memory (shared by all its connections) at what it uses now plus the headroom, from a
        side connection so the stream on this thread's goes on: only when the profile leaves the limit to
        us, and only if DuckDB agrees (it refuses a limit it cannot free memory down to)."""
        if not self._spill:
            return
        # Best effort: without the cap DuckDB only uses more memory. The side cursor is a new connection
        # to the same database.
        with contextlib.suppress(Exception), contextlib.closing(self._handle().cursor().cursor()) as side:
            used = side.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()
            side.execute(f"set memory_limit = '{int(used[0]) // 2**20 + _SPILL_HEADROOM_MIB}MiB'")
            with self._lock:
                self._capped.add(threading.get_ident())

    def _uncap(self, *, lift: bool = False) -> None:
        """Lift the cap a diff left when the thread that streamed it asks for something else: by then the
        state writer has committed the model's rows (the sync waits for it), so the next model's queries
        get DuckDB's default memory for their joins. Models sync at once, each on its own thread: while
        another's diff streams, the cap stays, except for a new diff's joins (`lift`), which are built at
        full memory as when it streams alone; that diff caps again after its first rows, counting what
        the others hold. The state writer's thread never lifts it."""
        with self._lock:
            was_capped = bool(self._capped)
            mine = threading.get_ident() in self._capped
            self._capped.discard(threading.get_ident())
            reset = (lift and was_capped) or (mine and not self._capped)
        if reset:
            with contextlib.suppress(Exception):
                self._run_alone("reset memory_limit")

    def _count(self, statements: int) -> None:
        with self._lock:
            self.statements += statements

    def _handle(self) -> Any:
        """This thread's dbt connection, opened on first use: dbt keeps one per thread (the main thread
        reads, the state writer writes)."""
        with self._lock:
            connection = self._adapter.connections.set_connection_name(f"pendo_sync_{threading.get_ident()}")
        try:
            return connection.handle
        except Exception as exc:
            if "could not set lock on file" in str(exc).lower():
                raise LockError(
                    f"Another process has the DuckDB file open ({dbt_reason(exc)}). DuckDB allows one writer: "
                    "wait for the other pendo-dbt or dbt run to finish, then rerun."
                ) from None
            raise WarehouseError(f"Could not connect to the warehouse: {dbt_reason(exc)}") from None

    def _load_macros(self) -> None:
        """dbt's macros, which its macro-backed adapter calls (get_columns_in_relation) run: loaded once,
        and only where such a call is made."""
        with self._lock:
            if self._macros_loaded:
                return
            from dbt.context.providers import generate_runtime_macro_context
            from dbt.parser.manifest import ManifestLoader

            manifest = ManifestLoader.load_macros(
                self._config, self._adapter.connections.set_query_header, base_macros_only=True
            )
            self._adapter.set_macro_resolver(manifest)
            self._adapter.set_macro_context_generator(generate_runtime_macro_context)
            self._macros_loaded = True


def _open_adapter(target: DbtTarget) -> tuple[Any, Any]:
    from argparse import Namespace

    from dbt.adapters.factory import get_adapter, register_adapter, reset_adapters
    from dbt.config.runtime import RuntimeConfig
    from dbt.config.utils import parse_cli_vars
    from dbt.flags import set_from_args
    from dbt.mp_context import get_mp_context
    from dbt_common.context import set_invocation_context

    route_dbt_events()
    set_invocation_context(os.environ)  # what env_var() in profiles.yml reads, as in dbt's own CLI
    profiles_dir = target.profiles_dir or _default_profiles_dir()
    try:
        cli_vars = parse_cli_vars(target.vars) if target.vars else {}
        args = Namespace(
            project_dir=str(target.project_dir),
            profiles_dir=str(profiles_dir),
            target=target.target,
            profile=target.profile,
            vars=cli_vars,
            threads=None,
        )
        set_from_args(args, None)
        config = RuntimeConfig.from_args(args)
        reset_adapters()
        register_adapter(config, get_mp_context())
    except Exception as exc:
        raise ConfigError(
            [f"dbt could not load the project/profile: {dbt_reason(exc)} (profiles dir: {profiles_dir})"]
        ) from None
    return get_adapter(config), config


def route_dbt_events() -> None:
    """dbt's warnings and errors go to our log (shown without --debug, as Python shows warnings); the rest
    of dbt's console output is dropped, since its lines would interleave with ours."""
    from dbt_common.events.event_manager_client import add_callback_to_manager, cleanup_event_logger

    cleanup_event_logger()
    add_callback_to_manager(_log_dbt_event)


def _log_dbt_event(event: Any) -> None:
    level = event.info.level
    if level in ("warn", "error"):
        dbt_log.log(logging.ERROR if level == "error" else logging.WARNING, "dbt: %s", event.info.msg)


def _default_profiles_dir() -> Path:
    """dbt's own rule: DBT_PROFILES_DIR, else the current directory if it has profiles.yml, else ~/.dbt."""
    from dbt.cli.resolvers import default_profiles_dir

    return Path(os.environ.get("DBT_PROFILES_DIR") or default_profiles_dir())


def _is_missing_relation(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("does not exist", "not found", "no such table", "undefinedtable"))
