"""Platform-neutral records that connectors produce and the store consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
