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


class ErrorSeverity(StrEnum):
    """Whether a problem cost the record, or only part of it (a missing attachment)."""

    REJECTED = "rejected"
    WARNING = "warning"


class TipStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    DISCARDED = "discarded"
