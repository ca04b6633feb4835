"""`object: segment` end to end: real dbt builds a model of visitor ids, `pendo-dbt sync` keeps a segment
of the emulator in step with it over real HTTP."""

from __future__ import annotations

from collections.abc import Sequence

from pendo_sync.pendo.emulator import Emulator
from tests.integration.harness import Project

SEGMENT = "seg_power_users"
SELECT = ("--select", "pendo_power_users")


def write_segment_model(
    project: Project, ids: Sequence[str | None], segment_id: str = SEGMENT, sql: str = ""
) -> None:
    """A segment model over literal visitor ids (or `sql`), built by dbt; rewriting it changes the
    membership."""
    folder = project.path / "models" / "segments"
    folder.mkdir(exist_ok=True)
    rows = " union all ".join(
        f"select cast({'null' if i is None else repr(i)} as varchar(40)) as user_id" for i in ids
    )
    (folder / "pendo_power_users.sql").write_text((sql or rows) + "\n")
    (folder / "segments.yml").write_text(
        "version: 2\nmodels:\n  - name: pendo_power_users\n    config:\n      meta:\n        pendo:\n"
        f'          object: segment\n          segment_id: "{segment_id}"\n          visitor_id_column: user_id\n'
    )
    project.dbt("run", "--select", "pendo_power_users")


def patches(emulator: Emulator) -> list[dict[str, object]]:
    return [r for r in emulator.requests_log if r["method"] == "PATCH"]


def model_result(project: Project) -> dict[str, object]:
    return dict(project.results()["models"][0])


def test_first_sync_adds_all_and_a_rerun_sends_nothing(project: Project, emulator: Emulator) -> None:
    emulator.seed({"segments": {SEGMENT: []}})
    write_segment_model(project, ["u001", "u002", "u003"])
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 0, result.output
    assert emulator.segment(SEGMENT) == {"u001", "u002", "u003"}
    model = model_result(project)
    assert (model["object"], model["sent"], model["updated"], model["failed"]) == ("segment", 3, 3, 0)
    assert len(patches(emulator)) == 1

    again = project.sync(emulator, *SELECT)
    assert again.exit_code == 0, again.output
    assert len(patches(emulator)) == 1, "a rerun with no change must send nothing"
    assert model_result(project)["sent"] == 0


def test_leaving_is_removed_entering_is_added_others_untouched(project: Project, emulator: Emulator) -> None:
    emulator.seed({"segments": {SEGMENT: ["manual1"]}})  # a member pendo-dbt did not add
    write_segment_model(project, ["u001", "u002"])
    assert project.sync(emulator, *SELECT).exit_code == 0
    write_segment_model(project, ["u002", "u003"])
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 0, result.output
    assert emulator.segment(SEGMENT) == {"manual1", "u002", "u003"}
    assert model_result(project)["updated"] == 2  # u001 removed, u003 added

    status = project.sync(emulator, *SELECT, command="status")
    assert status.exit_code == 0, status.output
    assert "segment model pendo_power_users: synced rows: segment 2" in status.output
    assert "pending: none" in status.output
    write_segment_model(project, ["u003", "u004"])
    status = project.sync(emulator, *SELECT, command="status")
    assert "pending: 2 rows to send (1 visitor to add, 1 visitor to remove)" in status.output, status.output
    assert "left the model" not in status.output


def test_409_operation_in_progress_is_retried(project: Project, emulator: Emulator) -> None:
    emulator.seed({"segments": {SEGMENT: []}})
    emulator.faults.set(_faults([{"match": "/api/v1/segment", "method": "PATCH", "status": 409, "times": 2}]))
    write_segment_model(project, ["u001", "u002"])
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 0, result.output
    assert emulator.segment(SEGMENT) == {"u001", "u002"}
    assert [p["status"] for p in patches(emulator)] == [409, 409, 200]


def test_more_than_1000_visitors_go_in_requests_of_1000(project: Project, emulator: Emulator) -> None:
    emulator.seed({"segments": {SEGMENT: []}})
    sql = "select 'v' || cast(1000 + i as varchar) as user_id from generate_series(0, 1499) t(i)"
    write_segment_model(project, [], sql=sql)
    assert project.sync(emulator, *SELECT).exit_code == 0
    assert emulator.segment(SEGMENT) == {f"v{1000 + i}" for i in range(1500)}
    assert sorted(p["rows"] for p in patches(emulator)) == [500, 1000]


