"""Ingest enumerations."""

from enum import StrEnum


class AccountStatus(StrEnum):
    """What the platform shows for an account, as last observed."""

    ACTIVE = "active"
    REMOVED = "removed"
    GEO_BLOCKED = "geo_blocked"
    UNKNOWN = "unknown"


class RunStatus(StrEnum):
    """Where an import of one file stands.

    `interrupted` is set by a later import on finding a `running` run whose process is
    gone or whose heartbeat stopped: the records it committed are kept.
    """

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class ErrorSeverity(StrEnum):
    """Whether a problem cost the record, or only part of it (a missing attachment)."""

    REJECTED = "rejected"
    WARNING = "warning"


class TipStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    DISCARDED = "discarded"


class ObservedStatus(StrEnum):
    """What a platform said about an account or post it did not show (X's `errors`)."""

    SUSPENDED = "suspended"
    NOT_FOUND = "not_found"
    WITHHELD = "withheld"
    PROTECTED = "protected"
    UNAVAILABLE = "unavailable"


class StatusSubject(StrEnum):
    """What a status observation is about."""

    ACCOUNT = "account"
    POST = "post"
