"""Referrals, the accounts and posts they name, and their status events; the platforms'
webhook deliveries already taken, and the tally of refused ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.store.base import Base, BigId, JSONDoc, StrEnumType, utcnow


class Referral(Base):
    """A request to one platform about one or more accounts or posts."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_board", "platform_id", "status"),
        Index("ix_referrals_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(
        StrEnumType(ReferralStatus), default=ReferralStatus.DRAFT
    )
    urgent: Mapped[bool] = mapped_column(default=False)
    legal_basis: Mapped[str] = mapped_column(String(200))
    platform_reference: Mapped[str | None] = mapped_column(String(200), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # 0: on time; 1: overdue, reminder sent; 2: on the supervisor's list
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None]


class ReferralItem(Base):
    """An account or post named in a referral, with its last observed liveness."""

    __tablename__ = "referral_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    url: Mapped[str] = mapped_column(String(500))
    online: Mapped[bool | None]
    last_checked_at: Mapped[datetime | None]


class ReferralEvent(Base):
    """One status change of a referral: when, from where, and the platform's reference."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ReferralStatus | None] = mapped_column(StrEnumType(ReferralStatus))
    to_status: Mapped[ReferralStatus] = mapped_column(StrEnumType(ReferralStatus))
    source: Mapped[EventSource] = mapped_column(StrEnumType(EventSource))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    platform_reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    # When it happened (a platform's answer: when the platform gave it) and when we wrote
    # it down: an answer read in an e-mail a day late must not look a day slow to the SLA
    # figures, and the delay in recording is itself worth seeing.
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """A platform's signed answer that was taken, by the delivery id it carried.

    Why a table: the signature proves who sent an answer, not that it is new. A captured
    answer sent again (a "removed" replayed after "reinstated") is refused because its
    delivery id is here already; the unique constraint settles two copies arriving at once.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("platform", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[str] = mapped_column(String(200))
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ReferralStatus] = mapped_column(StrEnumType(ReferralStatus))
    signed_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookRefusalTally(Base):
    """Refused webhook requests of one platform in one time window, counted by reason.

    Why not one audit event each: junk costs an attacker nothing, and a row per request
    would let anyone flood the audit chain. The first refusal of a window goes to the
    audit log at once and the window's total when it closes (`audited` says how many the
    log already accounts for); this row is the live count in between.
    """

    __tablename__ = "webhook_refusals"
    __table_args__ = (UniqueConstraint("platform", "window_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)
    audited: Mapped[int] = mapped_column(default=0)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
