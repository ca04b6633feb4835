"""Diff rows -> payloads, the code path sync sends and plan shows; and how plan counts them."""

from __future__ import annotations

from datetime import datetime

from pendo_sync.backfill import BackfillWindow
from pendo_sync.coercion import epoch_ms
from pendo_sync.config import EventSpec, FieldMapping, MetadataSpec
from pendo_sync.manifest import ModelNode
from pendo_sync.plan_report import ModelPlan
from pendo_sync.prepare import Payload, Rejection, prepare_events, prepare_metadata

NODE = ModelNode("model.p.m", "m", None, "main", "m", {})
VISITORS = MetadataSpec(
    NODE,
    "visitor",
    "user_id",
    (FieldMapping("agent", "email", "email"), FieldMapping("custom", "seats", "seats")),
)
TYPES = {("agent", "email"): "string", ("custom", "seats"): "integer"}


def metadata_rows() -> list[tuple[object, ...]]:
    # key, mapped columns (user_id, email, seats), then per group (agent, custom): hash, change, and the
    # entry the warehouse rendered (None: build it here); last, per group, its NULL values (nulls: skip)
    rows: list[tuple[object, ...]] = [
        ("u1", "u1", "a@x.io", 5, "ha1", "changed", None, "hc1", None, None),  # only the agent group changed
        (
            "u2",
            "u2",
            None,
            "many",
            "ha2",
            "new",
            None,
            "hc2",
            "new",
            None,
        ),  # agent all null; seats not an int
        (None, None, "c@x.io", 1, "ha3", "new", None, "hc3", "new", None),  # no id
        ("u4", "u4", "d@x.io", "7", "ha4", "new", None, "hc4", "changed", None),  # numeric text to an integer
        (
            "u5",
            None,
            None,
            None,
            "ha5",
            "new",
            '{"visitorId":"u5","values":{"email":"e"}}',
            "hc5",
            None,
            None,
        ),
    ]
    nulls = [(0, 0), (1, 0), (0, 0), (0, 0), (0, 1)]  # as the warehouse counts them in the model's values
    return [(*row, *counts) for row, counts in zip(rows, nulls)]


def test_metadata_rows_become_entries_only_for_changed_groups() -> None:
    prepared = prepare_metadata(VISITORS, TYPES, metadata_rows())
    assert prepared.rows == 5
    assert prepared.payloads["agent"] == [
        Payload("u1", {"visitorId": "u1", "values": {"email": "a@x.io"}}, "ha1"),
        Payload("u4", {"visitorId": "u4", "values": {"email": "d@x.io"}}, "ha4"),
        Payload("u5", '{"visitorId":"u5","values":{"email":"e"}}', "ha5"),  # rendered: sent as it is
    ]
    assert prepared.payloads["custom"] == [Payload("u4", {"visitorId": "u4", "values": {"seats": 7}}, "hc4")]
    assert prepared.nothing_to_send == [("agent", "u2", "ha2")]
    (rejection,) = prepared.rejected
    assert (rejection.group, rejection.key) == ("custom", "u2")
    assert "column 'seats' value 'many' rejected for Pendo integer field 'seats'" in rejection.reason
    assert prepared.unkeyed == ["id column 'user_id' is null"]
    assert prepared.replaced == {"agent": {"u1"}, "custom": {"u4"}}  # only these had a state row to replace


def test_event_rows_become_track_events_and_bad_rows_are_rejected_alone() -> None:
    spec = EventSpec(
        NODE, "event_id", "user_id", "at", event_name="Signed Up", properties=(("plan", "plan"),)
    )
    assert spec.columns == ("event_id", "user_id", "at", "plan")
    rendered = (
        '{"type":"track","event":"Signed Up","visitorId":"u3","timestamp":1,"properties":{},"context":{}}'
    )
    rows = [  # key, spec.columns, then the event's JSON and its properties' bytes if the warehouse rendered it
        ("e1", "e1", "u1", datetime(2026, 1, 1), "x" * 600, None, None),
        ("e2", "e2", None, datetime(2026, 1, 1), "pro", None, None),
        ("e3", None, None, None, None, rendered, 513),
    ]
    prepared = prepare_events(spec, rows)
    built, as_rendered = prepared.payloads["event"]
    assert built.key == "e1" and built.row_hash is None and isinstance(built.body, dict)
    assert built.body["event"] == "Signed Up" and built.body["timestamp"] == 1767225600000
    assert as_rendered == Payload("e3", rendered, None)
    assert prepared.oversized == 2
    assert prepared.rejected == [Rejection("event", "e2", "id column 'user_id' is null")]


