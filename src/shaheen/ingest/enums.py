"""Ingest enumerations."""

from enum import StrEnum


class AccountStatus(StrEnum):
    """What the platform shows for an account, as last observed."""

    ACTIVE = "active"
    REMOVED = "removed"
    GEO_BLOCKED = "geo_blocked"
    UNKNOWN = "unknown"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
