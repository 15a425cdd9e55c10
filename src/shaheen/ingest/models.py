"""Collected content: accounts (with follower history), posts, media, and ingest runs.

`(platform_id, platform_*_id)` is each account's and post's identity: re-importing the
same export updates rows and never duplicates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.ingest.enums import (
    AccountStatus,
    ErrorSeverity,
    ObservedStatus,
    RunStatus,
    StatusSubject,
    TipStatus,
)
from shaheen.store.base import Base, BigId, JSONDoc, StrEnumType, utcnow


class Account(Base):
    """An account on a platform."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform_id", "platform_account_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    platform_account_id: Mapped[str] = mapped_column(String(128))
    handle: Mapped[str | None] = mapped_column(String(200), index=True)
    display_name: Mapped[str | None] = mapped_column(String(300))
    bio: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    followers: Mapped[int | None] = mapped_column(BigInteger)
    verified: Mapped[bool] = mapped_column(default=False)
    status: Mapped[AccountStatus] = mapped_column(
        StrEnumType(AccountStatus), default=AccountStatus.ACTIVE
    )
    profile_image_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id"))
    risk_score: Mapped[float | None]
    # The reasons behind risk_score, for the reviewer: see detect/risk.py.
    risk_explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowerObservation(Base):
    """A follower count seen at one time: the history that re-imports keep."""

    __tablename__ = "follower_observations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    followers: Mapped[int] = mapped_column(BigInteger)
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Post(Base):
    """A post, message or video by an account."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform_id", "platform_post_id"),
        Index("ix_posts_unscanned", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    platform_post_id: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(500))
    posted_at: Mapped[datetime | None]
    reach: Mapped[int | None] = mapped_column(BigInteger)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    # Where the post points, as its export said (ingest/connectors/links.py): the posts it
    # replies to and quotes (platform post ids), the account it forwards and the accounts
    # it mentions (platform account ids or `@handle`). The network stage links accounts
    # by them.
    reply_to: Mapped[str | None] = mapped_column(String(200))
    quote_of: Mapped[str | None] = mapped_column(String(200))
    forward_from: Mapped[str | None] = mapped_column(String(200))
    mentions: Mapped[list[str] | None] = mapped_column(JSONDoc)
    scanned_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a re-import last changed the post; None while it is as first seen.
    changed_at: Mapped[datetime | None]


class Media(Base):
    """An image or video in the content-addressed media store."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    md5: Mapped[str] = mapped_column(String(32), index=True)
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None]
    # Matched but never shared: the PDQ of the picture with its black or white bars
    # trimmed, and the hex hashes of the other seven orientations of the picture (then
    # of the trimmed picture), in `detect.media.hashing.ORIENTATIONS` order.
    pdq_trimmed: Mapped[str | None] = mapped_column(String(64))
    pdq_dihedral: Mapped[list[Any] | None] = mapped_column(JSONDoc)
    vpdq: Mapped[list[Any] | None] = mapped_column(JSONDoc)
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when perceptual hashing ran (with `hash_error` if it failed), and when the
    # item was last matched against the banks: a bank change clears `matched_at`.
    hashed_at: Mapped[datetime | None] = mapped_column(index=True)
    hash_error: Mapped[str | None] = mapped_column(Text)
    matched_at: Mapped[datetime | None] = mapped_column(index=True)


class PostMedia(Base):
    """Which media a post carries."""

    __tablename__ = "post_media"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"), primary_key=True, index=True)


class IngestRun(Base):
    """One import of one source file, with its counts.

    `records_*` count the items the connector read; `records_new`/`records_updated` are
    the posts among them, and accounts and media have counts of their own.
    """

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    connector: Mapped[str] = mapped_column(String(64))
    status: Mapped[RunStatus] = mapped_column(StrEnumType(RunStatus), default=RunStatus.RUNNING)
    records_read: Mapped[int] = mapped_column(default=0)
    records_new: Mapped[int] = mapped_column(default=0)
    records_updated: Mapped[int] = mapped_column(default=0)
    records_rejected: Mapped[int] = mapped_column(default=0)
    records_skipped: Mapped[int] = mapped_column(default=0)
    accounts_new: Mapped[int] = mapped_column(default=0)
    accounts_updated: Mapped[int] = mapped_column(default=0)
    media_new: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
    source_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Who is importing, and when it last showed signs of life: a later import marks the
    # run interrupted only when that process is gone or its heartbeat stopped.
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]

    @property
    def duration_seconds(self) -> float | None:
        """How long the run took, once finished."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class IngestError(Base):
    """A record that could not be imported (or imported with a warning): where and why."""

    __tablename__ = "ingest_errors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id", ondelete="CASCADE"))
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id"))
    file: Mapped[str] = mapped_column(String(1000))
    location: Mapped[str] = mapped_column(String(100))
    severity: Mapped[ErrorSeverity] = mapped_column(
        StrEnumType(ErrorSeverity), default=ErrorSeverity.REJECTED
    )
    reason: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusObservation(Base):
    """A platform's answer about an account or post it would not show, as an export kept it.

    X API responses list, beside the data, an `errors` array naming the accounts and
    posts that are suspended, not found or protected; users and tweets may also be
    `withheld` in some countries. These are observations at export time, shown on the
    account; they never change a referral or an account's status by themselves.
    `subject_key` is the platform id, or the lower-cased handle when the request named
    the account by handle (`by_handle`).
    """

    __tablename__ = "status_observations"
    __table_args__ = (Index("ix_status_observations_subject", "platform_id", "subject_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    subject: Mapped[StatusSubject] = mapped_column(StrEnumType(StatusSubject))
    subject_key: Mapped[str] = mapped_column(String(200))
    by_handle: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ObservedStatus] = mapped_column(StrEnumType(ObservedStatus))
    reason: Mapped[str] = mapped_column(Text, default="")
    observed_at: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tip(Base):
    """A report from the public or a partner pointing at content: a lead to look at."""

    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), index=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("platforms.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    reporter_contact: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(32), default="cli")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    status: Mapped[TipStatus] = mapped_column(StrEnumType(TipStatus), default=TipStatus.NEW)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
