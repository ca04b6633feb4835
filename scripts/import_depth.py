"""The longest chain of imports inside pendo_sync from a module (default: pendo_sync.cli) to a leaf.

Usage: .venv/bin/python scripts/import_depth.py [module]. The graph is grimp's, which lint-imports
checks the layers against (function-level and TYPE_CHECKING imports included); the package imports
no module cyclically, so the longest path is well defined. README.md "Development" says why it matters.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import grimp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's pendo_sync


def longest_chain(start: str) -> list[str]:
    graph = grimp.build_graph("pendo_sync", cache_dir=None)

    @functools.cache
    def from_(module: str) -> tuple[str, ...]:
        below = [from_(m) for m in graph.find_modules_directly_imported_by(module) if m != "pendo_sync"]
        return (module, *max(below, key=len, default=()))

    return list(from_(start))


if __name__ == "__main__":
    chain = longest_chain(sys.argv[1] if len(sys.argv) > 1 else "pendo_sync.cli")
    print(f"{len(chain)} modules: " + " -> ".join(m.removeprefix("pendo_sync.") for m in chain))
