"""Track events end to end: insert-only, backfill, per-row rejections, duplicate keys, the track secret."""

from __future__ import annotations

import socket
from datetime import datetime, timezone

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import TRACK, Project

EVENTS = ("--select", "pendo_events")


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def append_events(project: Project, *rows: dict[str, str]) -> None:
    existing = project.seed_rows("app_events")
    project.write_seed("app_events", [*existing, *({**existing[0], **row} for row in rows)])
    project.rebuild()


def test_every_event_is_sent_once_as_pendo_documents_it(project: Project, emulator: Emulator) -> None:
    first = project.sync(emulator, *EVENTS)
    assert first.exit_code == 0, first.output
    assert "OK synced event model pendo_events" in first.output
    assert "[6 rows, 6 changed, 6 sent: 6 accepted" in first.output
    events = sorted(emulator.events, key=lambda e: (e["timestamp"], e["event"]))
    assert len(events) == 6
    assert events[0] == {
        "type": "track",
        "event": "Signed Up",
        "visitorId": "u001",
        "accountId": "acme",
        "timestamp": ms("2026-11-20 09:30:00"),
        "properties": {"plan": "pro", "amount_usd": 0},
        "context": {"ip": "203.0.113.7", "userAgent": "Mozilla/5.0", "url": "https://app.example.com/signup"},
    }
    assert events[1]["properties"] == {"plan": "pro"}  # a null property is left out
    assert events[3]["properties"]["amount_usd"] == 49.99

    second = project.sync(emulator, *EVENTS)
    assert second.exit_code == 0, second.output
    assert len(emulator.events) == 6
    assert "[6 rows, 0 changed, 0 sent" in second.output


def test_appended_rows_and_only_those_are_sent(project: Project, emulator: Emulator) -> None:
    assert project.sync(emulator, *EVENTS).exit_code == 0
    append_events(
        project,
        {"event": "Closed Ticket", "occurred_at": "2026-11-27 10:00:00"},
        {"event": "Closed Ticket", "occurred_at": "2026-11-27 10:05:00"},
    )
    result = project.sync(emulator, *EVENTS)
    assert result.exit_code == 0, result.output
    assert "[8 rows, 2 changed, 2 sent: 2 accepted" in result.output
    assert [e["event"] for e in emulator.events[6:]] == ["Closed Ticket", "Closed Ticket"]


def test_backfill_false_marks_history_as_seen_and_sends_only_new_rows(
    project: Project, emulator: Emulator
) -> None:
    yml = project.path / "models" / "events" / "events.yml"
    yml.write_text(yml.read_text().replace("backfill: true", "backfill: false"))
    project.dbt("parse")
    first = project.sync(emulator, *EVENTS)
    assert first.exit_code == 0, first.output
    assert "first sync marked the 6 existing events as seen without sending them" in first.output
    assert emulator.events == []

    append_events(project, {"event": "Renewed", "occurred_at": "2026-11-28 12:00:00"})
    second = project.sync(emulator, *EVENTS)
    assert "[7 rows, 1 changed, 1 sent: 1 accepted" in second.output
    assert [e["event"] for e in emulator.events] == ["Renewed"]


def test_rows_that_cannot_be_events_are_rejected_alone(project: Project, emulator: Emulator) -> None:
    append_events(
        project,
        {"user_id": "", "event": "No Visitor"},
        {"occurred_at": "", "event": "No Time"},
        {"event": "", "occurred_at": "2026-11-27 11:00:00"},
    )
    result = project.sync(emulator, *EVENTS)
    assert result.exit_code == 1, result.output
    assert "[9 rows, 9 changed, 6 sent: 6 accepted, 3 rejected" in result.output
    reasons = sorted(p["reason"] for p in project.results()["models"][0]["problems"])
    assert (
        reasons
        == [
            "event name is null or empty",
            "id column 'user_id' is null",
            "timestamp column 'occurred_at' is null",
        ]
        or len(reasons) == 3
    )
    assert len(emulator.events) == 6
    # Rejected rows stay out of state: they are reported again on the next run.
    again = project.sync(emulator, *EVENTS)
    assert "[9 rows, 3 changed, 0 sent: 0 accepted, 3 rejected" in again.output


def test_duplicate_event_ids_stop_the_model(project: Project, emulator: Emulator) -> None:
    sql = project.path / "models" / "events" / "pendo_events.sql"
    sql.write_text(sql.read_text().replace("{{ pendo_sync.event_id(ref('app_events')) }}", "user_id"))
    (project.path / "models" / "events" / "pendo_events.sql").write_text(
        sql.read_text().replace('{{ config(post_hook="{{ pendo_sync.validate() }}") }}', "")
    )
    project.rebuild()
    result = project.sync(emulator, *EVENTS)
    assert result.exit_code == 1
    assert "duplicate value(s) in id column 'event_id' (e.g. 'u001')" in result.output
    assert "Nothing of this model was sent" in result.output
    assert emulator.events == []


def test_the_track_secret_is_required_and_checked(project: Project, emulator: Emulator) -> None:
    unset = project.sync(emulator, *EVENTS, env={"PENDO_TRACK_EVENT_SECRET": ""})
    assert unset.exit_code == 2
    assert "PENDO_TRACK_EVENT_SECRET is not set" in unset.output

    wrong = project.sync(emulator, *EVENTS, env={"PENDO_TRACK_EVENT_SECRET": "wrong-sentinel-secret"})
    assert wrong.exit_code == 1
    assert "Pendo refused the key (HTTP 403" in wrong.output and "PENDO_TRACK_EVENT_SECRET" in wrong.output
    assert "wrong-sentinel-secret" not in wrong.output and TRACK not in wrong.output
    assert emulator.events == []


def test_a_model_whose_every_event_failed_is_an_error_and_its_reason_is_said_once(
    project: Project, emulator: Emulator
) -> None:
    emulator.faults.set(parse_faults([{"match": "/data/track", "status": 501}]))  # not retried
    result = project.sync(emulator, *EVENTS)
    assert result.exit_code == 1, result.output
    assert "): 1 model; state in schema" in result.output  # not "1 models"
    assert "1 of 1 ERROR syncing event model pendo_events" in result.output
    assert "6 sent: 0 accepted, 0 rejected, 6 failed" in result.output
    assert "ERROR=1" in result.output and "OK=0" in result.output
    assert "  6 failed (no usable answer; retried next run):\n" in result.output
    assert result.output.count("Pendo answered HTTP 501") == 1
    assert project.results()["models"][0]["status"] == "error"
    emulator.faults.set([])
    status = project.sync(emulator, *EVENTS, command="status")
    assert ": error (6 failed); pending: 6 rows to send" in status.output


def test_an_unreachable_track_host_stops_the_run_before_any_event_is_sent(
    project: Project, emulator: Emulator
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = project.sync(emulator, *EVENTS, env={"PENDO_BASE_URL": closed})
    assert result.exit_code == 1
    assert f"No answer from Pendo's Track host at {closed} before sending events" in result.output
    assert "Connection refused" in result.output
    assert "failed" not in result.output  # one error, not one per event
    assert emulator.events == []
