"""The warehouse connection's effect on the process: none on its GC, dbt's warnings in our log, and DuckDB
spilling rather than growing while rows stream."""

from __future__ import annotations

import gc
import logging
import threading
from pathlib import Path

import pytest

from pendo_sync.dbt_bridge.target import DbtTarget
from pendo_sync.dbt_bridge.warehouse import Warehouse, route_dbt_events
from tests.integration.harness import Project, environ


def test_opening_a_warehouse_leaves_the_processs_gc_alone(project: Project) -> None:
    """A library must not change the garbage collector of the process that hosts it."""
    frozen = gc.get_freeze_count()
    with environ(project.env):
        with Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse:
            assert gc.isenabled() and gc.get_freeze_count() == frozen
            assert warehouse.query("select 1") == [(1,)]
        gc.disable()  # a host process that runs without the cyclic GC keeps it off
        try:
            with Warehouse(DbtTarget(project.path, project.path, project.target)):
                assert not gc.isenabled()
        finally:
            gc.enable()


def test_dbts_warnings_reach_our_log_and_its_chatter_does_not(caplog: pytest.LogCaptureFixture) -> None:
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.functions import fire_event
    from dbt_common.events.types import Note

    route_dbt_events()
    with caplog.at_level(logging.DEBUG, logger="pendo_sync.dbt"):
        fire_event(Note(msg="a deprecated config"), level=EventLevel.WARN)
        fire_event(Note(msg="Registered adapter"), level=EventLevel.INFO)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "dbt: a deprecated config")
    ]


@pytest.fixture
def duckdb_project(project: Project) -> Project:
    """The project on DuckDB: the tests that take it are about a DuckDB setting."""
    if project.target != "duckdb":
        pytest.skip("a DuckDB setting")
    return project


def _memory_limit(warehouse: Warehouse) -> str:
    """Read from another thread (its own connection), so a stream open on this one goes on."""
    seen: list[str] = []
    reader = threading.Thread(
        target=lambda: seen.append(warehouse.query("select current_setting('memory_limit')")[0][0])
    )
    reader.start()
    reader.join()
    return seen[0]


def _limits_around_a_stream(project: Project, target: str, sql: str) -> tuple[str, str, str, str, int]:
    """DuckDB's memory limit before, during and after streaming `sql` (as another thread, the state
    writer, sees it), then once the streaming thread queries again; and the rows streamed."""
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, target)) as warehouse:
        before = _memory_limit(warehouse)
        during, count = "", 0
        for rows in warehouse.stream(sql, size=1000):
            during = during or _memory_limit(warehouse)
            count += len(rows)
        after = _memory_limit(warehouse)
        warehouse.query("select 1")
        return before, during, after, _memory_limit(warehouse), count


def _mib(setting: str) -> float:
    number, unit = setting.split()
    return float(number) * {"KiB": 2**-10, "MiB": 1, "GiB": 2**10}[unit]


def test_duckdb_spills_while_rows_stream_and_gets_its_memory_back_after(duckdb_project: Project) -> None:
    before, during, after, next_query, count = _limits_around_a_stream(
        duckdb_project, "duckdb", "select * from range(5000)"
    )
    assert count == 5000
    assert during == "32.0 MiB"  # nothing held yet: the headroom alone
    assert _mib(before) > 1024
    # The state writer's last commits, after the stream ends, check the state into the file: still capped
    # (uncapped, that checkpoint of a million-row sync took ~300 MiB).
    assert after == during
    assert next_query == before  # the next model's queries build their joins at full memory