def test_unknown_segment_id_is_a_clear_error(project: Project, emulator: Emulator) -> None:
    write_segment_model(project, ["u001"], segment_id="nope")
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 1
    assert "Pendo has no segment 'nope'" in result.output
    assert "segment_id" in result.output
    assert "Traceback" not in result.output

    emulator.seed({"segments": {"nope": []}})  # once it exists, the visitor is sent: nothing was recorded
    assert project.sync(emulator, *SELECT).exit_code == 0
    assert emulator.segment("nope") == {"u001"}


def test_null_visitor_id_is_rejected_alone(project: Project, emulator: Emulator) -> None:
    emulator.seed({"segments": {SEGMENT: []}})
    write_segment_model(project, ["u001", None])
    result = project.sync(emulator, *SELECT)
    assert emulator.segment(SEGMENT) == {"u001"}
    model = model_result(project)
    assert (model["updated"], model["rejected"]) == (1, 1)
    assert result.exit_code == 1


def test_plan_lists_adds_and_removes_and_sends_nothing(project: Project, emulator: Emulator) -> None:
    emulator.seed({"segments": {SEGMENT: []}})
    write_segment_model(project, ["u001", "u002"])
    assert project.sync(emulator, *SELECT).exit_code == 0
    write_segment_model(project, ["u002", "u003"])
    result = project.sync(emulator, *SELECT, command="plan")
    assert result.exit_code == 0, result.output
    assert "sync would add 1 visitor and remove 1 visitor" in result.output
    assert emulator.segment(SEGMENT) == {"u001", "u002"}


def _faults(rules: list[dict[str, object]]) -> list[object]:
    from pendo_sync.pendo.faults import parse_faults

    return list(parse_faults(rules))


def test_an_add_whose_answer_was_lost_is_still_removed_when_the_visitor_leaves(
    project: Project, emulator: Emulator
) -> None:
    """Pendo applied the add but the answer never came back (the run gave up on it): the visitor is
    pending in state, so when it leaves the model the next run removes it from the segment."""
    emulator.seed({"segments": {SEGMENT: []}})
    emulator.faults.set(_faults([{"match": "/api/v1/segment", "drop": "after"}]))
    write_segment_model(project, ["u001", "u002"])
    lost = project.sync(emulator, *SELECT, "--retry-budget", "1")  # gives up with the add unanswered
    assert lost.exit_code != 0, lost.output
    assert model_result(project)["failed"] == 2  # reported by id, not lost
    assert {p["id"] for p in model_result(project)["problems"]} == {"u001", "u002"}  # type: ignore[attr-defined]
    assert emulator.segment(SEGMENT) == {"u001", "u002"}  # applied, unacknowledged
    emulator.faults.set([])
    write_segment_model(project, ["u002"])
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 0, result.output
    assert emulator.segment(SEGMENT) == {"u002"}
    sent = len(patches(emulator))
    assert project.sync(emulator, *SELECT).exit_code == 0
    assert len(patches(emulator)) == sent  # converged: nothing more to send


def test_the_validate_post_hook_fails_a_segment_model_with_repeated_or_null_visitor_ids(
    project: Project,
) -> None:
    write_segment_model(project, ["u001"])
    model = project.path / "models" / "segments" / "pendo_power_users.sql"
    hook = '{{ config(post_hook="{{ pendo_sync.validate() }}") }}\n'
    model.write_text(hook + "select 'u001' as user_id union all select 'u001' union all select null\n")
    result = project.dbt("run", "--select", "pendo_power_users", expect_ok=False)
    assert not result.success
    message = "\n".join([str(result.exception or ""), *(str(r.message or "") for r in result.result.results)])
    assert "visitor_id_column 'user_id' has 1 NULL value(s)" in message
    assert "has duplicated values" in message
    assert "select distinct user_id" in message


def test_a_new_segment_id_fills_the_new_segment_and_leaves_the_old_one(
    project: Project, emulator: Emulator
) -> None:
    emulator.seed({"segments": {SEGMENT: [], "seg_new": []}})
    write_segment_model(project, ["u001", "u002"])
    assert project.sync(emulator, *SELECT).exit_code == 0
    write_segment_model(project, ["u002", "u003"], segment_id="seg_new")
    result = project.sync(emulator, *SELECT)
    assert result.exit_code == 0, result.output
    assert emulator.segment("seg_new") == {"u002", "u003"}
    assert emulator.segment(SEGMENT) == {"u001", "u002"}
    assert any("segment_id changed to 'seg_new'" in note for note in model_result(project)["notes"])  # type: ignore[attr-defined]
