"""The `shares` and `share_recipients` tables.

A share names its object by kind and key (a case id, a bank id, an indicator kind),
because the objects live in stages above this layer; who may share it and its marking
are read by the caller (`tasks/shares.py`) and recorded here with the share.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.knowledge.enums import TLP
from shaheen.sharing.enums import SharedKind
from shaheen.store.base import Base, BigId, StrEnumType, utcnow


class Share(Base):
    """One agency's object made readable to named agencies or people, until revoked."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_object", "kind", "object_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[SharedKind] = mapped_column(StrEnumType(SharedKind))
    object_key: Mapped[str] = mapped_column(String(100))
    #: what the sharer saw, so a recipient's list can say what it is without reading it
    label: Mapped[str] = mapped_column(String(200), default="")
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    #: the marking it was shared under; access takes the stricter of this and the
    #: object's marking at the time of reading (`rules.effective_tlp`)
    tlp: Mapped[TLP] = mapped_column(StrEnumType(TLP))
    #: GREEN and CLEAR only: every agency on the instance
    everyone: Mapped[bool] = mapped_column(default=False, server_default=false())
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ShareRecipient(Base):
    """An agency a share names; with `user_id`, one named person of it (TLP:RED)."""

    __tablename__ = "share_recipients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
