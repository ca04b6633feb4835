"""The longest chain of imports inside pendo_sync from a module (default: pendo_sync.cli) to a leaf.

Usage: .venv/bin/python scripts/import_depth.py [module]. The graph is grimp's, which lint-imports
checks the layers against. The chain counts the imports Python runs (module- and function-level): what
loading a module loads. Imports under `if TYPE_CHECKING:` only name types for mypy (ruff's TC rules keep
them there); they are left out here, and the layers contract still checks them. Both chains are printed.
The package imports no module cyclically, so the longest path is well defined. README.md "Development"
says why it matters; tests/unit/test_import_depth.py keeps the runtime chain within MAX_CHAIN.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import grimp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's pendo_sync

MAX_CHAIN = 7


def longest_chain(start: str, *, with_type_imports: bool = False) -> list[str]:
    graph = grimp.build_graph(
        "pendo_sync", cache_dir=None, exclude_type_checking_imports=not with_type_imports
    )

    @functools.cache
    def from_(module: str) -> tuple[str, ...]:
        below = [from_(m) for m in graph.find_modules_directly_imported_by(module) if m != "pendo_sync"]
        return (module, *max(below, key=len, default=()))

    return list(from_(start))


def describe(chain: list[str]) -> str:
    return f"{len(chain)} modules: " + " -> ".join(m.removeprefix("pendo_sync.") for m in chain)


if __name__ == "__main__":
    start = sys.argv[1] if len(sys.argv) > 1 else "pendo_sync.cli"
    print("imports that run:           " + describe(longest_chain(start)))
    print("with TYPE_CHECKING imports: " + describe(longest_chain(start, with_type_imports=True)))
