"""Intake: assessments become cases, each opened case audited, open cases kept current."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.audit.models import AuditEvent
from shaheen.detect.schemas import AccountAssessment
from shaheen.ingest.models import Account
from shaheen.platforms.service import get_by_code
from shaheen.review import service
from shaheen.review.enums import CaseStatus
from shaheen.review.models import Case
from shaheen.review.rules import case_priority
from tests.review.conftest import Desk

LAST_POST = datetime(2026, 11, 20, tzinfo=UTC)


def _account(session: Session, followers: int = 1_000) -> int:
    x = get_by_code(session=session, code="x")
    account = Account(
        platform_id=x.id,
        platform_account_id=uuid.uuid4().hex[:12],
        handle="someone",
        followers=followers,
    )
    session.add(account)
    session.flush()
    return account.id


def _assessed(account_id: int, score: float, reach: int = 1_000) -> AccountAssessment:
    return AccountAssessment(account_id, score, None, reach, LAST_POST, "ur")


def test_cases_open_at_the_threshold_and_are_audited(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        high, low = _account(session), _account(session)
        taken = service.intake(
            session=session,
            agency_id=desk.agency_id,
            assessments=[_assessed(high, 0.8), _assessed(low, 0.3)],
            threshold=0.6,
            actor="system",
        )
    assert list(taken.opened.values()) == [high] and taken.updated == 0
    (case_id,) = taken.opened
    with desk.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.status is CaseStatus.OPEN
        assert case.language == "ur" and case.risk_score == 0.8
        assert case.priority == case_priority(0.8, 1_000, LAST_POST)
        opened = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.open")).all()
        assert [(e.object_id, e.actor, e.agency_id) for e in opened] == [
            (str(case_id), "system", desk.agency_id)
        ]
        assert session.scalar(select(Case.id).where(Case.account_id == low)) is None


def test_an_open_case_is_updated_not_duplicated(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        account = _account(session)
        first = service.intake(
            session=session,
            agency_id=desk.agency_id,
            assessments=[_assessed(account, 0.7)],
            threshold=0.6,
            actor="system",
        )
    with desk.sessions.begin() as session:
        again = service.intake(
            session=session,
            agency_id=desk.agency_id,
            assessments=[_assessed(account, 0.5, reach=50_000)],  # under the threshold now
            threshold=0.6,
            actor="system",
        )
    assert again.opened == {} and again.updated == 1
    with desk.sessions() as session:
        cases = session.scalars(select(Case).where(Case.account_id == account)).all()
        assert [c.id for c in cases] == list(first.opened)
        assert (cases[0].risk_score, cases[0].reach) == (0.5, 50_000)
