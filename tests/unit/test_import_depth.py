"""The longest chain of imports that run from the CLI stays within scripts/import_depth.MAX_CHAIN modules:
a link added deep in the graph fails here, naming the chain."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_depth.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_depth", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_loads_a_chain_of_at_most_max_chain_modules() -> None:
    depth = _script()
    chain = depth.longest_chain("pendo_sync.cli")
    assert chain[0] == "pendo_sync.cli"
    assert len(chain) <= depth.MAX_CHAIN, depth.describe(chain)


def test_type_only_imports_are_counted_when_asked() -> None:
    """The measure can see TYPE_CHECKING imports: leaving them out is a choice, not a blind spot."""
    depth = _script()
    runtime = depth.longest_chain("pendo_sync.cli")
    typed = depth.longest_chain("pendo_sync.cli", with_type_imports=True)
    assert len(typed) > len(runtime)
