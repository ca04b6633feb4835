"""What alerts and CI summaries say of a run (outcome.py, notify.py, github.py): pure, from a report."""

from __future__ import annotations

import pytest

from pendo_sync.errors import ConfigError
from pendo_sync.github import step_summary, workflow_commands
from pendo_sync.notify import build_message, host, secrets_of, should_notify, webhooks
from pendo_sync.outcome import RunOutcome
from pendo_sync.report import ModelResult, RowProblem, RunReport
from pendo_sync.thresholds import RejectLimit, judge

HOOK = "https://hooks.slack.com/services/T000/B000/sEcReTtOkEn"


def a_report() -> RunReport:
    report = RunReport(run_id="run-1", command="sync", target="prod", adapter="duckdb")
    good = ModelResult("pendo_accounts", "account", changed=5, sent=5, updated=5)
    bad = ModelResult("pendo_visitors", "visitor", changed=4, sent=4, updated=1, rejected=3)
    bad.problems += [RowProblem(f"u{i}", "custom", "rejected", "seats: not an integer") for i in range(2)]
    bad.problems += [RowProblem("u9", "agent", "rejected", "email | too long\nreally")]
    broken = ModelResult("pendo_events", "event", status="error", message="not synced: its dbt build failed")
    for model in (good, bad, broken):
        model.settle()
    report.models += [good, bad, broken]
    return report


def finished(limit: str = "0") -> RunOutcome:
    report = a_report()
    return RunOutcome.finished(report, judge(report.totals(), 1, RejectLimit.parse(limit)))


def test_a_failed_run_names_models_counts_first_reasons_and_run_id() -> None:
    message = build_message(finished())
    text = message["text"]
    assert text.splitlines()[0] == (
        "pendo-dbt sync on target 'prod' failed (exit 1): 3 models (1 error, 1 warn), 9 rows sent, "
        "6 acknowledged, 3 rejected, 0 failed, 0 missing"
    )
    assert "- pendo_events (event) ERROR: not synced: its dbt build failed" in text
    assert "- pendo_visitors (visitor) WARN: 2 rows: seats: not an integer; 1 rows: email" in text
    assert "pendo_accounts" not in text  # only the models at fault are named in the text
    assert text.endswith("run id run-1")
    assert message["status"] == "failed" and message["exit_code"] == 1
    assert message["target"] == "prod" and message["run_id"] == "run-1"
    assert message["totals"]["rejected"] == 3
    visitors = next(m for m in message["models"] if m["model"] == "pendo_visitors")
    assert visitors["reasons"] == {"seats: not an integer": 2, "email | too long\nreally": 1}
    assert visitors["status"] == "warn" and visitors["updated"] == 1


def test_secrets_and_webhook_urls_are_masked_wherever_they_turn_up() -> None:
    report = RunReport(run_id="r", command="sync", target="dev", adapter="duckdb")
    report.models.append(
        ModelResult("m", "visitor", status="error", message=f"key sk-live-123456 refused; {HOOK}")
    )
    outcome = RunOutcome.finished(report, judge(report.totals(), 1, RejectLimit()))
    secrets = secrets_of({"PENDO_INTEGRATION_KEY": "sk-live-123456", "PENDO_TRACK_EVENT_SECRET": ""}, [HOOK])
    dumped = str(build_message(outcome, secrets))
    assert "sk-live-123456" not in dumped and "sEcReTtOkEn" not in dumped and "***" in dumped


def test_a_run_stopped_before_any_model_still_says_why() -> None:
    outcome = RunOutcome.stopped("sync", 2, "1 configuration problem:\n  - m: bad", None)
    message = build_message(outcome)
    assert message["text"].startswith("pendo-dbt sync configuration error (exit 2)\n1 configuration problem")
    assert message["models"] == [] and message["run_id"] == ""
    assert workflow_commands(outcome) == [
        "::error title=pendo-dbt sync configuration error::1 configuration problem:%0A  - m: bad"
    ]


