"""Referrals in the database: made only from referred cases, moved only by the rules of
`rules.py`, every move an event and an audit entry; SLA escalation; the board.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.rules import Action, Principal, check_read, check_write, identity, require
from shaheen.audit import service as audit
from shaheen.detect import service as detection
from shaheen.errors import NotFound, SafeguardViolation
from shaheen.evidence import service as evidence
from shaheen.ingest.models import Account
from shaheen.platforms.models import Platform
from shaheen.referral import rules
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent, ReferralItem
from shaheen.referral.schemas import (
    Board,
    ReferralEventView,
    ReferralItemView,
    ReferralRow,
    ReferralView,
)
from shaheen.review import service as review
from shaheen.review.enums import ReferReason
from shaheen.review.models import Case
from shaheen.store.base import utcnow


def get_referral(*, session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}")
    return referral


def by_platform_reference(*, session: Session, platform_code: str, reference: str) -> Referral:
    referral = session.scalar(
        select(Referral)
        .join(Platform, Platform.id == Referral.platform_id)
        .where(Platform.code == platform_code, Referral.platform_reference == reference)
    )
    if referral is None:
        raise NotFound(f"no {platform_code} referral with reference {reference!r}")
    return referral


def create_from_case(
    sessions: sessionmaker[Session],
    *,
    case_id: int,
    by: Principal,
    signer: evidence.Signer | None = None,
) -> int:
    """A draft referral of the case's account and its flagged posts; returns its id.

    Refused unless the case was referred by a reviewer (and, where needed, confirmed by
    a second one): the decision gives the legal basis and the organisation.
    """
    with audit.attempt(
        sessions,
        **identity(by),
        action="referral.create",
        object_type="case",
        object_id=case_id,
    ) as session:
        user = review.acting_user(session, by, Action.REFERRAL_WRITE)
        case = review.case_for(session, by, case_id, write=True)
        decision = review.referral_decision(session=session, case_id=case_id)
        if not decision.legal_basis or decision.organisation_id is None:
            raise SafeguardViolation("the referral decision lacks a legal basis or organisation")
        account = session.get(Account, case.account_id)
        assert account is not None
        referral = Referral(
            agency_id=case.agency_id,
            platform_id=account.platform_id,
            case_id=case.id,
            urgent=decision.reason_code == ReferReason.LIVE_ATTACK_CONTENT,
            legal_basis=decision.legal_basis,
            created_by_id=user.id,
        )
        session.add(referral)
        session.flush()
        session.add(
            ReferralItem(
                referral_id=referral.id,
                account_id=account.id,
                url=account.url or f"{account.handle or account.platform_account_id}",
            )
        )
        for post in detection.flagged_posts(session=session, account_id=account.id):
            session.add(
                ReferralItem(
                    referral_id=referral.id, post_id=post.post_id, url=post.url or str(post.post_id)
                )
            )
        _event(session, referral, None, ReferralStatus.DRAFT, EventSource.MANUAL, user.id)
        if signer is not None:  # what was online when the unit decided to refer
            evidence.capture(
                session=session,
                signer=signer,
                purpose="referral",
                account_id=account.id,
                case_id=case.id,
            )
        audit.record(
            session=session,
            actor=by.actor,
            action="referral.create",
            object_type="referral",
            object_id=referral.id,
            user_id=user.id,
            agency_id=case.agency_id,
            details={"case": case.id, "legal_basis": decision.legal_basis},
        )
        return referral.id


def record_status(
    sessions: sessionmaker[Session],
    *,
    referral_id: int,
    status: ReferralStatus,
    source: EventSource,
    by: Principal,
    platform_reference: str | None = None,
    note: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Move a referral to `status` if the rules allow it and `by` may (a liaison officer
    of the referral's agency, or the server's own jobs); refused moves are audited.

    `at` is when the platform answered (the event's `occurred_at`; now if not given);
    the event's `recorded_at` is always now, when it was recorded here. `now` is the
    caller's clock, against which `at` may not lie in the future (a job that runs on a
    simulated clock, as the demo's does, passes its own)."""
    with audit.attempt(
        sessions,
        **identity(by),
        action="referral.status",
        object_type="referral",
        object_id=referral_id,
        details={"to": status.value, "source": source.value},
    ) as session:
        acting(session, by)
        referral = referral_for(session, by, referral_id, write=True)
        if at is not None:
            rules.check_answer_time(at, now or utcnow())
        apply_status(
            session,
            referral,
            status,
            source,
            actor=by.actor,
            platform_reference=platform_reference,
            note=note,
            at=at,
            actor_id=by.user_id,
        )


