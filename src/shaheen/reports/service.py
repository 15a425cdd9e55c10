"""The figures every stage adds to: per platform, what is stored and where it stands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, require
from shaheen.detect.models import Signal
from shaheen.ingest.models import Account, IngestError, Post, PostMedia
from shaheen.platforms.models import Platform
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral
from shaheen.reports.schemas import PlatformStats, Stats
from shaheen.review.models import Case
from shaheen.review.rules import OPEN_STATUSES

UNKNOWN_PLATFORM = "unknown"


def _by_platform(session: Session, query: Select[Any, Any]) -> dict[int | None, int]:
    return {platform_id: count for platform_id, count in session.execute(query)}


def collect(*, session: Session) -> Stats:
    """Count accounts, posts, media, signals, open cases, referrals and ingest errors."""
    platforms = {p.id: p.code for p in session.scalars(select(Platform).order_by(Platform.code))}
    accounts = _by_platform(
        session, select(Account.platform_id, func.count()).group_by(Account.platform_id)
    )
    posts = _by_platform(session, select(Post.platform_id, func.count()).group_by(Post.platform_id))
    media = _by_platform(
        session,
        select(Post.platform_id, func.count(distinct(PostMedia.media_id)))
        .select_from(PostMedia)
        .join(Post, Post.id == PostMedia.post_id)
        .group_by(Post.platform_id),
    )
    signals = _by_platform(
        session, select(Signal.platform_id, func.count()).group_by(Signal.platform_id)
    )
    open_cases = _by_platform(
        session,
        select(Account.platform_id, func.count())
        .select_from(Case)
        .join(Account, Account.id == Case.account_id)
        .where(Case.status.in_(OPEN_STATUSES))
        .group_by(Account.platform_id),
    )
    errors = _by_platform(
        session, select(IngestError.platform_id, func.count()).group_by(IngestError.platform_id)
    )
    referrals: dict[int, dict[str, int]] = {}
    for platform_id, status, count in session.execute(
        select(Referral.platform_id, Referral.status, func.count()).group_by(
            Referral.platform_id, Referral.status
        )
    ):
        referrals.setdefault(platform_id, {})[ReferralStatus(status).value] = count

    rows = [
        PlatformStats(
            platform=code,
            accounts=accounts.get(pid, 0),
            posts=posts.get(pid, 0),
            media=media.get(pid, 0),
            signals=signals.get(pid, 0),
            open_cases=open_cases.get(pid, 0),
            referrals=referrals.get(pid, {}),
            ingest_errors=errors.get(pid, 0),
        )
        for pid, code in platforms.items()
    ]
    if errors.get(None):
        rows.append(PlatformStats(platform=UNKNOWN_PLATFORM, ingest_errors=errors[None]))
    return Stats(platforms=rows, totals=_total(rows))


def _total(rows: Iterable[PlatformStats]) -> PlatformStats:
    total = PlatformStats(platform="all")
    for row in rows:
        total.accounts += row.accounts
        total.posts += row.posts
        total.media += row.media
        total.signals += row.signals
        total.open_cases += row.open_cases
        total.ingest_errors += row.ingest_errors
        for status, count in row.referrals.items():
            total.referrals[status] = total.referrals.get(status, 0) + count
    return total


def figures(*, session: Session, by: Principal) -> Stats:
    """`collect` for a principal: counts are no one agency's data and name no one, so
    whoever reads cases or the audit log may see them."""
    if Action.AUDIT_READ not in by.actions:
        require(by, Action.CASE_READ)
    return collect(session=session)
