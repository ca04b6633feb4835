"""The per-model problem lines: each row counted once, rows without an id each counted."""

from __future__ import annotations

from pendo_sync.report import ModelResult, RowProblem, problem_lines


def test_rows_without_an_id_each_count_and_a_row_with_two_groups_counts_once() -> None:
    result = ModelResult("m", "visitor")
    result.problems += [RowProblem(None, "*", "rejected", "id column 'user_id' is null")] * 4
    result.problems += [
        RowProblem("u1", "agent", "rejected", "bad email"),
        RowProblem("u1", "custom", "rejected", "bad seats"),
        RowProblem("u2", "custom", "rejected", "bad seats"),
    ]
    [line] = problem_lines(result)
    assert line.startswith("  6 rejected (retried next run once fixed): None (id column 'user_id' is null)")
    assert "u1 (bad email), u1 (bad seats), u2 (bad seats) and 2 more" in line


def test_more_than_ten_missing_rows_are_listed_ten_and_counted() -> None:
    result = ModelResult("m", "visitor")
    result.problems += [RowProblem(f"u{i}", "custom", "missing", "not found in Pendo") for i in range(12)]
    [line] = problem_lines(result)
    assert line.startswith("  12 not found in Pendo") and line.endswith("u9 and 2 more")
