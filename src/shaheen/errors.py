"""The domain exception hierarchy.

Every error a user can cause derives from `ShaheenError` and carries a message written
for that user: what went wrong and how to fix it. The CLI turns these into one red
line and an exit code (`ReturnCode`), the API into an HTTP status; neither shows a
traceback for them. Anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ReturnCode(IntEnum):
    """Process exit codes of the `shaheen` command, stable for scripts."""

    OK = 0
    ERROR = 1
    CONFIG = 2
    DATABASE = 3
    SCHEMA = 4
    BAD_INPUT = 5
    NOT_FOUND = 6
    FORBIDDEN = 7
    UNAUTHENTICATED = 8
    RATE_LIMITED = 9


class ShaheenError(Exception):
    """Base of every error Shaheen raises on purpose."""

    return_code: ReturnCode = ReturnCode.ERROR


class ConfigError(ShaheenError):
    """A setting is unknown or has an invalid value."""

    return_code = ReturnCode.CONFIG


class DatabaseUnavailable(ShaheenError):
    """The configured database cannot be reached."""

    return_code = ReturnCode.DATABASE


class SchemaOutOfDate(ShaheenError):
    """The database schema is not at the revision this code expects."""

    return_code = ReturnCode.SCHEMA


class BadInput(ShaheenError):
    """A file or value given by the user cannot be used."""

    return_code = ReturnCode.BAD_INPUT


class KnowledgeBaseError(BadInput):
    """The knowledge-base file is malformed or inconsistent."""


class NotFound(ShaheenError):
    """A named object does not exist."""

    return_code = ReturnCode.NOT_FOUND


class IllegalTransition(ShaheenError):
    """A status change not allowed by the domain's transition table."""


class SafeguardViolation(ShaheenError):
    """An action that a safeguard forbids (e.g. a referral without a legal basis)."""

    return_code = ReturnCode.FORBIDDEN


class Forbidden(ShaheenError):
    """The signed-in user's role does not allow the action (see `access/rules.py`)."""

    return_code = ReturnCode.FORBIDDEN


class Unauthenticated(ShaheenError):
    """No signed-in user, or one whose credentials or session are no longer good."""

    return_code = ReturnCode.UNAUTHENTICATED


class RateLimited(ShaheenError):
    """Too many requests with one API token in too short a time (HTTP 429).

    `retry_after` is how many seconds until the next request would be let through,
    for a `Retry-After` header.
    """

    return_code = ReturnCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
