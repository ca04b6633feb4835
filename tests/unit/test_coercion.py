"""Coercion to Pendo field types: round trips, boundaries, time zones, DST and dates before 1970."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pendo_sync.coercion import (
    INT_LIMIT,
    MS_MAX,
    MS_MIN,
    STRING_MAX,
    coercer,
    to_boolean,
    to_float,
    to_integer,
    to_list,
    to_number,
    to_string,
    to_time,
)

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)
# Wide enough for dates long before 1970, narrow enough that every zone's offset stays within years 1-9999.
WHEN = {"min_value": datetime(100, 1, 1), "max_value": datetime(9900, 12, 31)}
NEW_YORK = ZoneInfo("America/New_York")


def rejects(pendo_type: str, value: Any) -> str:
    with pytest.raises(ValueError) as info:
        coercer(pendo_type)(value)
    return str(info.value)


# -- time --------------------------------------------------------------------------------------------


@given(st.datetimes(**WHEN, timezones=st.timezones()))
def test_time_is_the_instant_in_epoch_ms_in_any_zone(value: datetime) -> None:
    ms = to_time(value)
    assert ms == (value - EPOCH) // MS
    # Round trip: the instant comes back, to the millisecond (sub-millisecond parts are floored).
    assert EPOCH + ms * MS == value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)


@given(st.datetimes(**WHEN))
def test_naive_timestamps_are_utc(value: datetime) -> None:
    assert to_time(value) == to_time(value.replace(tzinfo=UTC))


@given(st.datetimes(**WHEN, timezones=st.timezones() | st.none()))
def test_iso_text_means_the_same_instant(value: datetime) -> None:
    assert to_time(value.isoformat()) == to_time(value)
    assert to_time(f"  {value.isoformat(sep=' ')} ") == to_time(value)


@given(st.datetimes(**WHEN))
def test_iso_text_with_z_is_utc(value: datetime) -> None:
    assert to_time(value.isoformat() + "Z") == to_time(value)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_dates_are_utc_midnight_also_before_1970(value: date) -> None:
    ms = to_time(value)
    assert ms == (value - date(1970, 1, 1)).days * 86_400_000
    assert ms % 86_400_000 == 0
    assert (ms < 0) == (value < date(1970, 1, 1))
    assert to_time(value.isoformat()) == ms


@given(st.integers(min_value=MS_MIN // 1000, max_value=10**11 - 1))
def test_numbers_below_1e11_are_epoch_seconds(seconds: int) -> None:
    assert to_time(seconds) == seconds * 1000
    assert to_time(str(seconds)) == seconds * 1000
    assert to_time(Decimal(seconds)) == seconds * 1000


@given(st.integers(min_value=10**11, max_value=MS_MAX), st.booleans())
def test_numbers_from_1e11_are_epoch_milliseconds(ms: int, negative: bool) -> None:
    value = max(-ms, MS_MIN) if negative else ms
    assert to_time(value) == value
    assert to_time(str(value)) == value
    assert to_time(float(value)) == int(float(value))


def test_epoch_boundaries() -> None:
    assert to_time(99_999_999_999) == 99_999_999_999_000  # seconds: the year 5138
    assert to_time(100_000_000_000) == 100_000_000_000  # milliseconds: 1973
    assert to_time(1.001) == 1001  # no float error: 1.001 s is 1001 ms, not 1000
    assert to_time(-1.5) == -1500
    assert to_time("1700000000.5") == 1_700_000_000_500


def test_the_years_1_to_9999_and_nothing_outside() -> None:
    assert to_time(datetime(1, 1, 1)) == MS_MIN
    assert to_time(datetime(9999, 12, 31, 23, 59, 59, 999_999)) == MS_MAX
    assert to_time(MS_MAX) == MS_MAX
    assert "outside the years" in rejects("time", MS_MAX + 1)
    assert "outside the years" in rejects("time", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    assert "outside the years" in rejects("time", Decimal("1e300"))


def test_dst_gap_and_fold_follow_the_zone() -> None:
    before = datetime(2024, 3, 10, 1, 59, tzinfo=NEW_YORK)  # EST, a minute before clocks jump to 03:00
    after = datetime(2024, 3, 10, 3, 0, tzinfo=NEW_YORK)  # EDT
    assert to_time(after) - to_time(before) == 60_000
    first = datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK)  # 01:30 EDT
    second = first.replace(fold=1)  # 01:30 again, an hour later, EST
    assert to_time(second) - to_time(first) == 3_600_000
    assert to_time(first) == to_time("2024-11-03T05:30:00Z")
    assert to_time("2024-11-03T01:30:00-05:00") == to_time(second)


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_wall_clock_times_in_a_dst_zone_map_like_python(value: datetime) -> None:
    for fold in (0, 1):
        local = value.replace(tzinfo=NEW_YORK, fold=fold)
        assert to_time(local) == to_time(local.astimezone(UTC))


@pytest.mark.parametrize("value", [True, "yesterday", "2024-13-01", "12:30", [1], None.__class__, ""])
def test_what_is_not_a_time_is_rejected(value: Any) -> None:
    rejects("time", value)


# -- boolean -----------------------------------------------------------------------------------------

TRUE_WORDS = ("true", "t", "yes", "y", "1", "on")
FALSE_WORDS = ("false", "f", "no", "n", "0", "off")


@given(st.booleans())
def test_booleans_round_trip(value: bool) -> None:
    assert to_boolean(value) is value
    assert to_boolean(int(value)) is value
    assert to_boolean(Decimal(int(value))) is value
    assert to_boolean(to_string(value)) is value


@given(st.sampled_from(TRUE_WORDS + FALSE_WORDS), st.sampled_from([str.upper, str.title, str.lower]))
def test_boolean_spellings_in_any_case(word: str, case: Any) -> None:
    assert to_boolean(f" {case(word)} ") is (word in TRUE_WORDS)


@given(st.text())
def test_other_text_is_not_a_boolean(text: str) -> None:
    assume(text.strip().lower() not in TRUE_WORDS + FALSE_WORDS)
    rejects("boolean", text)


@pytest.mark.parametrize("value", [2, -1, 0.5, float("nan"), Decimal("NaN"), [True], date(2024, 1, 1)])
def test_other_values_are_not_booleans(value: Any) -> None:
    assert "not a boolean" in rejects("boolean", value)


# -- numbers -----------------------------------------------------------------------------------------


@given(st.integers(min_value=-INT_LIMIT, max_value=INT_LIMIT - 1))
def test_integers_round_trip_within_64_bits(value: int) -> None:
    assert to_integer(value) == value
    assert to_integer(str(value)) == value
    assert to_integer(Decimal(value)) == value
    assert to_number(value) == value
    assert int(to_string(value)) == value


def test_integer_boundaries() -> None:
    assert to_integer(-(2**63)) == -(2**63)
    assert to_integer(2**63 - 1) == 2**63 - 1
    assert "64-bit" in rejects("integer", 2**63)
    assert "64-bit" in rejects("integer", -(2**63) - 1)
    assert to_integer(12.0) == 12
    assert to_integer("12.00") == 12
    assert to_integer(Decimal("1E+3")) == 1000
    assert "whole number" in rejects("integer", 12.5)
    assert "whole number" in rejects("integer", "0.1")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip(value: float) -> None:
    assert to_float(value) == value
    assert to_float(repr(value)) == value
    assert to_number(value) == value
    assert float(to_string(value)) == value
    assert json.loads(json.dumps(to_float(value))) == value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**15), max_value=10**15))
def test_decimals_keep_their_value(value: Decimal) -> None:
    number = to_number(value)
    if value == value.to_integral_value():
        assert isinstance(number, int) and number == value
    else:
        assert number == float(value)
    assert to_float(value) == float(value)
    assert Decimal(to_string(value)) == value  # text keeps every digit


@pytest.mark.parametrize("pendo_type", ["number", "integer", "float"])
@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), -math.inf, Decimal("NaN"), Decimal("-Infinity"), "nan", "inf"]
)
def test_nan_and_infinities_are_rejected(pendo_type: str, value: Any) -> None:
    rejects(pendo_type, value)


@pytest.mark.parametrize("pendo_type", ["number", "integer", "float"])
@pytest.mark.parametrize(
    "value", [True, False, "twelve", "1,000", "1_000", "", "0x10", [1], date(2024, 1, 1)]
)
def test_non_numbers_are_rejected(pendo_type: str, value: Any) -> None:
    rejects(pendo_type, value)


def test_numeric_text_and_huge_values() -> None:
    assert to_integer(3.957241539544302e16) == 39_572_415_395_443_024  # the float's exact value
    assert isinstance(to_number(3.0), float)
    assert to_number(" 42 ") == 42
    assert to_number("-1.5e3") == -1500
    assert to_number("2.50") == 2.5
    assert to_number(Decimal("12.00")) == 12 and isinstance(to_number(Decimal("12.00")), int)
    assert to_number(10**30) == 1e30  # a whole number beyond 64 bits goes as a float
    assert "too large" in rejects("number", Decimal("1e400"))
    assert "too large" in rejects("float", "1e309")


# -- string ------------------------------------------------------------------------------------------


@given(st.text(max_size=STRING_MAX))
def test_text_up_to_1500_characters_is_sent_as_is(text: str) -> None:
    assert to_string(text) == text


def test_longer_text_is_rejected_not_truncated() -> None:
    assert to_string("x" * STRING_MAX) == "x" * STRING_MAX
    assert rejects("string", "x" * (STRING_MAX + 1)) == "1501 characters; Pendo keeps at most 1,500"
    assert "1501 characters" in rejects("", "é" * (STRING_MAX + 1))  # untyped fields too
    assert "1501 characters" in rejects("list", ["x" * (STRING_MAX + 1)])


@given(st.datetimes(timezones=st.timezones() | st.none()))
def test_timestamps_as_text_are_iso_8601(value: datetime) -> None:
    parsed = datetime.fromisoformat(to_string(value))
    assert parsed.replace(tzinfo=None) == value.replace(tzinfo=None)
    assert parsed.utcoffset() == value.utcoffset()  # the wall time and its offset, as the warehouse had them


def test_everything_has_a_text_form() -> None:
    assert to_string(date(1969, 7, 20)) == "1969-07-20"
    assert to_string(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
    assert to_string(True) == "true"
    assert to_string(Decimal("120000.50")) == "120000.50"
    assert to_string(["a", 1, date(2024, 1, 1)]) == '["a",1,"2024-01-01"]'
    assert to_string({"k": Decimal("1.5")}) == '{"k":1.5}'
    assert to_string(b"bytes") == "bytes"
    assert "UTF-8" in rejects("string", b"\xff")
    assert "NaN" in rejects("string", float("nan"))


# -- list --------------------------------------------------------------------------------------------


@given(st.lists(st.text(max_size=20) | st.integers() | st.booleans()))
def test_lists_and_json_arrays_round_trip(items: list[Any]) -> None:
    assert to_list(items) == items
    assert to_list(tuple(items)) == items
    assert to_list(json.dumps(items)) == items


@pytest.mark.parametrize("value", ["a,b", '"a"', "{}", 5, True, {"a": 1}, "[NaN]"])
def test_non_lists_are_rejected(value: Any) -> None:
    rejects("list", value)


# -- untyped -----------------------------------------------------------------------------------------


def test_untyped_fields_get_natural_json() -> None:
    assert coercer("")(Decimal("2.50")) == 2.5
    assert coercer("")(date(1970, 1, 2)) == 86_400_000
    assert coercer("hyperlink")("x") == "x"  # a type we do not know is treated as untyped
    assert coercer("")([1, Decimal("2")]) == [1, 2]


def _outcome(pendo_type: str, value: Any) -> tuple[type, Any]:
    try:
        converted = coercer(pendo_type)(value)
    except ValueError:
        return ValueError, None
    return type(converted), converted


@given(st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from(["integer", "number", "float"]))
def test_native_ints_convert_exactly_as_the_same_decimal(value: int, pendo_type: str) -> None:
    # ints take a fast path that skips Decimal; it must not change any answer
    assert _outcome(pendo_type, value) == _outcome(pendo_type, Decimal(value))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_native_floats_convert_exactly_as_the_same_decimal(value: float) -> None:
    assert _outcome("float", value) == _outcome("float", Decimal(value))
