"""SQL written once, rendered for the warehouse it runs on.

Builders (state_sql, json_sql, verify_sql, segment_sql) write one canonical SQL text with `?` markers;
this module turns it into the adapter's dialect and parameter style (docs/decisions). DuckDB and
PostgreSQL take the canonical text as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pendo_sync.capabilities import Capabilities


def render(sql: str, params: Sequence[Any], capabilities: Capabilities) -> tuple[str, list[Any]]:
    """The statement and parameters to send to this adapter's driver."""
    return sql, list(params)