def test_notify_on_failure_skips_a_passing_run_unless_always() -> None:
    report = RunReport(run_id="r", command="sync", target="dev", adapter="duckdb")
    passed = RunOutcome.finished(report, judge(report.totals(), 0, RejectLimit()))
    assert not should_notify(passed, "failure") and should_notify(passed, "always")
    assert should_notify(finished(), "failure")


def test_rejected_rows_within_the_limit_pass_but_an_error_model_fails() -> None:
    report = a_report()
    report.models.pop()  # without the ERROR model, 3 of 9 changed rows rejected
    within = RunOutcome.finished(report, judge(report.totals(), 0, RejectLimit.parse("50%")))
    crossed = RunOutcome.finished(report, judge(report.totals(), 0, RejectLimit.parse("2")))
    assert not within.failed and "within --fail-on-rejected 50%" in build_message(within)["text"]
    assert crossed.failed and "more than --fail-on-rejected 2 allows" in build_message(crossed)["text"]


def test_webhooks_come_from_flags_else_the_environment_split_on_spaces_and_commas() -> None:
    env = {"PENDO_SYNC_NOTIFY": "https://a.example/x, https://b.example/y  http://c.example/z"}
    assert webhooks([], env) == ["https://a.example/x", "https://b.example/y", "http://c.example/z"]
    assert webhooks(["https://d.example/1"], env) == ["https://d.example/1"]
    assert webhooks([], {}) == []
    with pytest.raises(ConfigError) as caught:
        webhooks(["hooks.slack.com/services/T/B/tok3n"], {})
    assert "tok3n" not in str(caught.value)  # the URL is a secret, even a wrong one
    assert host(HOOK) == "hooks.slack.com"


def test_step_summary_tables_each_model_and_the_totals() -> None:
    summary = step_summary(finished())
    lines = summary.splitlines()
    assert lines[0] == "### pendo-dbt sync on target 'prod' failed (exit 1)"
    header = "| Model | Object | Status | Changed | Sent | Acknowledged | Rejected | Failed | Missing |"
    assert header in lines
    assert "| pendo_visitors | visitor | ⚠️ warn | 4 | 4 | 1 | 3 | 0 | 0 |" in lines
    assert "| pendo_events | event | ❌ error | 0 | 0 | 0 | 0 | 0 | 0 |" in lines
    assert "| **Total** |  |  | **9** | **9** | **6** | **3** | **0** | **0** |" in lines
    assert (
        "- **pendo_visitors** warn: 2 rows: seats: not an integer; 1 rows: email \\| too long really" in lines
    )
    assert "Run id `run-1`" in summary and summary.endswith("\n\n")


def test_annotations_error_for_error_models_warning_for_warn_models_escaped() -> None:
    assert workflow_commands(finished()) == [
        "::error title=pendo-dbt sync%3A pendo_events::not synced: its dbt build failed",
        "::warning title=pendo-dbt sync%3A pendo_visitors::2 rows: seats: not an integer; "
        "1 rows: email | too long%0Areally",
    ]
    report = a_report()
    report.models.pop()
    crossed = RunOutcome.finished(report, judge(report.totals(), 0, RejectLimit()))
    commands = workflow_commands(crossed)  # no ERROR model: the run itself is the error
    assert commands[-1].startswith("::error title=pendo-dbt sync failed::3 rejected or failed rows")


def test_slack_markup_in_a_reason_is_escaped_in_the_text_only() -> None:
    report = RunReport(run_id="r", command="sync", target="dev", adapter="duckdb")
    model = ModelResult("m", "visitor", changed=1, sent=1, rejected=1)
    model.problems.append(RowProblem("u1", "agent", "rejected", "<!channel> & <https://x|y>"))
    model.settle()
    report.models.append(model)
    message = build_message(RunOutcome.finished(report, judge(report.totals(), 0, RejectLimit())))
    assert "1 rows: &lt;!channel&gt; &amp; &lt;https://x|y&gt;" in message["text"]
    assert "<" not in message["text"]
    assert message["models"][0]["reasons"] == {"<!channel> & <https://x|y>": 1}
