"""The review queue and decisions on cases, with the safeguards of `policy.py` applied.

The queue is one agency's open cases, highest priority first (the scan sets priority
to risk × order of magnitude of reach), then the most recently opened. A reviewer claims
a case, reads the account, its posts and the signals with their evidence, and decides:

* refer: needs a reason, the organisation and a legal basis; a high-impact account
  (reach, verified, protected list) first goes to `awaiting_second_review`, and only a
  second reviewer, a different person, can confirm (or dismiss) it;
* dismiss: needs a reason; dismissals are kept, and feed precision figures and
  retraining (`shaheen model train --with-decisions`);
* escalate: to a supervisor's list, with a reason;
* needs translation: back to the queue, marked with the language needed.

Every decision, and every refused attempt, is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import Role
from shaheen.agencies.models import User
from shaheen.audit import service as audit
from shaheen.errors import IllegalTransition, NotFound, SafeguardViolation
from shaheen.ingest.models import Account
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.review.enums import OPEN_STATUSES, CaseStatus, Verdict
from shaheen.review.models import Case, Decision
from shaheen.review.policy import (
    Proposed,
    ReviewPolicy,
    Subject,
    check_decision,
    check_second_reviewer,
    why_second_review,
)
from shaheen.store.base import utcnow

DECIDERS = (Role.REVIEWER, Role.SUPERVISOR)
_DECIDABLE = {
    CaseStatus.OPEN,
    CaseStatus.IN_REVIEW,
    CaseStatus.ESCALATED,
    CaseStatus.NEEDS_TRANSLATION,
    CaseStatus.AWAITING_SECOND_REVIEW,
}


@dataclass(frozen=True)
class QueueRow:
    case_id: int
    status: str
    priority: float
    risk_score: float
    reach: int
    platform: str
    handle: str | None
    organisation: str | None
    language: str | None
    assignee: str | None
    opened_at: datetime


@dataclass(frozen=True)
class QueueFilter:
    platform: str | None = None
    organisation: str | None = None
    language: str | None = None
    status: CaseStatus | None = None


def queue(
    *,
    session: Session,
    agency_id: int,
    where: QueueFilter | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[QueueRow]:
    """One page of the agency's open cases, highest priority first."""
    where = where or QueueFilter()
    statement = (
        select(
            Case.id,
            Case.status,
            Case.priority,
            Case.risk_score,
            Case.reach,
            Platform.code,
            Account.handle,
            Organisation.slug,
            Case.language,
            User.username,
            Case.opened_at,
        )
        .join(Account, Account.id == Case.account_id)
        .join(Platform, Platform.id == Account.platform_id)
        .outerjoin(Organisation, Organisation.id == Case.organisation_id)
        .outerjoin(User, User.id == Case.assignee_id)
        .where(Case.agency_id == agency_id)
        .order_by(Case.priority.desc(), Case.opened_at.desc(), Case.id.desc())
        .limit(limit)
        .offset(offset)
    )
    statuses = [where.status] if where.status else list(OPEN_STATUSES)
    statement = statement.where(Case.status.in_(statuses))
    if where.platform:
        statement = statement.where(Platform.code == where.platform)
    if where.organisation:
        statement = statement.where(Organisation.slug == where.organisation)
    if where.language:
        statement = statement.where(Case.language == where.language)
    return [QueueRow(*row) for row in session.execute(statement)]


