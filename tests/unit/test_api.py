"""`import pendo_sync` (the Python API) stays cheap: dbt, click and the HTTP stack load only when a
command runs, so an orchestrator's DAG file may import it at parse time."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_api_loads_neither_dbt_nor_click_nor_http() -> None:
    code = (
        "import sys; from pendo_sync import PendoSync; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dbt', 'click', 'urllib3', 'http'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
