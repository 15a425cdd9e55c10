"""The `api_idempotency_keys` table: what a create answered, under the caller's key.

A client that retries a create after a lost answer (a timeout, a dropped connection)
sends the same `Idempotency-Key` and gets the first answer again instead of a second
decision or referral. The key belongs to the caller (`owner`); the request's method,
path and body are kept as a SHA-256 so that the same key with another request is
refused rather than answered with something it did not ask for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.store.base import Base, BigId, JSONDoc, utcnow


class IdempotencyKey(Base):
    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))  # the principal's audit name
    key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    # None while the first request is still being served
    status_code: Mapped[int | None]
    response: Mapped[Any | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