def test_with_two_diffs_streaming_the_cap_stays_until_the_last_one_is_done(duckdb_project: Project) -> None:
    """Models sync at once, each streaming its diff on its own thread: the one that started later and is
    done first must not lift the cap the other still streams under; the last one done does."""
    first_reading, second_done = threading.Event(), threading.Event()
    seen: dict[str, str] = {}

    def first(warehouse: Warehouse) -> None:  # a long diff: still streaming when `second` is done
        for _ in warehouse.stream("select * from range(5000)", size=1000):
            first_reading.set()
            assert second_done.wait(60)
        warehouse.query("select 1")  # its model is done
        seen["both done"] = _memory_limit(warehouse)

    def second(warehouse: Warehouse) -> None:
        assert first_reading.wait(60)
        for _ in warehouse.stream("select * from range(3000)", size=1000):
            pass
        warehouse.query("select 1")  # its model is done: alone, it would lift the cap here
        seen["second done, first streaming"] = _memory_limit(warehouse)
        second_done.set()

    project = duckdb_project
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, "duckdb")) as warehouse:
        before = _memory_limit(warehouse)
        threads = [threading.Thread(target=job, args=(warehouse,)) for job in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert set(seen) == {"both done", "second done, first streaming"}, seen
    assert _mib(seen["second done, first streaming"]) < _mib(before)  # still capped
    assert seen["both done"] == before  # the last one lifted it


def test_a_join_built_before_the_first_row_keeps_its_memory(duckdb_project: Project) -> None:
    """A diff against a large state holds its join's hash table while it streams: the cap goes above it
    (DuckDB refuses a limit below what it holds, which once failed the sync)."""
    join = "select a.i from range(1000000) a(i) join range(1000000) b(i) on a.i = b.i"
    before, during, _, _, count = _limits_around_a_stream(duckdb_project, "duckdb", join)
    assert count == 1000000
    assert 32 < _mib(during) < _mib(before)  # capped, above what the join holds


def test_a_memory_limit_in_the_profile_is_left_alone(duckdb_project: Project) -> None:
    profiles = Path(duckdb_project.path) / "profiles.yml"
    profiles.write_text(
        profiles.read_text().replace(
            "    postgres:",
            "    duckdb_limited:\n"
            "      type: duckdb\n"
            "      path: \"{{ env_var('PENDO_SYNC_TEST_DUCKDB', 'integration_tests.duckdb') }}\"\n"
            "      schema: main\n"
            "      settings:\n"
            "        memory_limit: 1GB\n"
            "    postgres:",
        )
    )
    before, during, after, next_query, count = _limits_around_a_stream(
        duckdb_project, "duckdb_limited", "select * from range(5000)"
    )
    assert count == 5000
    assert before == during == after == next_query
    assert before == "953.6 MiB"  # 1GB, as DuckDB prints it


def test_memory_cap_holds_duckdb_within_the_block_and_gives_its_limit_back(duckdb_project: Project) -> None:
    target = DbtTarget(duckdb_project.path, duckdb_project.path, "duckdb")
    with environ(duckdb_project.env), Warehouse(target) as warehouse:
        before = _memory_limit(warehouse)
        with warehouse.memory_cap(128):
            during = _memory_limit(warehouse)
        after = _memory_limit(warehouse)
    assert _mib(before) > 1024
    assert during == "128.0 MiB"
    assert after == before


def test_the_package_tables_are_named_with_the_projects_quoting_policy(project: Project) -> None:
    """The CLI writes state into the relations dbt built: named through dbt's Relation with the project's
    `quoting:` config (dbt-snowflake's default quotes nothing, so Snowflake folds them as dbt's own)."""
    with environ(project.env):
        with Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse:
            assert warehouse.project_relation("dev_pendo_sync") == '"dev_pendo_sync"'
            assert warehouse.project_relation("dev_pendo_sync", "pendo_sync_state") == (
                '"dev_pendo_sync"."pendo_sync_state"'
            )
        config = project.path / "dbt_project.yml"
        config.write_text(config.read_text() + "\nquoting:\n  schema: false\n  identifier: false\n")
        with Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse:
            assert warehouse.project_relation("dev_pendo_sync") == "dev_pendo_sync"
            assert warehouse.project_relation("dev_pendo_sync", "pendo_sync_state") == (
                "dev_pendo_sync.pendo_sync_state"
            )
            assert warehouse.name_as_built("pendo_sync_state") == "pendo_sync_state"
