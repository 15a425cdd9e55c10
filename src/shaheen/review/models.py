"""Cases under review and the decisions taken on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.knowledge.enums import TLP
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.store.base import Base, BigId, StrEnumType, utcnow


class Case(Base):
    """An account (with its posts) under review by one agency."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue", "status", "priority"),
        # the queue walks this in priority order and stops at a page: see review/service.py
        Index("ix_cases_agency_queue", "agency_id", "priority", "opened_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(StrEnumType(CaseStatus), default=CaseStatus.OPEN)
    risk_score: Mapped[float] = mapped_column(Float)
    reach: Mapped[int] = mapped_column(BigInteger, default=0)
    priority: Mapped[float] = mapped_column(Float)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The organisation the evidence points to most (a referral decision sets it), and
    # the account's main language: queue filters.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    language: Mapped[str | None] = mapped_column(String(16))
    # Who beyond the agency may read it: the fusion centre up to AMBER (access/rules.py).
    tlp: Mapped[TLP] = mapped_column(StrEnumType(TLP), default=TLP.AMBER, server_default="amber")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # A ban-evasion case: the removed account this one appears to re-create, and that
    # account's case (whose referral and evidence the platform can act on in one step).
    evades_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    linked_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


class Decision(Base):
    """A reviewer's verdict on a case, with its justification."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[Verdict] = mapped_column(StrEnumType(Verdict))
    reason_code: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    is_second_review: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
