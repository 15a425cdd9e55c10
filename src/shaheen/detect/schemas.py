"""Typed shapes detection hands on: account assessments (to review's intake), flagged
posts (to referrals and training), and the views the CLI and the API show (the risk
table, the indicator list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True, slots=True)
class AccountAssessment:
    """One account's risk after a scan, with the facts review needs to queue it."""

    account_id: int
    score: float
    organisation_id: int | None  # the organisation the evidence points to most
    reach: int
    last_post: datetime | None
    language: str | None


@dataclass(frozen=True, slots=True)
class FlaggedPost:
    """A post detection holds against its account (see `service.flagged_posts`)."""

    post_id: int
    url: str | None
    text: str
    language: str | None


class RiskRow(BaseModel):
    """An account in the risk table, with the reasons behind its score."""

    model_config = ConfigDict(frozen=True)

    account_id: int
    platform: str
    name: str  # handle, else display name, else the platform's id
    risk: float
    followers: int
    organisations: list[str]
    reasons: list[str]  # the strongest reasons, in words
    explanation: dict[str, Any]


class IndicatorSummary(BaseModel):
    """One indicator value (a phone number, a link, …) and where it was seen."""

    model_config = ConfigDict(frozen=True)

    kind: str
    value: str
    posts: int
    accounts: int
    platforms: list[str]
    organisations: list[str]
    max_propaganda_score: float
    first_seen: datetime | None
    last_seen: datetime | None
