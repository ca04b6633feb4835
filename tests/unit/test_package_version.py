"""The CLI and the dbt package check each other's version: the macro is read, a mismatch is a warning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pendo_sync import __version__
from pendo_sync.manifest import parse_manifest
from pendo_sync.package_version import VERSION_MACRO, macro_version, version_warning

REPO = Path(__file__).resolve().parents[2]


def test_every_place_that_states_the_version_agrees() -> None:
    """One release: the CLI, its packaging, the dbt project and the macro the CLI reads all say the same."""
    project = re.search(r'^version:\s*"?([^"\s]+)"?', (REPO / "dbt_project.yml").read_text(), re.M)
    setup = re.search(r'version="([^"]+)"', (REPO / "setup.py").read_text())
    macro = macro_version((REPO / "macros" / "version.sql").read_text())
    assert project and setup
    assert {project.group(1), setup.group(1), macro} == {__version__}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("{% macro version() %}0.2.0{% endmacro %}", "0.2.0"),
        ("{%- macro version() -%}\n  '1.0.0rc1'\n{%- endmacro %}", "1.0.0rc1"),
        ("{% macro version() %}{{ return('x') }}{% endmacro %}", ""),  # not a literal: unknown
        ("", ""),
    ],
)
def test_the_macro_text_gives_the_version(sql: str, expected: str) -> None:
    assert macro_version(sql) == expected


def test_the_same_version_or_no_package_says_nothing() -> None:
    assert version_warning("0.1.0", "0.1.0") is None
    assert version_warning(None, "0.1.0") is None  # the package is optional: pendo-dbt creates its tables


def test_a_mismatch_names_both_versions_and_the_fix() -> None:
    warning = version_warning("0.0.9", "0.1.0")
    assert warning is not None
    assert "version 0.0.9" in warning and "pendo-dbt is 0.1.0" in warning
    assert "Fix:" in warning and "dbt deps" in warning
    older = version_warning("", "0.1.0")
    assert older is not None and "an older version" in older


def test_the_manifest_reads_the_installed_packages_version() -> None:
    def manifest(macros: dict[str, object]) -> str | None:
        return parse_manifest({"nodes": {}, "macros": macros}).package_version

    version = {"package_name": "pendo_sync", "macro_sql": "{% macro version() %}0.3.0{% endmacro %}"}
    other = {"package_name": "pendo_sync", "macro_sql": "{% macro validate() %}{% endmacro %}"}
    assert manifest({VERSION_MACRO: version, "macro.pendo_sync.validate": other}) == "0.3.0"
    assert manifest({"macro.pendo_sync.validate": other}) == ""  # installed, older than version()
    assert manifest({"macro.dbt.run": {"package_name": "dbt", "macro_sql": ""}}) is None
    assert parse_manifest({"nodes": {}}).package_version is None
