"""--fail-on-rejected: parsing, and the exit code a run's totals earn."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pendo_sync.thresholds import RejectLimit, judge


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("0", RejectLimit(0)),
        ("25", RejectLimit(25)),
        ("0.5%", RejectLimit(0.5, True)),
        (" 10 % ", RejectLimit(10, True)),
    ],
)
def test_counts_and_percentages_parse(text: str, limit: RejectLimit) -> None:
    assert RejectLimit.parse(text) == limit


@pytest.mark.parametrize("text", ["", "-1", "1.5", "abc", "101%", "-2%", "nan%", "inf"])
def test_anything_else_is_refused_with_the_expected_forms(text: str) -> None:
    with pytest.raises(ValueError, match="row count"):
        RejectLimit.parse(text)


def totals(changed: int, rejected: int = 0, failed: int = 0) -> dict[str, int]:
    return {"changed": changed, "rejected": rejected, "failed": failed, "sent": changed}


def test_default_zero_fails_on_any_rejected_or_failed_row_as_before() -> None:
    assert judge(totals(100), 0, RejectLimit()).exit_code == 0
    assert judge(totals(100, rejected=1), 0, RejectLimit()).exit_code == 1
    verdict = judge(totals(100, failed=1), 0, RejectLimit())
    assert verdict.exit_code == 1 and verdict.message and "--fail-on-rejected 0" in verdict.message


def test_a_count_allows_that_many_rejected_plus_failed_rows() -> None:
    limit = RejectLimit.parse("3")
    allowed = judge(totals(1000, rejected=2, failed=1), 0, limit)
    assert allowed.exit_code == 0
    assert (
        allowed.message
        == "3 rejected or failed rows (0.3% of 1000 changed rows): within --fail-on-rejected 3; exit 0"
    )
    assert judge(totals(1000, rejected=2, failed=2), 0, limit).exit_code == 1


def test_a_percentage_is_of_the_changed_rows() -> None:
    limit = RejectLimit.parse("1%")
    assert judge(totals(200, rejected=2), 0, limit).exit_code == 0
    assert judge(totals(200, rejected=3), 0, limit).exit_code == 1
    assert judge(totals(0, rejected=1), 0, limit).exit_code == 1  # rows rejected but none changed: no share


def test_a_model_that_could_not_be_synced_fails_whatever_the_threshold() -> None:
    assert judge(totals(0), 1, RejectLimit(100, True)).exit_code == 1


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000))
def test_raising_a_count_limit_never_turns_success_into_failure(bad: int, changed: int, limit: int) -> None:
    low, high = RejectLimit(limit), RejectLimit(limit + 1)
    assert not low.allows(bad, changed) or high.allows(bad, changed)
    assert low.allows(bad, changed) == (bad <= limit)


def test_one_row_is_said_in_the_singular() -> None:
    verdict = judge(totals(1, rejected=1), 0, RejectLimit())
    assert verdict.message and verdict.message.startswith(
        "1 rejected or failed row (100% of 1 changed row): more than"
    )
