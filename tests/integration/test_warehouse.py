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


def _memory_limit(warehouse: Warehouse) -> str:
    """Read from another thread (its own connection), so a stream open on this one goes on."""
    seen: list[str] = []
    reader = threading.Thread(
        target=lambda: seen.append(warehouse.query("select current_setting('memory_limit')")[0][0])
    )
    reader.start()
    reader.join()
    return seen[0]


def _limits_around_a_stream(project: Project, target: str) -> tuple[str, str, str, int]:
    """DuckDB's memory limit before, during and after streaming 5,000 rows, and the rows streamed."""
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, target)) as warehouse:
        before = _memory_limit(warehouse)
        during, count = "", 0
        for rows in warehouse.stream("select * from range(5000)", size=1000):
            during = during or _memory_limit(warehouse)
            count += len(rows)
        return before, during, _memory_limit(warehouse), count


def test_duckdb_spills_while_rows_stream_and_gets_its_memory_back_after(project: Project) -> None:
    if project.target != "duckdb":
        pytest.skip("a DuckDB setting")
    before, during, after, count = _limits_around_a_stream(project, "duckdb")
    assert count == 5000
    assert during == "30.5 MiB"  # 32MB, as DuckDB prints it
    assert before != during
    assert after == before  # the next model's diff builds its joins at full memory


def test_a_memory_limit_in_the_profile_is_left_alone(project: Project) -> None:
    if project.target != "duckdb":
        pytest.skip("a DuckDB setting")
    profiles = Path(project.path) / "profiles.yml"
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
    before, during, after, count = _limits_around_a_stream(project, "duckdb_limited")
    assert count == 5000
    assert before == during == after
    assert before == "953.6 MiB"  # 1GB, as DuckDB prints it
