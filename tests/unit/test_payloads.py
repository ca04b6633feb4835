"""Row -> Pendo payload: JSON-native values, bad rows rejected alone with a reason."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.coercion import epoch_ms
from pendo_sync.payloads import (
    RowRejected,
    json_value,
    mapped_field,
    metadata_entry,
    metadata_values,
    record_id,
    timestamp_ms,
)


def test_record_id_rejects_null_and_blank_but_keeps_text_exact() -> None:
    with pytest.raises(RowRejected, match="id column 'user_id' is null"):
        record_id(None, "user_id")
    with pytest.raises(RowRejected, match="is empty"):
        record_id("  \t", "user_id")
    assert record_id(" a/b?c#d ", "x") == " a/b?c#d "
    assert record_id(42, "x") == "42"


def test_nulls_skip_leaves_fields_out_and_clear_sends_null() -> None:
    fields = [mapped_field("plan", "plan", "string", 1), mapped_field("seats", "seats", "integer", 2)]
    assert metadata_values(("u1", "pro", None), fields, "skip") == {"plan": "pro"}
    assert metadata_values(("u1", "pro", None), fields, "clear") == {"plan": "pro", "seats": None}


def test_a_bad_value_rejects_the_row_naming_column_and_value() -> None:
    with pytest.raises(
        RowRejected,
        match=r"column 'score' value nan rejected for Pendo untyped field 'score': NaN and infinity",
    ):
        metadata_values((float("nan"),), [mapped_field("score", "score", "", 0)], "skip")


def test_values_become_json_native() -> None:
    assert json_value(Decimal("12.00")) == 12
    assert json_value(Decimal("12.50")) == 12.5
    assert json_value(date(1970, 1, 2)) == 86_400_000
    assert json_value(datetime(2024, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))) == 1704067200000
    assert json_value([1, Decimal("2")]) == [1, 2]
    assert metadata_entry("account", "acme", {"a": 1}) == {"accountId": "acme", "values": {"a": 1}}


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_epoch_ms_matches_python_for_naive_utc(value: datetime) -> None:
    expected = math.floor(value.replace(tzinfo=timezone.utc).timestamp() * 1000 + 1e-6)
    assert abs(epoch_ms(value) - expected) <= 1
    assert epoch_ms(value) == (value - datetime(1970, 1, 1)) // timedelta(milliseconds=1)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_decimals_keep_their_value(value: Decimal) -> None:
    converted = json_value(value)
    assert converted == (int(value) if value == value.to_integral_value() else float(value))


@given(st.integers(min_value=10**11, max_value=253_402_300_799_999))
def test_an_event_timestamp_in_epoch_milliseconds_is_sent_as_it_is(ms: int) -> None:
    assert timestamp_ms(ms, "ts") == ms
    assert timestamp_ms(Decimal(ms), "ts") == ms


@pytest.mark.parametrize(
    "raw",
    [1_767_225_600_123_456, 1_767_225_600_123_456_789, 1e300, -1e18, float("nan"), True, "soon"],
    ids=["epoch-us", "epoch-ns", "1e300", "-1e18", "nan", "bool", "text"],
)
def test_an_event_timestamp_that_is_no_date_in_range_rejects_the_row(raw: object) -> None:
    """An event is sent once: a value read as a date in the year 57,900 could never be corrected."""
    with pytest.raises(RowRejected, match="timestamp column 'ts' value"):
        timestamp_ms(raw, "ts")


def test_event_timestamps_read_seconds_dates_and_iso_text() -> None:
    assert timestamp_ms(1_767_225_600, "ts") == 1_767_225_600_000
    assert timestamp_ms(1.001, "ts") == 1001  # as written, not its binary value
    assert timestamp_ms(date(2026, 1, 1), "ts") == 1_767_225_600_000
    assert timestamp_ms("2026-01-01T00:00:00Z", "ts") == 1_767_225_600_000
