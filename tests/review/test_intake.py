"""Intake: assessments become cases, each opened case audited, open cases kept current."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shaheen.audit.models import AuditEvent
from shaheen.detect.schemas import AccountAssessment
from shaheen.ingest.models import Account, Post
from shaheen.knowledge import service as knowledge
from shaheen.platforms.service import get_by_code
from shaheen.review import service
from shaheen.review.enums import CaseStatus, DismissReason, Verdict
from shaheen.review.models import Case
from shaheen.review.rules import Proposed, case_priority
from shaheen.review.schemas import IntakeResult
from tests.factories import post_signal
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


def _propaganda_post(session: Session, account_id: int, number: int) -> None:
    """A post the classifier scored as propaganda that names TTP (a strong new signal)."""
    x = get_by_code(session=session, code="x")
    post = Post(
        platform_id=x.id, platform_post_id=f"{account_id}-{number}", account_id=account_id, text="…"
    )
    session.add(post)
    session.flush()
    ttp = knowledge.organisation_id(session=session, slug="ttp")
    for detector, label, score, organisation in (
        ("classifier", "propaganda", 0.95, None),
        ("lexicon", "names_organisation", 1.0, ttp),
    ):
        session.add(post_signal(post, detector, label, score, organisation_id=organisation))
    session.flush()


def _intake(desk: Desk, account_id: int, score: float) -> IntakeResult:
    with desk.sessions.begin() as session:
        return service.intake(
            session=session,
            agency_id=desk.agency_id,
            assessments=[_assessed(account_id, score)],
            threshold=0.6,
            actor="system",
        )


def test_a_referred_account_gets_no_second_case(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        account = _account(session)
    (case_id,) = _intake(desk, account, 0.9).opened
    with desk.sessions.begin() as session:
        session.execute(update(Case).values(status=CaseStatus.REFERRED))
    again = _intake(desk, account, 0.95)
    assert again.opened == {} and again.updated == 1
    with desk.sessions() as session:
        assert session.scalars(select(Case.id).where(Case.account_id == account)).all() == [case_id]


def test_after_a_dismissal_only_newer_signals_open_a_case(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        account = _account(session)
        _propaganda_post(session, account, 1)  # what the reviewer saw
    (first,) = _intake(desk, account, 0.9).opened
    service.decide(
        desk.sessions,
        case_id=first,
        by=desk.as_("rev1"),
        proposed=Proposed(Verdict.DISMISS, DismissReason.INSUFFICIENT_EVIDENCE),
    )
    held = _intake(desk, account, 0.9)  # the same evidence, scored again
    assert held.opened == {} and held.held_back == 1
    with desk.sessions.begin() as session:
        _propaganda_post(session, account, 2)  # stored after the dismissal
    reopened = _intake(desk, account, 0.9)
    assert list(reopened.opened.values()) == [account]
    with desk.sessions() as session:
        statuses = session.scalars(
            select(Case.status).where(Case.account_id == account).order_by(Case.id)
        ).all()
    assert statuses == [CaseStatus.DISMISSED, CaseStatus.OPEN]
