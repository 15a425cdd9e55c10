"""Typed shapes review's services return: the queue page, the case view, what intake did,
the labels reviewers' decisions give to posts, and the review figures. The CLI renders
them; the API will serve the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shaheen.ingest.schemas import StatusView


class QueueRow(BaseModel):
    """A case as the queue lists it."""

    model_config = ConfigDict(frozen=True)

    case_id: int
    status: str
    priority: float
    risk_score: float
    reach: int
    platform: str
    handle: str | None
    platform_account_id: str  # shown where a platform gives no handle (WhatsApp, Telegram)
    organisation: str | None
    language: str | None
    assignee: str | None
    opened_at: datetime


class QueuePage(BaseModel):
    """One page of the queue; `next_offset` is None on the last page."""

    model_config = ConfigDict(frozen=True)

    rows: list[QueueRow]
    offset: int
    next_offset: int | None


class AccountView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    platform: str
    platform_account_id: str
    handle: str | None
    display_name: str | None
    url: str | None
    bio: str | None
    followers: int | None
    verified: bool


class PostView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    url: str | None
    posted_at: datetime | None
    language: str | None
    text: str


class SignalView(BaseModel):
    model_config = ConfigDict(frozen=True)

    post: int | None
    media: int | None
    detector: str
    label: str
    score: float
    organisation: str | None
    evidence: dict[str, Any]


class DecisionView(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: str
    reason: str
    legal_basis: str | None
    organisation: str | None
    reviewer: str
    second_review: bool
    decided_at: datetime
    note: str


class CaseView(BaseModel):
    """Everything a reviewer reads before deciding a case."""

    model_config = ConfigDict(frozen=True)

    case: int
    agency: str
    status: str
    tlp: str
    risk: float
    reach: int
    priority: float
    organisation: str | None
    language: str | None
    assignee: str | None
    opened_at: datetime
    account: AccountView
    explanation: dict[str, Any] | None
    statuses: list[StatusView]  # what platform exports said (suspended, withheld, …)
    posts: list[PostView]
    signals: list[SignalView]
    decisions: list[DecisionView]


class IntakeResult(BaseModel):
    """What intake did with one batch of assessments."""

    opened: dict[int, int] = {}  # case id → account id
    updated: int = 0  # accounts whose open or referred case was kept
    held_back: int = 0  # dismissed before, and nothing new since crosses the threshold


class LabelledPost(BaseModel):
    """A post's text labelled by a reviewer's decision on its account (for training)."""

    model_config = ConfigDict(frozen=True)

    text: str
    label: str
    language: str | None


class ReviewFigures(BaseModel):
    """What reviewers made of the cases detection opened: the system's precision."""

    model_config = ConfigDict(frozen=True)

    decided: int
    referred: int
    dismissed_by_reason: dict[str, int]

    @property
    def precision(self) -> float | None:
        """Referred ÷ (referred + dismissed): how often a case was worth opening."""
        dismissed = sum(self.dismissed_by_reason.values())
        total = self.referred + dismissed
        return self.referred / total if total else None
