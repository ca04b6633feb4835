"""What target/run_results.json says of the tagged models' latest `dbt run`/`build`.

When a model fails to build (e.g. its `validate` post-hook raised) or is skipped after an upstream
failure, its old table stays: syncing it would send stale data while the scheduler saw a sync succeed.

run_results.json holds the latest dbt invocation that wrote it. An entry counts only when it is about
the very relation we read (its unique_id and its relation_name, which carries the target and vars it was
built with): a failed `dbt run --target dev` says nothing about prod's tables. A model the invocation did
not include has no entry, so nothing is known of it and it is synced. The file's age does not matter:
`dbt parse`, `ls` and `compile` rebuild no table, so a failure stands until a later build of the model.
A model whose SQL file changed after its latest successful build started is only warned about: the
edit may change no row, and the table is the one its build made.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

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
    entries = _entries(run_results)
    when = _metadata(run_results).get("generated_at")
    failed = {}
    for model in models:
        entry = entries.get(model.unique_id)
        if entry is None or entry.get("status") not in _NOT_BUILT or not _same(entry, relations, model):
            continue
        detail = " ".join(str(entry.get("message") or "").split())[:300]
        at = f" at {when}" if when else ""
        failed[model.unique_id] = f"its latest dbt build{at} ended with {entry['status']}" + (
            f" ({detail})" if detail else ""
        )
    return failed


def edited_since_build(
    run_results: Any,
    models: Iterable[ModelNode],
    relations: Mapping[str, str],
    modified: Mapping[str, float],
    flags: str = "",
) -> list[str]:
    """Warnings for models whose file (`modified`: by unique_id, seconds since the epoch) is newer than
    the start of the dbt invocation that last built their relation successfully."""
    entries = _entries(run_results)
    started = _metadata(run_results).get("invocation_started_at")
    try:
        since = datetime.fromisoformat(str(started).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return []
    warnings = []
    for model in models:
        entry = entries.get(model.unique_id)
        if entry is None or entry.get("status") != "success" or not _same(entry, relations, model):
            continue
        if modified.get(model.unique_id, 0.0) > since:
            warnings.append(
                f"{model.name}: {model.original_file_path} changed after its latest dbt build (started "
                f"{started}): its table may not reflect the edit. Fix: `dbt run -s {model.name}{flags}`"
            )
    return warnings


def _entries(run_results: Any) -> dict[Any, dict[str, Any]]:
    results = run_results.get("results") if isinstance(run_results, dict) else None
    if not isinstance(results, list):
        return {}
    return {r.get("unique_id"): r for r in results if isinstance(r, dict)}


def _metadata(run_results: Any) -> dict[str, Any]:
    metadata = run_results.get("metadata") if isinstance(run_results, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _same(entry: Mapping[str, Any], relations: Mapping[str, str], model: ModelNode) -> bool:
    """Whether the entry is about the relation we read (an entry without relation_name is taken as it)."""
    built = entry.get("relation_name")
    return not isinstance(built, str) or _bare(built) == _bare(relations.get(model.unique_id, ""))


def _bare(relation: str) -> str:
    """A relation without its quoting: dbt's relation_name and the adapter's rendering may quote differently."""
    return relation.replace('"', "").replace("`", "").lower()
