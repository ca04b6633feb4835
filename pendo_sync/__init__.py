"""pendo-dbt: reverse ETL from dbt models into Pendo.

`from pendo_sync import PendoSync` is the Python API (api.py); dbt is imported only when a command runs.
"""

__version__ = "0.1.0"  # first: modules imported below read it (package_version.py)

from pendo_sync.api import PendoSync, PlanResult, SyncResult, ValidateResult
from pendo_sync.errors import (
    ConfigError,
    LockError,
    PendoError,
    PendoSyncError,
    RunFailed,
    WarehouseError,
)

__all__ = [
    "ConfigError",
    "LockError",
    "PendoError",
    "PendoSync",
    "PendoSyncError",
    "PlanResult",
    "RunFailed",
    "SyncResult",
    "ValidateResult",
    "WarehouseError",
]
