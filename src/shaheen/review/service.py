"""Cases: intake from detection, the review queue, and decisions, with the rules of
`rules.py` (statuses, safeguards, priority) applied.

Intake: after a scan assesses accounts, `intake` opens a case in the scanning agency
for each account at or over the threshold that has no open case there yet, and keeps the
score, priority, language and organisation of open cases up to date; every case opened
is in the audit log.

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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.rules import (
    Action,
    Principal,
    can_read,
    check_read,
    check_write,
    identity,
    require,
)
from shaheen.agencies.enums import Role
from shaheen.agencies.models import Agency, User
from shaheen.audit import service as audit
from shaheen.config import get_settings
from shaheen.detect import service as detection
from shaheen.detect.models import Signal
from shaheen.detect.schemas import AccountAssessment, IndicatorSummary
from shaheen.errors import (
    BadInput,
    Forbidden,
    IllegalTransition,
    NotFound,
    SafeguardViolation,
    Unauthenticated,
)
from shaheen.evidence import service as evidence
from shaheen.ingest import service as ingest
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Post
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.enums import TLP
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.review.enums import ABOUT_NOT_FOR, CaseStatus, Verdict
from shaheen.review.models import Case, Decision
from shaheen.review.rules import (
    CLOSABLE_UNDECIDED,
    DECIDABLE,
    OPEN_STATUSES,
    LegalBasis,
    Proposed,
    ReviewPolicy,
    Subject,
    case_priority,
    check_decision,
    check_second_reviewer,
    check_transition,
    legal_bases,
    policy_from,
    status_after,
    why_second_review,
)
from shaheen.review.schemas import (
    AccountView,
    CaseView,
    DecisionView,
    IntakeResult,
    LabelledPost,
    PostView,
    QueuePage,
    QueueRow,
    ReviewFigures,
    SignalView,
)
from shaheen.sharing import service as sharing
from shaheen.sharing.enums import SharedKind
from shaheen.store.base import utcnow

DECIDERS = (Role.REVIEWER, Role.SUPERVISOR)
CASE_POSTS_SHOWN = 50


# -- intake -----------------------------------------------------------------------------


def intake(
    *,
    session: Session,
    agency_id: int,
    assessments: Iterable[AccountAssessment],
    threshold: float,
    actor: str,
) -> IntakeResult:
    """Take assessed accounts into the agency's queue.

    An account with an open case keeps it, brought up to date (score, priority,
    language, organisation); one whose case was referred keeps that case, whose account
    view shows the new signals: neither gets a second case. Any other account at or over
    `threshold` gets a new case, audited as `case.open` — except that after a dismissal,
    only signals stored since the dismissal count, so a reviewer's "no" is not overturned
    by the very evidence the reviewer weighed.
    """
    by_account = {a.account_id: a for a in assessments}
    held = _held_cases(session, agency_id, list(by_account))
    dismissed = _last_dismissals(session, agency_id, list(by_account))
    result = IntakeResult()
    opened: list[Case] = []
    for account_id, assessment in by_account.items():
        case = held.get(account_id)
        if case is not None:
            result.updated += 1
            if case.status in OPEN_STATUSES:
                _refresh(case, assessment)
            continue
        if assessment.score < threshold:
            continue
        since = dismissed.get(account_id)
        if since is not None and (
            detection.risk_since(session=session, account_id=account_id, since=since) < threshold
        ):
            result.held_back += 1
            continue
        case = Case(agency_id=agency_id, account_id=account_id)
        _refresh(case, assessment)
        session.add(case)
        opened.append(case)
    session.flush()
    for case in opened:
        audit.record(
            session=session,
            actor=actor,
            action="case.open",
            object_type="case",
            object_id=case.id,
            agency_id=agency_id,
            details={"account": case.account_id, "risk": case.risk_score, "threshold": threshold},
        )
        result.opened[case.id] = case.account_id
    return result


def intake_evasion(
    *,
    session: Session,
    agency_id: int,
    account_id: int,
    evades_account_id: int,
    linked_case_id: int | None,
    score: float,
    reasons: list[dict[str, Any]],
    actor: str,
) -> Case | None:
    """Open a ban-evasion case: the account appears to re-create a removed one.

    The case points to the removed account and its case (whose referral and evidence
    the platform can act on in one step). Like every case it opens for review, and is
    referred only after a human decision. An account that already has an open or
    referred case keeps it (None is returned).
    """
    if _held_cases(session, agency_id, [account_id]):
        return None
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    case = Case(
        agency_id=agency_id,
        account_id=account_id,
        evades_account_id=evades_account_id,
        linked_case_id=linked_case_id,
        risk_score=max(score, account.risk_score or 0.0),
        reach=account.followers or 0,
    )
    case.priority = case_priority(case.risk_score, case.reach, None)
    if linked_case_id is not None:
        linked = session.get(Case, linked_case_id)
        case.organisation_id = linked.organisation_id if linked is not None else None
    session.add(case)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="case.open",
        object_type="case",
        object_id=case.id,
        agency_id=agency_id,
        details={
            "account": account_id,
            "ban_evasion_of": evades_account_id,
            "linked_case": linked_case_id,
            "match": score,
            "reasons": [r.get("kind") for r in reasons],
        },
    )
    return case


def _held_cases(session: Session, agency_id: int, account_ids: list[int]) -> dict[int, Case]:
    """Each account's case that is still open, or referred (then it is the account's)."""
    held = session.scalars(
        select(Case).where(
            Case.account_id.in_(account_ids),
            Case.agency_id == agency_id,
            Case.status.in_([*OPEN_STATUSES, CaseStatus.REFERRED]),
        )
    )
    return {case.account_id: case for case in held}


def _last_dismissals(
    session: Session, agency_id: int, account_ids: list[int]
) -> dict[int, datetime]:
    """When each account's latest dismissed case in the agency was dismissed."""
    rows = session.execute(
        select(Case.account_id, func.max(Case.closed_at))
        .where(
            Case.account_id.in_(account_ids),
            Case.agency_id == agency_id,
            Case.status == CaseStatus.DISMISSED,
        )
        .group_by(Case.account_id)
    )
    return {account_id: when for account_id, when in rows if when is not None}