def get_case(*, session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def get_user(*, session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFound(f"no active user {username!r}")
    return user


def _check_reviewer(user: User, case: Case) -> None:
    if user.role not in DECIDERS:
        raise SafeguardViolation(
            f"{user.username} is a {user.role.value}; only reviewers and supervisors decide cases"
        )
    if user.agency_id != case.agency_id:
        raise SafeguardViolation(f"case {case.id} belongs to another agency")


def claim(sessions: sessionmaker[Session], *, case_id: int, username: str) -> None:
    """Assign an open case to a reviewer (who may take over an unclaimed or own case)."""
    with audit.attempt(
        sessions, actor=username, action="case.claim", object_type="case", object_id=case_id
    ) as session:
        user = get_user(session=session, username=username)
        case = get_case(session=session, case_id=case_id)
        _check_reviewer(user, case)
        if case.status not in OPEN_STATUSES:
            raise IllegalTransition(f"case {case_id} is {case.status.value}, not open")
        if case.assignee_id not in (None, user.id) and user.role is not Role.SUPERVISOR:
            raise SafeguardViolation(f"case {case_id} is claimed by someone else")
        case.assignee_id = user.id
        if case.status is CaseStatus.OPEN:
            case.status = CaseStatus.IN_REVIEW
        audit.record(
            session=session,
            actor=username,
            action="case.claim",
            object_type="case",
            object_id=case_id,
            user_id=user.id,
            agency_id=case.agency_id,
        )


def assign(sessions: sessionmaker[Session], *, case_id: int, username: str, to: str) -> None:
    """A supervisor gives an open case to a reviewer of the same agency."""
    with audit.attempt(
        sessions,
        actor=username,
        action="case.assign",
        object_type="case",
        object_id=case_id,
        details={"to": to},
    ) as session:
        boss = get_user(session=session, username=username)
        reviewer = get_user(session=session, username=to)
        case = get_case(session=session, case_id=case_id)
        if boss.role is not Role.SUPERVISOR or boss.agency_id != case.agency_id:
            raise SafeguardViolation("only a supervisor of the case's agency assigns cases")
        _check_reviewer(reviewer, case)
        if case.status not in OPEN_STATUSES:
            raise IllegalTransition(f"case {case_id} is {case.status.value}, not open")
        case.assignee_id = reviewer.id
        audit.record(
            session=session,
            actor=username,
            action="case.assign",
            object_type="case",
            object_id=case_id,
            user_id=boss.id,
            agency_id=case.agency_id,
            details={"to": to},
        )


@dataclass(frozen=True)
class Outcome:
    decision_id: int
    status: CaseStatus
    second_review_reasons: list[str]


def decide(
    sessions: sessionmaker[Session],
    *,
    case_id: int,
    username: str,
    proposed: Proposed,
    note: str = "",
    policy: ReviewPolicy | None = None,
) -> Outcome:
    """Record a reviewer's decision; refuse (and audit the refusal) what breaks a rule."""
    policy = policy or ReviewPolicy()
    details = {
        "verdict": proposed.verdict.value,
        "reason_code": proposed.reason_code,
        "organisation": proposed.organisation,
        "legal_basis": proposed.legal_basis,
    }
    with audit.attempt(
        sessions,
        actor=username,
        action="case.decide",
        object_type="case",
        object_id=case_id,
        details=details,
    ) as session:
        user = get_user(session=session, username=username)
        case = get_case(session=session, case_id=case_id)
        _check_reviewer(user, case)
        if case.status not in _DECIDABLE:
            raise IllegalTransition(f"case {case_id} is {case.status.value}: nothing to decide")
        organisations = set(session.scalars(select(Organisation.slug)))
        check_decision(proposed, policy, organisations)
        account = session.get(Account, case.account_id)
        assert account is not None
        subject = Subject(account.handle, account.followers or 0, account.verified)
        reasons = why_second_review(subject, policy)
        is_second = case.status is CaseStatus.AWAITING_SECOND_REVIEW
        if is_second:
            first = _first_referral_decision(session, case.id)
            check_second_reviewer(first.reviewer_id, user.id)
            if proposed.verdict not in (Verdict.REFER, Verdict.DISMISS):
                raise SafeguardViolation("a second review confirms (refer) or overturns (dismiss)")
        decision = Decision(
            case_id=case.id,
            reviewer_id=user.id,
            verdict=proposed.verdict,
            reason_code=proposed.reason_code,
            legal_basis=proposed.legal_basis,
            organisation_id=_organisation_id(session, proposed.organisation),
            is_second_review=is_second,
            note=note,
        )
        session.add(decision)
        case.status = _next_status(proposed.verdict, bool(reasons), is_second)
        case.assignee_id = None if case.status is not CaseStatus.IN_REVIEW else user.id
        if case.status in (CaseStatus.DISMISSED, CaseStatus.REFERRED):
            case.closed_at = utcnow() if case.status is CaseStatus.DISMISSED else None
        if decision.organisation_id is not None:
            case.organisation_id = decision.organisation_id
        session.flush()
        audit.record(
            session=session,
            actor=username,
            action="case.decide",
            object_type="case",
            object_id=case.id,
            user_id=user.id,
            agency_id=case.agency_id,
            details={**details, "status": case.status.value, "second_review": reasons},
        )
        return Outcome(decision.id, case.status, reasons)


def _next_status(verdict: Verdict, high_impact: bool, is_second: bool) -> CaseStatus:
    if verdict is Verdict.REFER:
        if high_impact and not is_second:
            return CaseStatus.AWAITING_SECOND_REVIEW
        return CaseStatus.REFERRED
    return {
        Verdict.DISMISS: CaseStatus.DISMISSED,
        Verdict.ESCALATE: CaseStatus.ESCALATED,
        Verdict.NEEDS_TRANSLATION: CaseStatus.NEEDS_TRANSLATION,
    }[verdict]


def latest_referral_decision(*, session: Session, case_id: int) -> Decision | None:
    """The case's most recent refer decision, if any."""
    return session.scalars(
        select(Decision)
        .where(Decision.case_id == case_id, Decision.verdict == Verdict.REFER)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    ).first()


def _first_referral_decision(session: Session, case_id: int) -> Decision:
    first = latest_referral_decision(session=session, case_id=case_id)
    if first is None:
        raise IllegalTransition(f"case {case_id} awaits a second review of nothing")
    return first


def _organisation_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    return session.scalar(select(Organisation.id).where(Organisation.slug == slug))


def referral_decision(*, session: Session, case_id: int) -> Decision:
    """The decision a referral rests on: the case's latest refer decision, confirmed by
    a second reviewer where one was needed. Raises if the case was not referred."""
    case = get_case(session=session, case_id=case_id)
    if case.status is not CaseStatus.REFERRED:
        raise SafeguardViolation(
            f"case {case_id} is {case.status.value}: only a case a reviewer referred "
            "can become a referral"
        )
    return _first_referral_decision(session, case_id)


def decisions_of(*, session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Decision, User.username)
        .join(User, User.id == Decision.reviewer_id)
        .where(Decision.case_id == case_id)
        .order_by(Decision.decided_at, Decision.id)
    )
    return [
        {
            "verdict": d.verdict.value,
            "reason": d.reason_code,
            "legal_basis": d.legal_basis,
            "reviewer": name,
            "second_review": d.is_second_review,
            "decided_at": d.decided_at.isoformat(),
            "note": d.note,
        }
        for d, name in rows
    ]


@dataclass(frozen=True)
class ReviewFigures:
    """What reviewers made of the cases detection opened: the system's precision."""

    decided: int
    referred: int
    dismissed_by_reason: dict[str, int]

    @property
    def precision(self) -> float | None:
        """Referred ÷ (referred + dismissed): how often a case was worth opening."""
        dismissed = sum(self.dismissed_by_reason.values())
        total = self.referred + dismissed
        return self.referred / total if total else None


def figures(*, session: Session, agency_id: int | None = None) -> ReviewFigures:
    """Final verdicts per case (the latest decision), counted."""
    statement = select(Decision.case_id, Decision.verdict, Decision.reason_code).order_by(
        Decision.decided_at, Decision.id
    )
    if agency_id is not None:
        statement = statement.join(Case, Case.id == Decision.case_id).where(
            Case.agency_id == agency_id
        )
    latest: dict[int, tuple[Verdict, str]] = {}
    for case_id, verdict, reason in session.execute(statement):
        latest[case_id] = (verdict, reason)
    dismissed: dict[str, int] = {}
    referred = 0
    for verdict, reason in latest.values():
        if verdict is Verdict.REFER:
            referred += 1
        elif verdict is Verdict.DISMISS:
            dismissed[reason] = dismissed.get(reason, 0) + 1
    return ReviewFigures(len(latest), referred, dismissed)
