"""A relation as dbt renders it, split back into the parts dbt's adapter API takes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.dbt_bridge.dbt_driver import split_relation


@given(parts=st.lists(st.text(max_size=8), min_size=1, max_size=3), mark=st.sampled_from(['"', "`"]))
def test_quoted_parts_come_back_as_written(parts: list[str], mark: str) -> None:
    rendered = ".".join(mark + part.replace(mark, mark * 2) + mark for part in parts)
    assert split_relation(rendered, mark) == parts


def test_unquoted_parts_split_at_dots() -> None:
    assert split_relation("DB1.SCH1.PENDO_VISITORS", '"') == ["DB1", "SCH1", "PENDO_VISITORS"]
    assert split_relation('main."my.table"', '"') == ["main", "my.table"]