def _refresh(case: Case, assessment: AccountAssessment) -> None:
    case.risk_score, case.reach = assessment.score, assessment.reach
    case.priority = case_priority(assessment.score, assessment.reach, assessment.last_post)
    case.language = assessment.language
    if assessment.organisation_id is not None and case.organisation_id is None:
        case.organisation_id = assessment.organisation_id


# -- the queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    platform: str | None = None
    organisation: str | None = None
    language: str | None = None
    status: CaseStatus | None = None
    opened_after: datetime | None = None  # age: cases opened since then
    opened_before: datetime | None = None  # … or before then


@dataclass(frozen=True)
class QueuePosition:
    """Where a queue page ended: the sort key of its last row. `queue(after=…)` goes on
    from there however many cases were opened in front of it meanwhile (a keyset, not
    an offset: a deep page costs what the first does)."""

    priority: float
    opened_at: datetime
    case_id: int


def queue(
    *,
    session: Session,
    by: Principal,
    agency_id: int | None = None,
    where: QueueFilter | None = None,
    limit: int = 50,
    offset: int = 0,
    after: QueuePosition | None = None,
) -> QueuePage:
    """One page of an agency's open cases (the caller's own by default), highest
    priority first; of another agency's, only what the caller may read (the fusion
    centre: up to AMBER). `after` starts behind a row of an earlier page."""
    require(by, Action.CASE_READ)
    agency_id = agency_id if agency_id is not None else by.agency_id
    if agency_id is None:
        raise BadInput("which agency's queue? (`--agency CODE`)")
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
            Account.platform_account_id,
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
        .limit(limit + 1)  # one more than shown tells whether a next page exists
        .offset(offset)
    )
    statuses = [where.status] if where.status else list(OPEN_STATUSES)
    statement = statement.where(Case.status.in_(statuses))
    if not by.is_system and agency_id != by.agency_id:
        readable = [tlp for tlp in TLP if can_read(by, agency_id, tlp)]
        statement = statement.where(Case.tlp.in_(readable))
    if where.platform:
        statement = statement.where(Platform.code == where.platform)
    if where.organisation:
        statement = statement.where(Organisation.slug == where.organisation)
    if where.language:
        statement = statement.where(Case.language == where.language)
    if where.opened_after is not None:
        statement = statement.where(Case.opened_at >= where.opened_after)
    if where.opened_before is not None:
        statement = statement.where(Case.opened_at < where.opened_before)
    if after is not None:  # the order is (priority, opened_at, id), all descending
        statement = statement.where(
            or_(
                Case.priority < after.priority,
                and_(Case.priority == after.priority, Case.opened_at < after.opened_at),
                and_(
                    Case.priority == after.priority,
                    Case.opened_at == after.opened_at,
                    Case.id < after.case_id,
                ),
            )
        )
    fields = list(QueueRow.model_fields)
    rows = [QueueRow(**dict(zip(fields, row, strict=True))) for row in session.execute(statement)]
    more = len(rows) > limit
    return QueuePage(rows=rows[:limit], offset=offset, next_offset=offset + limit if more else None)