def acting(session: Session, by: Principal) -> None:
    """Refuse unless `by` may move referrals: a person with the right (still active), or
    the server's own jobs (polling, re-checks, webhooks)."""
    require(by, Action.REFERRAL_WRITE)
    if not by.is_system:
        review.acting_user(session, by, Action.REFERRAL_WRITE)


def referral_for(
    session: Session, by: Principal, referral_id: int, *, write: bool = False
) -> Referral:
    """The referral, if `by` may see it (and, for `write`, act on it); another agency's
    referral is answered as not found."""
    referral = get_referral(session=session, referral_id=referral_id)
    if write:
        check_write(by, f"referral {referral_id}", referral.agency_id)
    else:
        check_read(by, f"referral {referral_id}", referral.agency_id)
    return referral


def apply_status(
    session: Session,
    referral: Referral,
    status: ReferralStatus,
    source: EventSource,
    *,
    actor: str,
    platform_reference: str | None = None,
    note: str = "",
    at: datetime | None = None,
    actor_id: int | None = None,
) -> None:
    """The move itself, inside the caller's transaction."""
    rules.check_transition(referral.status, status)
    when = at or utcnow()
    previous = referral.status
    referral.status = status
    if platform_reference:
        referral.platform_reference = platform_reference
    if status is ReferralStatus.SENT:
        platform = session.get(Platform, referral.platform_id)
        assert platform is not None
        hours = platform.urgent_sla_hours if referral.urgent else platform.sla_hours
        referral.sent_at, referral.due_at = when, rules.due_at(when, hours)
    if status in rules.ANSWERED:
        referral.closed_at = when
    elif status is ReferralStatus.REINSTATED:
        referral.closed_at = None
    _event(session, referral, previous, status, source, actor_id, platform_reference, note, when)
    audit.record(
        session=session,
        actor=actor,
        action="referral.status",
        object_type="referral",
        object_id=referral.id,
        agency_id=referral.agency_id,
        details={
            "from": previous.value,
            "to": status.value,
            "source": source.value,
            "platform_reference": platform_reference,
        },
    )


def _event(
    session: Session,
    referral: Referral,
    previous: ReferralStatus | None,
    status: ReferralStatus,
    source: EventSource,
    actor_id: int | None = None,
    platform_reference: str | None = None,
    note: str = "",
    at: datetime | None = None,
) -> None:
    now = utcnow()
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            from_status=previous,
            to_status=status,
            source=source,
            actor_id=actor_id,
            platform_reference=platform_reference,
            note=note,
            occurred_at=at or now,
            recorded_at=now,
        )
    )
    session.flush()


@dataclass(frozen=True)
class Escalation:
    referral_id: int
    platform: str
    level: int
    overdue_hours: float


def escalate_overdue(
    sessions: sessionmaker[Session], *, now: datetime | None = None, actor: str = "system:sla"
) -> list[Escalation]:
    """Raise every overdue referral to the level its delay calls for: a reminder, then
    `no_response` and the supervisors' list. Returns what changed."""
    now = now or utcnow()
    changed: list[Escalation] = []
    with sessions.begin() as session:
        rows = session.execute(
            select(Referral, Platform)
            .join(Platform, Platform.id == Referral.platform_id)
            .where(
                Referral.status.in_(rules.AWAITING),
                Referral.due_at.is_not(None),
                Referral.due_at <= now,
            )
        ).all()
        for referral, platform in rows:
            hours = platform.urgent_sla_hours if referral.urgent else platform.sla_hours
            assert referral.due_at is not None
            level = rules.escalation_due(
                referral.status, referral.due_at, referral.escalation_level, hours, now
            )
            if level == referral.escalation_level:
                continue
            referral.escalation_level, referral.escalated_at = level, now
            overdue = (now - referral.due_at).total_seconds() / 3600
            if level == rules.SUPERVISOR:
                apply_status(
                    session,
                    referral,
                    ReferralStatus.NO_RESPONSE,
                    EventSource.SYSTEM,
                    actor=actor,
                    note=f"no answer {overdue:.0f} h after the SLA: on the supervisors' list",
                    at=now,
                )
            else:
                audit.record(
                    session=session,
                    actor=actor,
                    action="referral.reminder",
                    object_type="referral",
                    object_id=referral.id,
                    agency_id=referral.agency_id,
                    details={"overdue_hours": round(overdue, 1), "platform": platform.code},
                )
            changed.append(Escalation(referral.id, platform.code, level, round(overdue, 1)))
    return changed


