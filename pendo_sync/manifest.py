"""dbt's models as the manifest describes them (manifest.json's node format), and which are tagged.

Pure: no dbt import. dbt_bridge/parsing.py hands in the nodes of dbt's own parse for the command's target, in the
shape of the manifest.json artifact, whose format is stable and versioned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pendo_sync.errors import ManifestError
from pendo_sync.package_version import PACKAGE, VERSION_MACRO, macro_version


@dataclass(frozen=True)
class ModelNode:
    """What we need of one dbt model: where it is built and its `meta.pendo` as the user wrote it."""

    unique_id: str
    name: str
    database: str | None
    schema: str
    alias: str
    pendo: Any
    package_name: str = ""
    relation_name: str | None = None  # as dbt renders it for the target (None: ephemeral, not built)
    meta_keys: tuple[str, ...] = ()  # every key under `meta`, to spot a misspelt `pendo`
    original_file_path: str = ""  # the model's file, relative to its project


@dataclass(frozen=True)
class Manifest:
    adapter_type: str
    models: tuple[ModelNode, ...]
    project_name: str = ""  # the root project: its models are ref()'d by name alone
    # The installed pendo_sync dbt package's version (package_version.py): None when it is not installed,
    # "" when it predates its version() macro.
    package_version: str | None = None

    def tagged(self) -> list[ModelNode]:
        return [m for m in self.models if m.pendo is not None]


def parse_manifest(raw: Any, source: str = "manifest.json") -> Manifest:
    if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), dict):
        raise ManifestError(f"{source} has no 'nodes' object; it is not a dbt manifest. Rerun `dbt parse`.")
    metadata = _mapping(raw.get("metadata"))
    adapter_type = str(metadata.get("adapter_type") or "")
    models = []
    for unique_id, node in raw["nodes"].items():
        if not isinstance(node, dict) or node.get("resource_type") != "model":
            continue
        models.append(_model_node(unique_id, node, source))
    return Manifest(
        adapter_type=adapter_type,
        models=tuple(sorted(models, key=lambda m: m.unique_id)),
        project_name=str(metadata.get("project_name") or ""),
        package_version=_package_version(_mapping(raw.get("macros"))),
    )


def _package_version(macros: dict[str, Any]) -> str | None:
    if not any(_mapping(m).get("package_name") == PACKAGE for m in macros.values()):
        return None
    return macro_version(str(_mapping(macros.get(VERSION_MACRO)).get("macro_sql") or ""))


def _model_node(unique_id: str, node: dict[str, Any], source: str) -> ModelNode:
    meta = _mapping(_mapping(node.get("config")).get("meta")) or _mapping(node.get("meta"))
    name, schema = node.get("name"), node.get("schema")
    if not isinstance(name, str) or not isinstance(schema, str):
        raise ManifestError(f"{source}: node {unique_id} has no name or schema. Rerun `dbt parse`.")
    alias = node.get("alias")
    database = node.get("database")
    relation_name = node.get("relation_name")
    return ModelNode(
        unique_id=unique_id,
        name=name,
        database=database if isinstance(database, str) else None,
        schema=schema,
        alias=alias if isinstance(alias, str) else name,
        pendo=meta.get("pendo"),
        package_name=str(node.get("package_name") or ""),
        relation_name=relation_name if isinstance(relation_name, str) else None,
        meta_keys=tuple(str(key) for key in meta),
        original_file_path=str(node.get("original_file_path") or ""),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
