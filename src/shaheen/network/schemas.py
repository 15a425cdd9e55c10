"""Typed shapes network's services return: results of a build, clusters, neighbours,
evasion matches and campaigns (Pydantic, for the CLI and the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


@dataclass
class BuildResult:
    """What one incremental build read and added."""

    posts: int = 0
    indicators: int = 0
    media: int = 0
    accounts: int = 0
    edges: int = 0  # edge rows added or strengthened
    seconds: float = 0.0


@dataclass
class ClusterResult:
    accounts: int = 0
    edges: int = 0
    clusters: int = 0  # of two accounts or more
    associated: int = 0  # accounts given a weak association reason
    seconds: float = 0.0


@dataclass(frozen=True)
class RemovedAccount:
    """A removed account to watch for, with the referral and case that removed it."""

    account_id: int
    referral_id: int | None = None
    case_id: int | None = None


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class ClusterView(_View):
    id: int
    size: int
    organisation: str | None
    known_bad: int
    known_bad_share: float
    built_at: datetime


class NeighbourView(_View):
    account_id: int
    platform: str
    handle: str | None
    kinds: list[str]
    weight: float


class EvasionView(_View):
    id: int
    account_id: int
    handle: str | None
    removed_account_id: int
    removed_handle: str | None
    referral_id: int | None
    removed_case_id: int | None
    case_id: int | None
    score: float
    reasons: list[dict[str, Any]]
    status: str
    found_at: datetime


class MemberView(_View):
    account_id: int
    platform: str
    handle: str | None
    role: str
    posts: int
    reach: int
    first_post_at: datetime | None
    protected: bool
    needs_second_review: bool


class CampaignView(_View):
    id: int
    basis: str
    excerpt: str
    score: float
    measures: dict[str, Any]
    accounts: int
    posts: int
    origin_post_ids: list[int]
    platforms: list[str]
    protected_accounts: int
    first_post_at: datetime | None
    last_post_at: datetime | None
    detected_at: datetime


class CampaignDetail(CampaignView):
    reach_over_time: list[dict[str, Any]]
    origin: list[MemberView]
    amplifiers: list[MemberView]
