"""Referrals: made only from referred cases; every transition; SLA escalation; reinstatement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shaheen.audit.models import AuditEvent
from shaheen.errors import BadInput, IllegalTransition, SafeguardViolation
from shaheen.referral import rules, service
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent, ReferralItem
from shaheen.review import service as review
from shaheen.review.enums import Verdict
from shaheen.review.rules import Proposed
from tests.review.conftest import Desk

S = ReferralStatus
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def referred(desk: Desk, reason: str = "recruitment", platform: str = "x") -> int:
    case_id = desk.case(platform=platform)
    review.decide(
        desk.sessions,
        case_id=case_id,
        by=desk.as_("rev1"),
        proposed=Proposed(Verdict.REFER, reason, "ttp", "PECA-2016-s37"),
    )
    return service.create_from_case(desk.sessions, case_id=case_id, by=desk.as_("liaison"))


def move(desk: Desk, referral_id: int, status: ReferralStatus, at: datetime = T0) -> None:
    service.record_status(
        desk.sessions,
        referral_id=referral_id,
        status=status,
        source=EventSource.MANUAL,
        by=desk.as_("liaison"),
        at=at,
    )


def load(desk: Desk, referral_id: int) -> Referral:
    with desk.sessions() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        session.expunge(referral)
        return referral


def test_no_referral_without_a_referral_decision(desk: Desk) -> None:
    case_id = desk.case()
    with pytest.raises(SafeguardViolation, match="only a case a reviewer referred"):
        service.create_from_case(desk.sessions, case_id=case_id, by=desk.as_("liaison"))
    review.decide(
        desk.sessions,
        case_id=case_id,
        by=desk.as_("rev1"),
        proposed=Proposed(Verdict.REFER, "support", "ttp", "PECA-2016-s37"),
    )
    referral_id = service.create_from_case(desk.sessions, case_id=case_id, by=desk.as_("liaison"))
    referral = load(desk, referral_id)
    assert referral.status is S.DRAFT and referral.legal_basis == "PECA-2016-s37"
    with desk.sessions() as session:
        items = session.scalars(select(ReferralItem)).all()
        assert [i.url for i in items] == ["https://x.example/qafla_demo"]
        rejected = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "rejected"))
        assert [e.action for e in rejected] == ["referral.create"]


def test_a_case_awaiting_its_second_review_cannot_be_referred(desk: Desk) -> None:
    case_id = desk.case(followers=5_000_000)
    review.decide(
        desk.sessions,
        case_id=case_id,
        by=desk.as_("rev1"),
        proposed=Proposed(Verdict.REFER, "support", "ttp", "PECA-2016-s37"),
    )
    with pytest.raises(SafeguardViolation, match="awaiting_second_review"):
        service.create_from_case(desk.sessions, case_id=case_id, by=desk.as_("liaison"))


LEGAL = sorted((a, b) for a, targets in rules.TRANSITIONS.items() for b in targets)
ILLEGAL = sorted((a, b) for a in S for b in S if b not in rules.TRANSITIONS[a] and b is not S.DRAFT)
PATHS: dict[ReferralStatus, list[ReferralStatus]] = {
    S.DRAFT: [],
    S.SENT: [S.SENT],
    S.ACKNOWLEDGED: [S.SENT, S.ACKNOWLEDGED],
    S.NO_RESPONSE: [S.SENT, S.NO_RESPONSE],
    S.REMOVED: [S.SENT, S.REMOVED],
    S.GEO_BLOCKED: [S.SENT, S.GEO_BLOCKED],
    S.REJECTED: [S.SENT, S.REJECTED],
    S.REINSTATED: [S.SENT, S.REMOVED, S.REINSTATED],
}


@pytest.mark.parametrize(("start", "target"), LEGAL, ids=lambda s: s.value)
def test_every_legal_transition(desk: Desk, start: ReferralStatus, target: ReferralStatus) -> None:
    referral_id = referred(desk)
    for step in PATHS[start]:
        move(desk, referral_id, step)
    move(desk, referral_id, target)
    assert load(desk, referral_id).status is target
    with desk.sessions() as session:
        events = session.scalars(
            select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)
        ).all()
    assert [e.to_status for e in events] == [S.DRAFT, *PATHS[start], target]


@pytest.mark.parametrize(("start", "target"), ILLEGAL, ids=lambda s: s.value)
def test_every_illegal_transition_raises_and_changes_nothing(
    desk: Desk, start: ReferralStatus, target: ReferralStatus
) -> None:
    referral_id = referred(desk)
    for step in PATHS[start]:
        move(desk, referral_id, step)
    with pytest.raises(IllegalTransition, match=f"from {start.value} to {target.value}"):
        move(desk, referral_id, target)
    assert load(desk, referral_id).status is start


def test_sla_clock_reminder_then_supervisor(desk: Desk) -> None:
    referral_id = referred(desk)
    move(desk, referral_id, S.SENT, T0)
    referral = load(desk, referral_id)
    assert referral.due_at == T0 + timedelta(hours=48)  # the platform's SLA
    assert service.escalate_overdue(desk.sessions, now=T0 + timedelta(hours=47)) == []
    [reminder] = service.escalate_overdue(desk.sessions, now=T0 + timedelta(hours=49))
    assert reminder.level == rules.REMINDER and load(desk, referral_id).status is S.SENT
    assert service.escalate_overdue(desk.sessions, now=T0 + timedelta(hours=60)) == []
    [overdue] = service.escalate_overdue(desk.sessions, now=T0 + timedelta(hours=97))
    assert overdue.level == rules.SUPERVISOR
    assert load(desk, referral_id).status is S.NO_RESPONSE
    with desk.sessions() as session:
        assert [r.id for r in service.supervisor_list(session=session)] == [referral_id]
    move(desk, referral_id, S.REMOVED, T0 + timedelta(hours=120))  # a late answer counts


def test_urgent_referrals_have_their_own_shorter_sla(desk: Desk) -> None:
    referral_id = referred(desk, reason="live_attack_content")
    move(desk, referral_id, S.SENT, T0)
    referral = load(desk, referral_id)
    assert referral.urgent and referral.due_at == T0 + timedelta(hours=12)


def test_reinstatement_reopens_and_can_be_removed_again(desk: Desk) -> None:
    referral_id = referred(desk)
    move(desk, referral_id, S.SENT, T0)
    move(desk, referral_id, S.REMOVED, T0 + timedelta(hours=3))
    assert load(desk, referral_id).closed_at == T0 + timedelta(hours=3)
    move(desk, referral_id, S.REINSTATED, T0 + timedelta(days=9))
    assert load(desk, referral_id).closed_at is None
    move(desk, referral_id, S.REMOVED, T0 + timedelta(days=10))


def test_the_board_counts_a_platform_s_referrals(desk: Desk) -> None:
    first, second = referred(desk), referred(desk)
    referred(desk, platform="tiktok")
    move(desk, first, S.SENT)
    with desk.sessions() as session:
        assert service.board(
            session=session, by=desk.as_("liaison"), platform_code="x"
        ).by_status == {
            "sent": 1,
            "draft": 1,
        }
    assert second


def test_an_answer_keeps_when_the_platform_gave_it_and_when_it_was_recorded(desk: Desk) -> None:
    referral_id = referred(desk)
    move(desk, referral_id, S.SENT, at=T0)
    answered = T0 + timedelta(hours=3)
    before = datetime.now(UTC)
    move(desk, referral_id, S.REMOVED, at=answered)
    with desk.sessions() as session:
        view = service.referral_view(
            session=session, by=desk.as_("liaison"), referral_id=referral_id
        )
    (removed,) = [e for e in view.events if e.to_status == "removed"]
    assert removed.at == answered
    assert removed.recorded_at >= before > answered  # recorded now, answered earlier
    assert load(desk, referral_id).closed_at == answered  # the SLA counts the answer's time


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (datetime(2026, 11, 2, 9, 0), "no time zone"),  # no zone: the point
        (datetime.now(UTC) + timedelta(hours=2), "in the future"),
    ],
)
def test_an_answer_time_needs_a_zone_and_a_past(desk: Desk, at: datetime, message: str) -> None:
    referral_id = referred(desk)
    move(desk, referral_id, S.SENT, at=T0)
    with pytest.raises(BadInput, match=message):
        move(desk, referral_id, S.REMOVED, at=at)
    assert load(desk, referral_id).status is S.SENT
