"""Detection's tables: signals (one detector's finding, with the evidence that explains
it), indicators found in posts, the accounts waiting to be assessed again, and the
record of every model this instance trained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.detect.enums import SubjectKind
from shaheen.store.base import Base, BigId, JSONDoc, StrEnumType, utcnow


class Signal(Base):
    """A scored finding by one detector version on a post, an account or a media item."""

    __tablename__ = "signals"
    __table_args__ = (
        Index("ix_signals_account", "account_id"),
        Index("ix_signals_post", "post_id"),
        Index("ix_signals_media", "media_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    detector: Mapped[str] = mapped_column(String(64))
    detector_version: Mapped[str] = mapped_column(String(64))
    subject: Mapped[SubjectKind] = mapped_column(StrEnumType(SubjectKind))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    label: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Indicator(Base):
    """A phone number, link, invite, handle or wallet found in a post."""

    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("post_id", "kind", "value"),
        Index("ix_indicators_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(500))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingAssessment(Base):
    """An account with new findings stored about it, to be assessed again: the queue
    between storing a batch of posts' findings and assessing their accounts, once for
    however many of their posts a scan saw (see `pipeline/flows.py`)."""

    __tablename__ = "pending_assessments"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    # a new post names an organisation or reads as propaganda: assess it first
    urgent: Mapped[bool] = mapped_column(default=False)


class TrainedModel(Base):
    """A classifier this instance trained: its file and that file's SHA-256.

    A model file is a pickle, and unpickling runs code: a file is loaded only when its
    SHA-256 equals the one recorded here when it was trained, so a file dropped into
    the model folder, or one altered there, is refused instead of run.
    """

    __tablename__ = "trained_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(200), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(2000), default="")
    examples: Mapped[int] = mapped_column(default=0)
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
