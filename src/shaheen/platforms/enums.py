"""Platform-level enumerations."""

from enum import StrEnum


class ChannelKind(StrEnum):
    """How a referral package reaches the platform."""

    FILE_DROP = "file_drop"  # a package written to disk, uploaded by a liaison officer
    EMAIL = "email"
    WEBHOOK = "webhook"
