"""Typed shapes of ingest: the records connectors produce and the store consumes
(dataclasses, on the hot path of bulk imports), and the views ingest's services return
to the CLI, and later the API (Pydantic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shaheen.ingest.enums import ObservedStatus, StatusSubject


@dataclass(slots=True)
class AccountRecord:
    """An account as one source saw it. None means "not in this source", not "empty"."""

    platform: str
    platform_account_id: str
    handle: str | None = None
    display_name: str | None = None
    bio: str | None = None
    url: str | None = None
    followers: int | None = None
    verified: bool | None = None
    observed_at: datetime | None = None


@dataclass(slots=True)
class PostRecord:
    """A post as one source saw it, pointing at its account by platform id."""

    platform: str
    platform_post_id: str
    platform_account_id: str
    text: str = ""
    language: str | None = None
    url: str | None = None
    posted_at: datetime | None = None
    reach: int | None = None
    raw: dict[str, Any] | None = field(default=None, repr=False)
    # Where the post points (see connectors/links.py): post ids on the same platform,
    # account references (a platform account id, or `@handle`).
    reply_to: str | None = None
    quote_of: str | None = None
    forward_from: str | None = None
    mentions: list[str] | None = None


@dataclass(slots=True)
class StatusRecord:
    """What a platform said about an account or post it did not show, at export time.

    `key` is the platform id of the subject, or its lower-cased handle when `by_handle`.
    """

    platform: str
    subject: StatusSubject
    key: str
    status: ObservedStatus
    reason: str = ""
    observed_at: datetime | None = None
    by_handle: bool = False


@dataclass(slots=True)
class UpsertCounts:
    """How many records of a batch were new, changed, or already known as they are."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


@dataclass
class RunResult:
    """What importing one file did."""

    source: str
    connector: str | None
    run_id: int | None = None
    read: int = 0
    rejected: int = 0
    skipped: int = 0
    warnings: int = 0
    posts: UpsertCounts = field(default_factory=UpsertCounts)
    accounts: UpsertCounts = field(default_factory=UpsertCounts)
    media_new: int = 0
    statuses_new: int = 0
    seconds: float = 0.0
    error: str | None = None
    # How many records were stored before a file-level fault stopped the file.
    kept_before_error: int = 0


class RunRow(BaseModel):
    """An ingest run as `shaheen ingest runs` lists it."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    status: str
    connector: str
    source: str
    records_read: int
    records_new: int
    records_updated: int
    records_rejected: int
    records_skipped: int
    duration_seconds: float | None


class ErrorLine(BaseModel):
    """A record a run could not import (or imported with a warning): where and why."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    run_id: int
    severity: str
    file: str
    location: str
    reason: str
    excerpt: str


class StatusView(BaseModel):
    """One status observation, as the account view shows it."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    subject: StatusSubject
    subject_key: str
    by_handle: bool
    status: ObservedStatus
    reason: str
    observed_at: datetime | None
    run_id: int | None


class AccountStatusView(BaseModel):
    """An account with what exports said about it and its posts (never a referral's say)."""

    model_config = ConfigDict(frozen=True)

    id: int
    platform: str
    platform_account_id: str
    handle: str | None
    display_name: str | None
    followers: int | None
    statuses: list[StatusView]
