"""Typed shapes referral's services return (the CLI renders them; the API will serve them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Board(BaseModel):
    """A platform's referrals counted by status: the liaison officer's board."""

    model_config = ConfigDict(frozen=True)

    platform: str
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


class ReferralItemView(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    online: bool | None


class ReferralEventView(BaseModel):
    """One status change: `at` when it happened (for a platform's answer, when the
    platform gave it), `recorded_at` when Shaheen recorded it."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    recorded_at: datetime
    from_status: str | None
    to_status: str
    source: str
    note: str


class ReferralView(BaseModel):
    """A referral, its items and every status change, oldest first."""

    model_config = ConfigDict(frozen=True)

    referral: int
    platform: str
    status: str
    urgent: bool
    legal_basis: str
    platform_reference: str | None
    sent_at: datetime | None
    due_at: datetime | None
    escalation_level: int
    items: list[ReferralItemView]
    events: list[ReferralEventView]


class ReferralRow(BaseModel):
    """A referral as lists and boards show it: what, where, and its SLA clock."""

    model_config = ConfigDict(frozen=True)

    referral: int
    case: int | None
    platform: str
    status: str
    urgent: bool
    handle: str | None
    platform_account_id: str | None
    platform_reference: str | None
    created_at: datetime
    sent_at: datetime | None
    due_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
