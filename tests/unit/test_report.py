"""The per-model lines: each row counted once, rows without an id each counted, a shared reason shown
once, and a status that says what happened to the rows."""

from __future__ import annotations

from pendo_sync.report import ModelResult, RowProblem, RunReport, model_line, problem_lines, summary_line


def test_rows_without_an_id_each_count_and_a_row_with_two_groups_counts_once() -> None:
    result = ModelResult("m", "visitor")
    result.problems += [RowProblem(None, "*", "rejected", "id column 'user_id' is null")] * 4
    result.problems += [
        RowProblem("u1", "agent", "rejected", "bad email"),
        RowProblem("u1", "custom", "rejected", "bad seats"),
        RowProblem("u2", "custom", "rejected", "bad seats"),
    ]
    lines = problem_lines(result)
    assert lines[0] == "  6 rejected (retried next run once fixed):"
    assert "    4 rows: id column 'user_id' is null" in lines
    assert "    2 rows: bad seats: u1, u2" in lines
    assert "    1 row: bad email: u1" in lines


def test_distinct_reasons_are_listed_with_their_ids() -> None:
    result = ModelResult("m", "visitor")
    result.problems += [RowProblem(f"u{i}", "custom", "rejected", f"bad value {i}") for i in range(12)]
    [line] = problem_lines(result)
    assert line.startswith("  12 rejected (retried next run once fixed): u0 (bad value 0), u1 (bad value 1)")
    assert line.endswith("u9 (bad value 9) and 2 more")


def test_a_reason_every_failed_row_shares_is_shown_once_with_the_count() -> None:
    result = ModelResult("m", "event")
    reason = "No answer from Pendo: [Errno 111] Connection refused"
    result.problems += [RowProblem(f"e{i}", "event", "failed", reason) for i in range(15)]
    assert problem_lines(result) == [
        "  15 failed (no usable answer; retried next run):",
        f"    15 rows: {reason}: e0, e1, e2, e3, e4, e5, e6, e7, e8, e9 and 5 more",
    ]


def test_more_than_ten_missing_rows_are_listed_ten_and_counted() -> None:
    result = ModelResult("m", "visitor")
    result.problems += [RowProblem(f"u{i}", "custom", "missing", "not found in Pendo") for i in range(12)]
    [line] = problem_lines(result)
    assert line.startswith("  12 not found in Pendo") and line.endswith("u9 and 2 more")


def settled(updated: int, rejected: int = 0, failed: int = 0, missing: int = 0) -> ModelResult:
    result = ModelResult("m", "event", changed=updated + rejected + failed + missing)
    result.updated, result.rejected, result.failed, result.missing = updated, rejected, failed, missing
    result.sent = result.changed
    result.settle()
    return result


def test_a_model_where_rows_failed_and_none_was_acknowledged_is_an_error() -> None:
    result = settled(0, rejected=1, failed=6)
    assert result.status == "error"
    line = model_line(1, 1, result)
    assert line.startswith("1 of 1 ERROR syncing event model m ")
    assert "0 accepted, 1 rejected, 6 failed" in line  # the figures stay visible


def test_rows_that_did_not_land_next_to_rows_that_did_make_a_warning() -> None:
    assert settled(5, failed=1).status == "warn"
    assert settled(5, rejected=1).status == "warn"
    assert settled(0, rejected=2).status == "warn"  # Pendo answered: a threshold may tolerate it
    assert settled(5, missing=3).status == "ok"
    assert settled(0).status == "ok"
    errored = ModelResult("m", "visitor", status="error", message="duplicates")
    errored.settle()
    assert errored.status == "error"


def test_the_summary_counts_models_by_status() -> None:
    report = RunReport("r", "sync", "dev", "duckdb")
    report.models += [settled(3), settled(3, failed=1), settled(0, failed=2)]
    report.models.append(ModelResult("n", "visitor", status="skipped"))
    line = summary_line(report)
    assert line.startswith("Done. MODELS=4 OK=1 WARN=1 ERROR=1 SKIP=1 SENT=9 UPDATED=6")
    assert model_line(4, 4, report.models[3]).endswith("[SKIP]")


def test_failures_by_reason_count_rows_not_groups_most_common_first() -> None:
    result = ModelResult("m", "visitor")
    result.problems += [
        RowProblem("u1", "agent", "rejected", "bad seats"),
        RowProblem("u1", "custom", "rejected", "bad seats"),  # one row, two groups
        RowProblem("u2", "custom", "rejected", "bad email"),
        RowProblem("u3", "custom", "failed", "bad seats"),
        RowProblem(None, "*", "rejected", "id is null"),
        RowProblem(None, "*", "rejected", "id is null"),
        RowProblem(None, "*", "rejected", "id is null"),
        RowProblem("u4", "custom", "missing", "not found in Pendo"),  # missing is not a failure
    ]
    assert list(result.failures_by_reason().items()) == [
        ("id is null", 3),
        ("bad seats", 2),
        ("bad email", 1),
    ]
