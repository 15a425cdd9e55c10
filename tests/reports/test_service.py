"""Per-platform stats count what each stage stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.detect.enums import SubjectKind
from shaheen.detect.models import Signal
from shaheen.ingest.models import Account, IngestError, IngestRun, Media, Post, PostMedia
from shaheen.platforms.service import get_by_code
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral
from shaheen.reports import service
from shaheen.review.enums import CaseStatus
from shaheen.review.models import Case


def test_stats_count_every_stage_per_platform(session: Session) -> None:
    x = get_by_code(session=session, code="x")
    agency = ensure_agency(session=session, code="A", name="A", kind=AgencyKind.CYBER_CRIME)
    user = ensure_user(
        session=session, agency=agency, username="u", display_name="U", role=Role.REVIEWER
    )
    account = Account(platform_id=x.id, platform_account_id="1", handle="h")
    session.add(account)
    session.flush()
    posts = [
        Post(platform_id=x.id, platform_post_id=str(i), account_id=account.id) for i in range(3)
    ]
    media = Media(sha256="a" * 64, md5="b" * 32, mime_type="image/png", size_bytes=1)
    session.add_all([*posts, media])
    session.flush()
    session.add_all(
        [
            PostMedia(post_id=posts[0].id, media_id=media.id),
            PostMedia(post_id=posts[1].id, media_id=media.id),
        ]
    )
    session.add(
        Signal(
            detector="lexicon",
            detector_version="1",
            subject=SubjectKind.POST,
            platform_id=x.id,
            post_id=posts[0].id,
            label="propaganda",
            score=0.9,
        )
    )
    session.add_all(
        [
            Case(agency_id=agency.id, account_id=account.id, risk_score=0.9, priority=1.0),
            Case(
                agency_id=agency.id,
                account_id=account.id,
                risk_score=0.9,
                priority=1.0,
                status=CaseStatus.DISMISSED,
            ),
        ]
    )
    session.add_all(
        [
            Referral(
                agency_id=agency.id,
                platform_id=x.id,
                legal_basis="PECA s.37",
                created_by_id=user.id,
                status=ReferralStatus.SENT,
            ),
            Referral(
                agency_id=agency.id,
                platform_id=x.id,
                legal_basis="PECA s.37",
                created_by_id=user.id,
                status=ReferralStatus.REMOVED,
            ),
        ]
    )
    run = IngestRun(source="f", connector="c")
    session.add(run)
    session.flush()
    session.add_all(
        [
            IngestError(run_id=run.id, platform_id=x.id, file="f", location="line 2", reason="r"),
            IngestError(run_id=run.id, platform_id=None, file="g", location="line 1", reason="r"),
        ]
    )
    session.flush()

    stats = service.collect(session=session)
    row = next(p for p in stats.platforms if p.platform == "x")
    assert (row.accounts, row.posts, row.media, row.signals, row.open_cases) == (1, 3, 1, 1, 1)
    assert row.referrals == {"sent": 1, "removed": 1}
    assert row.ingest_errors == 1
    unknown = next(p for p in stats.platforms if p.platform == "unknown")
    assert unknown.ingest_errors == 1
    assert stats.totals.ingest_errors == 2
    assert stats.totals.posts == 3
    tiktok = next(p for p in stats.platforms if p.platform == "tiktok")
    assert tiktok.posts == 0
    assert session.scalar(select(Account.handle)) == "h"