def test_plan_counts_rows_once_fields_per_value_and_keeps_a_few_samples() -> None:
    plan = ModelPlan("m", "visitor", "model.p.m")
    plan.add(prepare_metadata(VISITORS, TYPES, metadata_rows()), samples=1)
    plan.add(prepare_metadata(VISITORS, TYPES, metadata_rows()[:1]), samples=1)
    assert (plan.changed, plan.to_send, plan.rejected, plan.unsent) == (6, 4, 2, 0)
    assert plan.groups["agent"].records == 4 and plan.groups["agent"].fields == {"email": 4}
    assert plan.groups["custom"].fields == {"seats": 1}
    assert [len(g.samples) for g in plan.groups.values()] == [1, 1]
    lines = plan.lines(1, 2)
    assert lines[0].startswith("1 of 2 PLAN visitor model m ...")
    assert lines[0].endswith("[0 rows, 6 changed, 4 to send, 2 rejected]")
    assert "  agent: 4 records; values per field: email 4" in lines
    assert '  sample custom: {"visitorId":"u4","values":{"seats":7}}' in lines
    assert any(line.startswith("  2 would be rejected: u2 (column 'seats'") for line in lines)


def test_a_row_with_nothing_to_send_in_any_group_is_counted_unsent() -> None:
    plan = ModelPlan("m", "visitor")
    row = ("u9", "u9", None, None, "ha", True, None, "hc", True, None, 1, 1)
    plan.add(prepare_metadata(VISITORS, TYPES, [row]), samples=3)
    assert (plan.changed, plan.to_send, plan.unsent) == (1, 0, 1)


def test_nulls_left_out_of_the_rows_sent_are_counted_and_said() -> None:
    prepared = prepare_metadata(VISITORS, TYPES, metadata_rows())
    # u2's null email (its agent group has nothing to send); not u5's null seats: its custom group did
    # not change, so nothing of it is sent
    assert prepared.nulls_skipped == 1
    plan = ModelPlan("m", "visitor")
    plan.add(prepared, samples=0)
    assert any("1 NULL value would be left out (nulls: skip)" in line for line in plan.lines(1, 1))
    assert any("Set `nulls: clear` to clear them" in line for line in plan.lines(1, 1))


def test_plan_samples_show_text_as_written() -> None:
    plan = ModelPlan("m", "visitor")
    row = ("u1", "u1", "zoë😀@x.io", 5, "ha1", "new", None, "hc1", None, None, 0, 0)
    plan.add(prepare_metadata(VISITORS, TYPES, [row]), samples=1)
    assert '  sample agent: {"visitorId":"u1","values":{"email":"zoë😀@x.io"}}' in plan.lines(1, 1)


def test_events_older_than_the_window_are_not_sent_and_unreadable_times_are_rejected() -> None:
    spec = EventSpec(NODE, "event_id", "user_id", "at", event_name="Paid")
    window = BackfillWindow(days=30)
    first_sync = datetime(2026, 3, 1)
    before = epoch_ms(window.start(first_sync))  # 2026-01-30 00:00 UTC
    rendered = '{"type":"track","event":"Paid","visitorId":"u","timestamp":1,"properties":{},"context":{}}'
    rows = [  # key, spec.columns, then the rendered event, its properties' bytes and its timestamp in ms
        ("old", "old", "u1", datetime(2026, 1, 29, 23, 59, 59), None, None, None),
        ("edge", "edge", "u1", "2026-01-30T00:00:00Z", None, None, None),
        ("old_rendered", None, None, None, rendered, 2, str(before - 1)),
        ("new_rendered", None, None, None, rendered, 2, str(before)),
        ("no_time", "no_time", "u1", None, None, None, None),
        ("bad_time", "bad_time", "u1", "yesterday", None, None, None),
    ]
    prepared = prepare_events(spec, rows, before)
    assert prepared.nothing_to_send == [("event", "old", None), ("event", "old_rendered", None)]
    assert [p.key for p in prepared.payloads["event"]] == ["edge", "new_rendered"]
    assert [r.key for r in prepared.rejected] == ["no_time", "bad_time"]
    assert window.describe(first_sync) == "events from before 2026-01-30 00:00:00 UTC (backfill: {days: 30})"
    assert prepare_events(spec, rows).nothing_to_send == []  # no window: everything is sent