def supervisor_list(*, session: Session, agency_id: int | None = None) -> list[Referral]:
    statement = select(Referral).where(Referral.escalation_level >= rules.SUPERVISOR)
    if agency_id is not None:
        statement = statement.where(Referral.agency_id == agency_id)
    return list(session.scalars(statement.order_by(Referral.escalated_at)))


def board(
    *, session: Session, by: Principal, platform_code: str, agency_id: int | None = None
) -> Board:
    """A platform's referrals counted by status (the liaison officer's board): the
    caller's agency's; the operator's, any agency's or all."""
    require(by, Action.REFERRAL_READ)
    if not by.is_system:
        agency_id = by.agency_id
    statement = (
        select(Referral.status, func.count())
        .join(Platform, Platform.id == Referral.platform_id)
        .where(Platform.code == platform_code)
        .group_by(Referral.status)
    )
    if agency_id is not None:
        statement = statement.where(Referral.agency_id == agency_id)
    counts = Counter({status.value: count for status, count in session.execute(statement)})
    return Board(platform=platform_code, by_status=dict(counts))


def referral_view(*, session: Session, by: Principal, referral_id: int) -> ReferralView:
    """A referral, its items and every status change, if `by` may read it."""
    require(by, Action.REFERRAL_READ)
    referral = referral_for(session, by, referral_id)
    platform = session.get(Platform, referral.platform_id)
    items = session.scalars(
        select(ReferralItem)
        .where(ReferralItem.referral_id == referral.id)
        .order_by(ReferralItem.id)
    )
    events = session.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.occurred_at, ReferralEvent.id)
    )
    return ReferralView(
        referral=referral.id,
        platform=platform.code if platform else "",
        status=referral.status.value,
        urgent=referral.urgent,
        legal_basis=referral.legal_basis,
        platform_reference=referral.platform_reference,
        sent_at=referral.sent_at,
        due_at=referral.due_at,
        escalation_level=referral.escalation_level,
        items=[ReferralItemView(url=i.url, online=i.online) for i in items],
        events=[
            ReferralEventView(
                at=e.occurred_at,
                recorded_at=e.recorded_at,
                from_status=e.from_status.value if e.from_status else None,
                to_status=e.to_status.value,
                source=e.source.value,
                note=e.note,
            )
            for e in events
        ],
    )


def referrals(
    *,
    session: Session,
    by: Principal,
    platform_code: str | None = None,
    statuses: Iterable[ReferralStatus] = (),
    text: str | None = None,
    limit: int = 200,
    sent_from: datetime | None = None,
    sent_before: datetime | None = None,
) -> list[ReferralRow]:
    """The caller's agency's referrals (the operator's: every agency's), newest first:
    of one platform, in some statuses, sent in [`sent_from`, `sent_before`), or whose
    reference, handle or account id contains `text`."""
    require(by, Action.REFERRAL_READ)
    statement = (
        select(Referral, Platform.code, Account.handle, Account.platform_account_id)
        .join(Platform, Platform.id == Referral.platform_id)
        .outerjoin(Case, Case.id == Referral.case_id)
        .outerjoin(Account, Account.id == Case.account_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit)
    )
    if not by.is_system:
        statement = statement.where(Referral.agency_id == by.agency_id)
    if platform_code:
        statement = statement.where(Platform.code == platform_code)
    wanted = list(statuses)
    if wanted:
        statement = statement.where(Referral.status.in_(wanted))
    if sent_from is not None:
        statement = statement.where(Referral.sent_at >= sent_from)
    if sent_before is not None:
        statement = statement.where(Referral.sent_at < sent_before)
    if text and text.strip():
        pattern = f"%{text.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(Referral.platform_reference).like(pattern),
                func.lower(Account.handle).like(pattern),
                func.lower(Account.platform_account_id).like(pattern),
            )
        )
    return [
        ReferralRow(
            referral=r.id,
            case=r.case_id,
            platform=code,
            status=r.status.value,
            urgent=r.urgent,
            handle=handle,
            platform_account_id=account_id,
            platform_reference=r.platform_reference,
            created_at=r.created_at,
            sent_at=r.sent_at,
            due_at=r.due_at,
            closed_at=r.closed_at,
            escalation_level=r.escalation_level,
        )
        for r, code, handle, account_id in session.execute(statement)
    ]
