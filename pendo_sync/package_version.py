"""Whether the installed pendo_sync dbt package and this CLI are the same version.

The CLI writes the sync-state tables whose models the dbt package declares, so the two must agree. The
package states its version in the `pendo_sync.version()` macro; the CLI reads the macro's text from dbt's
parse (which every command runs anyway), so the check costs no query and no file read. Pure: no dbt import.
"""

from __future__ import annotations

import re

PACKAGE = "pendo_sync"  # the dbt package's name in dbt_project.yml
VERSION_MACRO = f"macro.{PACKAGE}.version"
_BODY = re.compile(r"\{%-?\s*macro\s+version\s*\(\s*\)\s*-?%\}\s*([^{}\s]+)\s*\{%-?\s*endmacro")


def macro_version(macro_sql: str) -> str:
    """The version the `version()` macro's text returns, or "" when it does not read as one."""
    found = _BODY.search(macro_sql)
    return found.group(1).strip("'\"") if found else ""


def version_warning(package_version: str | None, cli_version: str) -> str | None:
    """A warning naming both versions and the fix, or None when they agree or the package is not installed
    (`package_version` None). "" is a package older than the `version()` macro."""
    if package_version is None or package_version == cli_version:
        return None
    installed = f"version {package_version}" if package_version else "an older version (no version() macro)"
    return (
        f"The {PACKAGE} dbt package installed in this project is {installed}, but pendo-dbt is "
        f"{cli_version}: the sync-state tables this CLI writes may not match the package's models. Fix: "
        f"install the same version of both: in packages.yml, set the package's revision to the one of "
        f"pendo-dbt {cli_version} and run `dbt deps` (or install the pendo-dbt that matches the package)"
    )