def get_case(*, session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def acting_user(session: Session, by: Principal, action: Action) -> User:
    """The signed-in person behind `by`, if the policy lets them take `action`: decisions
    and referrals are a named person's, never the operator's `system`."""
    require(by, action)
    if by.user_id is None:
        raise Forbidden(f"{action.value} is a person's act: sign in as one (`shaheen login`)")
    user = session.get(User, by.user_id)
    if user is None or not user.active:
        raise Unauthenticated(f"user {by.username!r} is disabled or no longer exists")
    return user


def case_for(session: Session, by: Principal, case_id: int, *, write: bool = False) -> Case:
    """The case, if `by` may see it (and, for `write`, act on it); another agency's case
    is answered as not found."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if write:
        check_write(by, f"case {case_id}", case.agency_id)
    else:
        # another agency's case is readable where a live share names the reader
        named = (
            sharing.named(session=session, by=by, kind=SharedKind.CASE, key=case.id, tlp=case.tlp)
            if by.agency_id not in (None, case.agency_id)
            else ()
        )
        check_read(by, f"case {case_id}", case.agency_id, case.tlp, named)
    return case


def _check_decider(user: User, case: Case) -> None:
    if user.role not in DECIDERS:
        raise Forbidden(
            f"{user.username} is a {user.role.value}; only reviewers and supervisors decide cases"
        )
    if user.agency_id != case.agency_id:
        raise NotFound(f"no case {case.id}")


def claim(sessions: sessionmaker[Session], *, case_id: int, by: Principal) -> None:
    """Assign an open case to a reviewer (who may take over an unclaimed or own case)."""
    with audit.attempt(
        sessions,
        **identity(by),
        action="case.claim",
        object_type="case",
        object_id=case_id,
    ) as session:
        user = acting_user(session, by, Action.CASE_DECIDE)
        case = case_for(session, by, case_id, write=True)
        _check_decider(user, case)
        if case.status not in OPEN_STATUSES:
            raise IllegalTransition(f"case {case_id} is {case.status.value}, not open")
        if case.assignee_id not in (None, user.id) and user.role is not Role.SUPERVISOR:
            raise SafeguardViolation(f"case {case_id} is claimed by someone else")
        case.assignee_id = user.id
        if case.status is CaseStatus.OPEN:
            _move(case, CaseStatus.IN_REVIEW)
        audit.record(
            session=session,
            actor=by.actor,
            action="case.claim",
            object_type="case",
            object_id=case_id,
            user_id=user.id,
            agency_id=case.agency_id,
        )


def assign(sessions: sessionmaker[Session], *, case_id: int, by: Principal, to: str) -> None:
    """A supervisor gives an open case to a reviewer of the same agency."""
    with audit.attempt(
        sessions,
        **identity(by),
        action="case.assign",
        object_type="case",
        object_id=case_id,
        details={"to": to},
    ) as session:
        boss = acting_user(session, by, Action.CASE_ASSIGN)
        case = case_for(session, by, case_id, write=True)
        reviewer = session.scalar(select(User).where(User.username == to))
        if reviewer is None or not reviewer.active or reviewer.agency_id != case.agency_id:
            raise NotFound(f"no active user {to!r} in the case's agency")
        _check_decider(reviewer, case)
        if case.status not in OPEN_STATUSES:
            raise IllegalTransition(f"case {case_id} is {case.status.value}, not open")
        case.assignee_id = reviewer.id
        audit.record(
            session=session,
            actor=by.actor,
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
    by: Principal,
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
        **identity(by),
        action="case.decide",
        object_type="case",
        object_id=case_id,
        details=details,
    ) as session:
        user = acting_user(session, by, Action.CASE_DECIDE)
        case = case_for(session, by, case_id, write=True)
        _check_decider(user, case)
        if case.status not in DECIDABLE:
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
            organisation_id=knowledge.organisation_id(session=session, slug=proposed.organisation),
            is_second_review=is_second,
            note=note,
        )
        session.add(decision)
        _move(case, status_after(proposed.verdict, high_impact=bool(reasons), is_second=is_second))
        case.assignee_id = None if case.status is not CaseStatus.IN_REVIEW else user.id
        if case.status in (CaseStatus.DISMISSED, CaseStatus.REFERRED):
            case.closed_at = utcnow() if case.status is CaseStatus.DISMISSED else None
        if decision.organisation_id is not None:
            case.organisation_id = decision.organisation_id
        session.flush()
        audit.record(
            session=session,
            actor=by.actor,
            action="case.decide",
            object_type="case",
            object_id=case.id,
            user_id=user.id,
            agency_id=case.agency_id,
            details={**details, "status": case.status.value, "second_review": reasons},
        )
        return Outcome(decision.id, case.status, reasons)


def _move(case: Case, target: CaseStatus) -> None:
    """The one place a case changes status: by the rules' table, or not at all."""
    check_transition(case.status, target)
    case.status = target


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
    return ReviewFigures(decided=len(latest), referred=referred, dismissed_by_reason=dismissed)


# -- the case view ----------------------------------------------------------------------


def case_view(*, session: Session, by: Principal, case_id: int) -> CaseView:
    """The account, its posts, the signals with their evidence, the risk explanation and
    the decisions taken: what a reviewer reads before deciding. Every view is audited."""
    require(by, Action.CASE_READ)
    case = case_for(session, by, case_id)
    audit.record(
        session=session,
        actor=by.actor,
        action="case.view",
        object_type="case",
        object_id=case.id,
        user_id=by.user_id,
        agency_id=by.agency_id,
    )
    account = session.get(Account, case.account_id)
    assert account is not None  # a foreign key
    platform = session.get(Platform, account.platform_id)
    agency = session.get(Agency, case.agency_id)
    organisation = session.get(Organisation, case.organisation_id) if case.organisation_id else None
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    posts = session.scalars(
        select(Post).where(Post.account_id == account.id).order_by(Post.id).limit(CASE_POSTS_SHOWN)
    )
    return CaseView(
        case=case.id,
        agency=agency.code if agency else "",
        status=case.status.value,
        tlp=case.tlp.value,
        risk=case.risk_score,
        reach=case.reach,
        priority=case.priority,
        organisation=organisation.slug if organisation else None,
        language=case.language,
        assignee=assignee.username if assignee else None,
        opened_at=case.opened_at,
        account=AccountView(
            id=account.id,
            platform=platform.code if platform else "",
            platform_account_id=account.platform_account_id,
            handle=account.handle,
            display_name=account.display_name,
            url=account.url,
            bio=account.bio,
            followers=account.followers,
            verified=account.verified,
        ),
        explanation=account.risk_explanation,
        statuses=ingest.account_statuses(session=session, account_id=account.id),
        posts=[
            PostView(id=p.id, url=p.url, posted_at=p.posted_at, language=p.language, text=p.text)
            for p in posts
        ],
        signals=_signals_of(session, account.id),
        decisions=decisions_of(session=session, case_id=case.id),
    )


def _signals_of(session: Session, account_id: int) -> list[SignalView]:
    rows = session.execute(
        select(
            Signal.post_id,
            Signal.media_id,
            Signal.detector,
            Signal.label,
            Signal.score,
            Organisation.slug,
            Signal.evidence,
        )
        .outerjoin(Organisation, Organisation.id == Signal.organisation_id)
        .where(Signal.account_id == account_id)
        .order_by(Signal.id)
    )
    fields = list(SignalView.model_fields)
    return [SignalView(**dict(zip(fields, row, strict=True))) for row in rows]


def decisions_of(*, session: Session, case_id: int) -> list[DecisionView]:
    """The case's decisions, oldest first."""
    rows = session.execute(
        select(Decision, User.username, Organisation.slug)
        .join(User, User.id == Decision.reviewer_id)
        .outerjoin(Organisation, Organisation.id == Decision.organisation_id)
        .where(Decision.case_id == case_id)
        .order_by(Decision.decided_at, Decision.id)
    )
    return [
        DecisionView(
            verdict=d.verdict.value,
            reason=d.reason_code,
            legal_basis=d.legal_basis,
            organisation=slug,
            reviewer=name,
            second_review=d.is_second_review,
            decided_at=d.decided_at,
            note=d.note,
        )
        for d, name, slug in rows
    ]


# -- what a referral decision lets partners act on --------------------------------------

#: Case statuses that mean a human referred the account.
REFERRED_STATUSES = (CaseStatus.REFERRED, CaseStatus.CLOSED)


def referred_indicators(
    *,
    session: Session,
    by: Principal,
    kind: str,
    min_score: float,
    agency_id: int | None = None,
) -> list[IndicatorSummary]:
    """Indicators (phone numbers for the regulator, links, wallets, …) of the accounts a
    reviewer referred, never of one a reviewer dismissed or has not decided yet: an
    indicator goes out only with a human decision behind it. A person exports their own
    agency's; the operator any agency's (all, without `agency_id`)."""
    require(by, Action.INDICATOR_EXPORT)
    agencies = None if agency_id is None else {agency_id}
    if not by.is_system:
        # one's own agency's, and those of agencies that shared this kind of list with it
        shared = sharing.sharing_agencies(
            session=session, by=by, kind=SharedKind.INDICATORS, key=kind
        )
        agencies = {by.agency_id, *shared} if by.agency_id is not None else shared
    statement = select(Case.account_id).where(Case.status.in_(REFERRED_STATUSES))
    if agencies is not None:
        statement = statement.where(Case.agency_id.in_(agencies))
    accounts = sorted(set(session.scalars(statement)))
    return detection.indicators(
        session=session, kind=kind, min_score=min_score, account_ids=accounts
    )


# -- evidence for courts ----------------------------------------------------------------


def export_evidence(
    *, session: Session, by: Principal, case_id: int, output: Path, media: MediaStore
) -> int:
    """Write the case's signed evidence bundle for a court or a mutual legal assistance
    request, if `by` may export evidence of that case (their own agency's); the export
    is in the audit log with who asked. Returns the records written."""
    acting_user(session, by, Action.EVIDENCE_EXPORT)  # a named, active person
    case_for(session, by, case_id, write=True)  # another agency's case: not found
    return evidence.export_case(
        session=session, case_id=case_id, output=output, media=media, actor=by.actor
    )


# -- what decisions teach ---------------------------------------------------------------


def training_labels(*, session: Session) -> list[LabelledPost]:
    """Labelled posts from reviewers' latest decision on each case.

    A decision is about an account, so it labels the posts that led to it: a referral
    labels the account's flagged posts as propaganda; a dismissal because the account
    reports on, condemns, counters or studies a group labels its posts that name one as
    news_or_counter; any other dismissal labels the flagged posts as other (they were
    false positives, the most useful negatives there are). Escalations and requests for
    translation teach nothing yet.
    """
    latest: dict[int, Decision] = {}
    for decision in session.scalars(select(Decision).order_by(Decision.decided_at, Decision.id)):
        latest[decision.case_id] = decision
    labelled: list[LabelledPost] = []
    for case_id, decision in latest.items():
        case = session.get(Case, case_id)
        if case is None or decision.verdict not in (Verdict.REFER, Verdict.DISMISS):
            continue
        if decision.verdict is Verdict.REFER:
            posts = detection.flagged_posts(session=session, account_id=case.account_id)
            label = "propaganda"
        elif decision.reason_code in ABOUT_NOT_FOR:
            posts = detection.naming_posts(session=session, account_id=case.account_id)
            label = "news_or_counter"
        else:
            posts = detection.flagged_posts(session=session, account_id=case.account_id)
            label = "other"
        labelled.extend(LabelledPost(text=p.text, label=label, language=p.language) for p in posts)
    return labelled


# -- the unit's configuration -----------------------------------------------------------


def legal_bases_in_force(path: Path | None = None) -> dict[str, LegalBasis]:
    """The provisions a referral may cite: the unit's own list where one is configured
    (`SHAHEEN_LEGAL_BASES`), else the shipped one."""
    path = path or get_settings().legal_bases
    return legal_bases(path) if path else legal_bases()


def policy_in_force() -> ReviewPolicy:
    """The safeguards as the unit configured them (see `Settings`)."""
    settings = get_settings()
    return policy_from(settings.reach_threshold, settings.protected_list, settings.legal_bases)


# -- re-scoring ---------------------------------------------------------------------------


def close_unsupported(
    *,
    session: Session,
    agency_id: int,
    account_ids: Iterable[int],
    threshold: float,
    actor: str,
    reason: str,
) -> list[int]:
    """Close the agency's cases of these accounts whose only reason has gone: re-scored
    (intake refreshed their risk) below `threshold`, still open or in review, and with
    no decision of any kind. A case a person has decided is never touched: the decision
    stands and is the record. Each closing is audited as `case.close` with `reason`;
    returns the ids of the cases closed."""
    closed: list[int] = []
    accounts = sorted(set(account_ids))
    decided = select(Decision.id).where(Decision.case_id == Case.id).exists()
    for start in range(0, len(accounts), 1000):
        cases = session.scalars(
            select(Case)
            .where(
                Case.agency_id == agency_id,
                Case.account_id.in_(accounts[start : start + 1000]),
                Case.status.in_(CLOSABLE_UNDECIDED),
                Case.risk_score < threshold,
                ~decided,
            )
            .order_by(Case.id)
        )
        for case in cases:
            _move(case, CaseStatus.CLOSED)
            case.closed_at = utcnow()
            audit.record(
                session=session,
                actor=actor,
                action="case.close",
                object_type="case",
                object_id=case.id,
                agency_id=agency_id,
                details={"reason": reason, "risk": case.risk_score, "threshold": threshold},
            )
            closed.append(case.id)
    session.flush()
    return closed
