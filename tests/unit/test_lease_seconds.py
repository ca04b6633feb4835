"""The var pendo_sync_lease_seconds: how long a killed run's lease keeps the next run out."""

from __future__ import annotations

import pytest

from pendo_sync.errors import ConfigError
from pendo_sync.lease import LEASE_SECONDS
from pendo_sync.state import _lease_seconds


def test_default_and_var() -> None:
    assert _lease_seconds({}) == LEASE_SECONDS
    assert _lease_seconds({"pendo_sync_lease_seconds": 30}) == 30.0
    assert _lease_seconds({"pendo_sync_lease_seconds": "45.5"}) == 45.5


@pytest.mark.parametrize("value", [0, 9.9, -5, "soon", None, float("nan")])
def test_a_bad_value_names_the_var_and_the_fix(value: object) -> None:
    with pytest.raises(ConfigError) as raised:
        _lease_seconds({"pendo_sync_lease_seconds": value})
    assert "pendo_sync_lease_seconds" in str(raised.value) and "at least 10" in str(raised.value)
