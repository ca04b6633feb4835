"""The warehouse connection's effect on the process: dbt's objects are frozen for the GC while it is open."""

from __future__ import annotations

import gc

from pendo_sync.warehouse import DbtTarget, Warehouse
from tests.integration.harness import Project, environ


def test_dbt_objects_are_frozen_for_the_gc_only_while_the_warehouse_is_open(project: Project) -> None:
    gc.unfreeze()
    with environ(project.env), Warehouse(DbtTarget(project.path, project.path, project.target)) as warehouse:
        assert gc.get_freeze_count() > 10_000  # dbt's project, profile, adapter and macros
        assert warehouse.query("select 1") == [(1,)]
    assert gc.get_freeze_count() == 0  # closed: anything of it that is garbage can be collected
