"""The Python API before it runs anything: `import pendo_sync` stays cheap (dbt, click and the HTTP
stack load only when a command runs, so a DAG file may import it at parse time), and arguments the
CLI's flags would refuse are configuration errors, raised before dbt is even loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pendo_sync import ConfigError, PendoSync


def test_importing_the_api_loads_neither_dbt_nor_click_nor_http() -> None:
    code = (
        "import sys; from pendo_sync import PendoSync; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dbt', 'click', 'urllib3', 'http'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_bad_arguments_are_configuration_errors() -> None:
    pendo = PendoSync(".")
    with pytest.raises(ConfigError, match="list of dbt selectors"):
        pendo.sync("pendo_visitors")
    with pytest.raises(ConfigError, match="threads"):
        pendo.sync(threads=0)
    with pytest.raises(ConfigError, match="fail_on_rejected"):
        pendo.sync(fail_on_rejected="lots")
    with pytest.raises(ConfigError, match="batch_size 0 is not from 1 to 100000"):
        pendo.sync(batch_size=0)
    with pytest.raises(ConfigError, match="samples -1 is not from 0 to 100"):
        pendo.plan(samples=-1)
