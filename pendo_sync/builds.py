"""Which tagged models' latest `dbt run`/`build` failed, from target/run_results.json.

When a model fails to build (e.g. its `validate` post-hook raised) or is skipped after an upstream
failure, its old table stays: syncing it would send stale data while the scheduler saw a sync succeed.

run_results.json holds the latest dbt invocation that wrote it. An entry counts only when it is about
the very relation we read (its unique_id and its relation_name, which carries the target and vars it was
built with): a failed `dbt run --target dev` says nothing about prod's tables. A model the invocation did
not include has no entry, so nothing is known of it and it is synced. The file's age does not matter:
`dbt parse`, `ls` and `compile` rebuild no table, so a failure stands until a later build of the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pendo_sync.manifest import ModelNode

RUN_RESULTS = "run_results.json"
_NOT_BUILT = ("error", "skipped")


def read_run_results(path: Path) -> Any:
    """The file's JSON; None when there is none or it cannot be read (then nothing is known)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def failed_builds(
    run_results: Any, models: Iterable[ModelNode], relations: Mapping[str, str]
) -> dict[str, str]:
    """By unique_id: why the latest build of a model (at the relation we read) failed."""
    if not isinstance(run_results, dict) or not isinstance(run_results.get("results"), list):
        return {}
    entries = {r.get("unique_id"): r for r in run_results["results"] if isinstance(r, dict)}
    metadata = run_results.get("metadata")
    when = metadata.get("generated_at") if isinstance(metadata, dict) else None
    failed = {}
    for model in models:
        entry = entries.get(model.unique_id)
        if entry is None or entry.get("status") not in _NOT_BUILT:
            continue
        built = entry.get("relation_name")
        if isinstance(built, str) and _bare(built) != _bare(relations.get(model.unique_id, "")):
            continue
        status = str(entry["status"])
        detail = " ".join(str(entry.get("message") or "").split())[:300]
        at = f" at {when}" if when else ""
        failed[model.unique_id] = f"its latest dbt build{at} ended with {status}" + (
            f" ({detail})" if detail else ""
        )
    return failed


def _bare(relation: str) -> str:
    """A relation without its quoting: dbt's relation_name and the adapter's rendering may quote differently."""
    return relation.replace('"', "").replace("`", "").lower()
