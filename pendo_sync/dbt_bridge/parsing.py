"""The project as dbt parses it for the target, profile and vars of this command.

A model's relation depends on the target and vars it was parsed with (its database and schema, and
whatever a custom generate_schema_name makes of them), and target/manifest.json records neither: read
as it is, a manifest parsed for `dev` would have `--target prod` read dev's tables. So every command
runs dbt's own parse in-process (dbtRunner) with the flags as given, like `dbt ls` does: partial when
target/partial_parse.msgpack was written for the same target and vars, full otherwise (see
docs/decisions/0010-parse-for-the-target.md). It never connects to the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pendo_sync.dbt_bridge.target import QUIET, DbtTarget, dbt_reason
from pendo_sync.errors import ConfigError
from pendo_sync.manifest import Manifest, parse_manifest
from pendo_sync.package_version import PACKAGE


@dataclass(frozen=True)
class ParsedProject:
    manifest: Manifest
    dbt_manifest: Any  # dbt's own Manifest object: `dbt ls` selects on it without parsing again


def parse_project(target: DbtTarget, target_path: str) -> ParsedProject:
    """dbt's parse for this target; a project dbt cannot parse is a usage error naming dbt's reason."""
    from dbt.cli.main import dbtRunner

    args = ["parse", *QUIET, "--no-write-json", "--target-path", target_path, *target.dbt_args()]
    result = dbtRunner().invoke(args)
    if not result.success or result.result is None:
        reason = dbt_reason(result.exception) if result.exception else "dbt reported a failure"
        raise ConfigError(
            [
                f"dbt could not parse the project for this target: {reason}. Fix: run "
                f"`dbt parse{target.shell_flags()}` to see the whole error, correct it and rerun"
            ]
        )
    return ParsedProject(parse_manifest(manifest_json(result.result), "dbt's parse"), result.result)


def manifest_json(manifest: Any) -> dict[str, Any]:
    """The parts of manifest.json we read, from dbt's parsed objects (cheaper than serialising all)."""
    nodes = {}
    for unique_id, node in manifest.nodes.items():
        if node.resource_type != "model":
            continue
        nodes[unique_id] = {
            "resource_type": "model",
            "name": node.name,
            "database": node.database,
            "schema": node.schema,
            "alias": node.alias,
            "relation_name": node.relation_name,
            "config": {"meta": dict(node.config.meta or {})},
            "meta": dict(node.meta or {}),
            "package_name": node.package_name,
            "original_file_path": node.original_file_path,
        }
    metadata = {
        "adapter_type": manifest.metadata.adapter_type,
        "project_name": manifest.metadata.project_name,
    }
    macros = {  # the pendo_sync package's: package_version.py reads its version() from them
        unique_id: {"package_name": macro.package_name, "macro_sql": macro.macro_sql}
        for unique_id, macro in manifest.macros.items()
        if macro.package_name == PACKAGE
    }
    return {"metadata": metadata, "nodes": nodes, "macros": macros}
