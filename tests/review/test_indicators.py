"""Indicators go out only with a human referral behind them."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shaheen.access.rules import system
from shaheen.detect.models import Indicator
from shaheen.ingest.models import Account, Post
from shaheen.platforms.service import get_by_code
from shaheen.review import service
from shaheen.review.enums import CaseStatus
from shaheen.review.models import Case
from tests.factories import post_signal
from tests.review.conftest import Desk


def _account_with_phone(session: Session, agency_id: int, phone: str, status: CaseStatus) -> None:
    x = get_by_code(session=session, code="x")
    account = Account(platform_id=x.id, platform_account_id=uuid.uuid4().hex, handle=phone)
    session.add(account)
    session.flush()
    post = Post(
        platform_id=x.id, platform_post_id=uuid.uuid4().hex, account_id=account.id, text=phone
    )
    session.add(post)
    session.flush()
    session.add_all(
        [
            Indicator(
                kind="phone",
                value=phone,
                post_id=post.id,
                account_id=account.id,
                platform_id=x.id,
            ),
            post_signal(post, "classifier", "propaganda", 0.9),
            Case(
                agency_id=agency_id,
                account_id=account.id,
                status=status,
                risk_score=0.9,
                priority=1.0,
            ),
        ]
    )
    session.flush()


def test_only_referred_accounts_give_indicators(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        for phone, status in (
            ("+923000000001", CaseStatus.REFERRED),
            ("+923000000002", CaseStatus.DISMISSED),
            ("+923000000003", CaseStatus.OPEN),
            ("+923000000004", CaseStatus.AWAITING_SECOND_REVIEW),
        ):
            _account_with_phone(session, desk.agency_id, phone, status)
    with desk.sessions() as session:
        found = service.referred_indicators(
            session=session, by=desk.as_("liaison"), kind="phone", min_score=0.5
        )
        other = service.referred_indicators(
            session=session,
            by=system(),
            kind="phone",
            min_score=0.5,
            agency_id=desk.agency_id + 999,
        )
    assert [entry.value for entry in found] == ["+923000000001"]
    assert other == []
