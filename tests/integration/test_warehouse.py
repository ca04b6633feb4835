"""The warehouse connection's effect on the process: dbt's objects are frozen for the GC while it is open,
and DuckDB spills rather than grows while rows stream."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from pendo_sync.warehouse import DbtTarget, Warehouse
from tests.integration.harness import Project, environ


def test_dbt_objects_are_frozen_for_the_gc_only_while_the_warehouse_is_open(project: Project) -> None:
    gc.unfreeze()
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse:
        assert gc.get_freeze_count() > 10_000  # dbt's project, profile, adapter and macros
        assert warehouse.query("select 1") == [(1,)]
    assert gc.get_freeze_count() == 0  # closed: anything of it that is garbage can be collected


def test_the_gc_paused_while_dbt_loads_is_left_as_it_was(project: Project) -> None:
    target = DbtTarget(project.path, project.path, project.target)
    with environ(project.env):
        with Warehouse(target):
            assert gc.isenabled()
        gc.disable()  # a host process that runs without the cyclic GC keeps it off
        try:
            with Warehouse(target):
                assert not gc.isenabled()
        finally:
            gc.enable()


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


def _limits_around_a_stream(project: Project, target: str, sql: str) -> tuple[str, str, str, int]:
    """DuckDB's memory limit before, during and after streaming `sql`, and the rows streamed."""
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, target)) as warehouse:
        before = _memory_limit(warehouse)
        during, count = "", 0
        for rows in warehouse.stream(sql, size=1000):
            during = during or _memory_limit(warehouse)
            count += len(rows)
        return before, during, _memory_limit(warehouse), count


def _mib(setting: str) -> float:
    number, unit = setting.split()
    return float(number) * {"KiB": 2**-10, "MiB": 1, "GiB": 2**10}[unit]


def test_duckdb_spills_while_rows_stream_and_gets_its_memory_back_after(duckdb_project: Project) -> None:
    before, during, after, count = _limits_around_a_stream(
        duckdb_project, "duckdb", "select * from range(5000)"
    )
    assert count == 5000
    assert during == "32.0 MiB"  # nothing held yet: the headroom alone
    assert _mib(before) > 1024
    assert after == before  # the next model's diff builds its joins at full memory


def test_a_join_built_before_the_first_row_keeps_its_memory(duckdb_project: Project) -> None:
    """A diff against a large state holds its join's hash table while it streams: the cap goes above it
    (DuckDB refuses a limit below what it holds, which once failed the sync)."""
    join = "select a.i from range(1000000) a(i) join range(1000000) b(i) on a.i = b.i"
    before, during, _, count = _limits_around_a_stream(duckdb_project, "duckdb", join)
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
    before, during, after, count = _limits_around_a_stream(
        duckdb_project, "duckdb_limited", "select * from range(5000)"
    )
    assert count == 5000
    assert before == during == after
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
