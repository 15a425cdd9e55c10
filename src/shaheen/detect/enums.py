"""Detection enumerations."""

from enum import StrEnum


class SubjectKind(StrEnum):
    """What a signal is about."""

    POST = "post"
    ACCOUNT = "account"
    MEDIA = "media"
