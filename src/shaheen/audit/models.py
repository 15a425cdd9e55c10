"""The append-only `audit_events` chain, and the checkpoints and keys that anchor both chains."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.store.base import Base, BigId, JSONDoc, utcnow


class AuditEvent(Base):
    """One action by a person or a system component."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    actor: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok | refused
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChainCheckpoint(Base):
    """A signed statement of a chain's head: "record `sequence` has hash `head_hash`".

    One is written in every transaction that appends to a chain (see
    `audit/checkpoints.py`), and the same statement is appended to a file outside the
    database; `verify` holds the chain against both, and against exported copies.
    """

    __tablename__ = "chain_checkpoints"
    __table_args__ = (UniqueConstraint("chain", "sequence"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chain: Mapped[str] = mapped_column(String(16))  # audit | evidence
    sequence: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))
    record_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))


class SigningKey(Base):
    """A public key a chain trusts, pinned when first used.

    The first key of a chain is trusted on first use; every later one needs an
    `endorsement`: the rotation statement signed by the key it replaces (`endorsed_by`),
    which also says after which sequence the old key signs nothing more.
    """

    __tablename__ = "signing_keys"
    __table_args__ = (
        UniqueConstraint("chain", "fingerprint"),
        UniqueConstraint("chain", "endorsed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the raw public key
    public_key: Mapped[str] = mapped_column(Text)  # PEM
    pinned_at: Mapped[datetime] = mapped_column(default=utcnow)
    endorsed_by: Mapped[str | None] = mapped_column(String(64))
    endorsed_after: Mapped[int | None]
    endorsement: Mapped[str | None] = mapped_column(String(100))
