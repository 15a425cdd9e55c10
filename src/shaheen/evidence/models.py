"""The append-only `evidence_records` chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.store.base import Base, BigId, JSONDoc, utcnow


class EvidenceRecord(Base):
    """A canonical snapshot, its SHA-256, and the hash of the record before it."""

    __tablename__ = "evidence_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    purpose: Mapped[str] = mapped_column(String(32))  # detection | referral | recheck
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    previous_sha256: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(200))
    key_id: Mapped[str | None] = mapped_column(String(64))
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
