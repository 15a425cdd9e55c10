"""The `platforms` table."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.platforms.enums import ChannelKind
from shaheen.store.base import Base, StrEnumType


class Platform(Base):
    """A platform and how referrals to it are sent and timed."""

    __tablename__ = "platforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    channel_kind: Mapped[ChannelKind] = mapped_column(StrEnumType(ChannelKind))
    channel_name: Mapped[str] = mapped_column(String(200))
    channel_address: Mapped[str | None] = mapped_column(String(500))
    sla_hours: Mapped[int]
    urgent_sla_hours: Mapped[int]
