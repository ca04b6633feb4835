"""pendo-dbt: reverse ETL from dbt models into Pendo.

`from pendo_sync import PendoSync` is the Python API (api.py); dbt is imported only when a command runs.
"""

from pendo_sync.api import PendoSync, PlanResult, SyncResult, ValidateResult
from pendo_sync.errors import (
    ConfigError,
    LockError,
    PendoError,
    PendoSyncError,
    RunFailed,
    WarehouseError,
)
from pendo_sync.version import __version__

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
    "__version__",
]
