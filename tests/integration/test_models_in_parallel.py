"""Models sync at once where they use different Pendo endpoints: proven by what the emulator received,
with report lines in manifest order and each model's accounting its own (docs/decisions/0023)."""

from __future__ import annotations

from typing import Any

from pendo_sync.pendo.emulator import Emulator
from pendo_sync.pendo.faults import parse_faults
from tests.integration.harness import Project

BOTH = ("--select", "pendo_events", "--select", "pendo_visitors")


def _paths(emulator: Emulator) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in emulator.requests_log]


def _model(results: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in results["models"] if m["model"] == name)


def test_a_metadata_model_is_sent_while_an_event_model_waits_on_track(
    project: Project, emulator: Emulator
) -> None:
    # The first Track event is held until a visitor bulk request has been answered (60 s at most). Models
    # one after another could never release it: the event model comes first in the manifest, and the
    # visitor model would only start once every event was answered. So a release shows the visitor model
    # was sent while the event model was sending.
    emulator.faults.set(
        parse_faults([{"match": "/data/track", "delay": 60, "until": "/api/v1/metadata/visitor", "times": 1}])
    )
    result = project.sync(emulator, *BOTH)

    assert result.exit_code == 0, result.output
    assert emulator.faults.describe()[0]["released"] == 1, (
        "no visitor request was answered before the Track events were"
    )
    paths = _paths(emulator)
    bulk = [i for i, p in enumerate(paths) if p.startswith("POST /api/v1/metadata/visitor")]
    track = [i for i, p in enumerate(paths) if p == "POST /data/track"]
    assert len(bulk) == 2 and len(track) == 6
    assert bulk[0] < track[-1]  # answered while the event model was still sending
    lines = [line for line in result.output.splitlines() if " of 2 " in line]
    assert "1 of 2 OK synced event model pendo_events" in lines[0], result.output  # manifest order
    assert "2 of 2 OK synced visitor model pendo_visitors" in lines[1], result.output
    assert "[6 rows, 6 changed, 6 sent: 6 accepted" in lines[0]
    assert "[10 rows, 10 changed, 10 sent: 10 updated" in lines[1]
    assert "Done. MODELS=2 OK=2 WARN=0 ERROR=0 SKIP=0" in result.output
    assert [m["model"] for m in project.results()["models"]] == ["pendo_events", "pendo_visitors"]
    assert len(emulator.events) == 6
    rerun = project.sync(emulator, *BOTH)
    assert rerun.exit_code == 0 and rerun.output.count("0 changed") == 2, rerun.output
    # Both forget their state at once (deletes on two threads while the writer writes), then send again.
    refresh = project.sync(emulator, *BOTH, "--full-refresh")
    assert refresh.exit_code == 0, refresh.output
    assert "[6 rows, 6 changed, 6 sent: 6 accepted" in refresh.output
    assert "[10 rows, 10 changed, 10 sent: 10 updated" in refresh.output
    assert project.sync(emulator, *BOTH).output.count("0 changed") == 2


def test_one_models_rejections_stay_its_own(project: Project, emulator: Emulator) -> None:
    # Accounts are refused whole (400 on every bulk request: each row ends rejected), while the visitors,
    # on other endpoints, go at the same time.
    emulator.faults.set(parse_faults([{"match": "/api/v1/metadata/account", "status": 400}]))
    result = project.sync(emulator)

    assert result.exit_code == 1, result.output
    results = project.results()
    accounts, visitors = _model(results, "pendo_accounts"), _model(results, "pendo_visitors")
    assert (accounts["status"], accounts["rejected"], accounts["updated"]) == ("warn", 4, 0)
    assert (visitors["status"], visitors["updated"], visitors["rejected"], visitors["failed"]) == (
        "ok",
        10,
        0,
        0,
    )
    assert {p["id"] for p in accounts["problems"]} == {r["account_id"] for r in project.seed_rows("accounts")}
    assert not visitors["problems"]
    emulator.faults.set([])
    rerun = project.sync(emulator)
    assert rerun.exit_code == 0, rerun.output
    assert "[4 rows, 4 changed, 4 sent: 4 updated" in rerun.output  # the rejected accounts, again
    assert "[10 rows, 0 changed" in rerun.output  # the visitors were recorded by their own model


def test_a_refused_key_stops_the_run_and_every_model_counts_only_what_pendo_acknowledged(
    project: Project, emulator: Emulator
) -> None:
    # Track refuses the secret (401): the run stops with its error; the visitor model, running at the same
    # time, stops too or finishes first, and either way reports what Pendo acknowledged, as state records.
    emulator.faults.set(parse_faults([{"match": "/data/track", "status": 401}]))
    result = project.sync(emulator, *BOTH)

    assert result.exit_code == 1, result.output
    assert "Pendo refused the key" in result.output
    results = project.results()
    events, visitors = _model(results, "pendo_events"), _model(results, "pendo_visitors")
    assert events["status"] == "error" and events["updated"] == 0
    acknowledged = (
        sum(
            r["rows"]
            for r in emulator.requests_log
            if r["path"].startswith("/api/v1/metadata/visitor") and r["status"] == 200
        )
        // 2
    )
    assert visitors["status"] in ("ok", "error"), visitors
    assert visitors["updated"] <= acknowledged
    emulator.faults.set([])
    rerun = project.sync(emulator, *BOTH)
    assert rerun.exit_code == 0, rerun.output
    assert f"[10 rows, {10 - visitors['updated']} changed" in rerun.output  # exactly what was not recorded
    assert "[6 rows, 6 changed, 6 sent: 6 accepted" in rerun.output
