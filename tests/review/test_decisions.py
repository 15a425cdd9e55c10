"""Decisions on cases and every safeguard around them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shaheen.audit.models import AuditEvent
from shaheen.errors import Forbidden, IllegalTransition, NotFound, SafeguardViolation
from shaheen.review import service
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.review.models import Case, Decision
from shaheen.review.rules import Proposed, ReviewPolicy
from shaheen.review.service import QueueFilter
from tests.review.conftest import Desk

REFER = Proposed(Verdict.REFER, "recruitment", "ttp", "ATA-1997-s11W")


def status(desk: Desk, case_id: int) -> CaseStatus:
    with desk.sessions() as session:
        return service.get_case(session=session, case_id=case_id).status


def refusals(desk: Desk) -> list[AuditEvent]:
    with desk.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.outcome == "rejected")))


def test_a_reviewer_refers_an_ordinary_account(desk: Desk) -> None:
    case_id = desk.case()
    service.claim(desk.sessions, case_id=case_id, by=desk.as_("rev1"))
    assert status(desk, case_id) is CaseStatus.IN_REVIEW
    outcome = service.decide(desk.sessions, case_id=case_id, by=desk.as_("rev1"), proposed=REFER)
    assert outcome.status is CaseStatus.REFERRED and outcome.second_review_reasons == []
    with desk.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.organisation_id is not None


@pytest.mark.parametrize(
    ("proposed", "message"),
    [
        (Proposed(Verdict.REFER, "recruitment", None, "ATA-1997-s11W"), "name the organisation"),
        (Proposed(Verdict.REFER, "recruitment", "ttp", None), "must cite a legal basis"),
        (Proposed(Verdict.REFER, "recruitment", "ttp", "PPC-1860-s124A"), "not a legal basis"),
        (Proposed(Verdict.REFER, "recruitment", "no-such-group", "PECA-2016-s37"), "not an organ"),
        (Proposed(Verdict.REFER, "", "ttp", "PECA-2016-s37"), "needs a reason code"),
        (Proposed(Verdict.DISMISS, "looks fine"), "needs a reason code"),
        (Proposed(Verdict.ESCALATE, "recruitment"), "needs a reason code"),
    ],
)
def test_decisions_missing_what_they_need_are_refused_and_audited(
    desk: Desk, proposed: Proposed, message: str
) -> None:
    case_id = desk.case()
    with pytest.raises(SafeguardViolation, match=message):
        service.decide(desk.sessions, case_id=case_id, by=desk.as_("rev1"), proposed=proposed)
    assert status(desk, case_id) is CaseStatus.OPEN
    with desk.sessions() as session:
        assert session.scalars(select(Decision)).all() == []
    [refused] = refusals(desk)
    assert refused.action == "case.decide" and message.split()[0] in refused.details["refused"]


@pytest.mark.parametrize(
    ("followers", "verified", "handle", "why"),
    [
        (250_000, False, "big_channel", "reach 250,000"),
        (10, True, "blue_tick", "verified account"),
        (10, False, "daily_frontier_demo", "protected list"),
    ],
)
def test_high_impact_accounts_need_a_second_different_reviewer(
    desk: Desk, followers: int, verified: bool, handle: str, why: str
) -> None:
    policy = ReviewPolicy(protected_handles=frozenset({"daily_frontier_demo"}))
    case_id = desk.case(followers=followers, verified=verified, handle=handle)
    first = service.decide(
        desk.sessions, case_id=case_id, by=desk.as_("rev1"), proposed=REFER, policy=policy
    )
    assert first.status is CaseStatus.AWAITING_SECOND_REVIEW
    assert any(why in reason for reason in first.second_review_reasons)
    with pytest.raises(SafeguardViolation, match="different reviewer"):
        service.decide(
            desk.sessions, case_id=case_id, by=desk.as_("rev1"), proposed=REFER, policy=policy
        )
    assert status(desk, case_id) is CaseStatus.AWAITING_SECOND_REVIEW
    assert [e.action for e in refusals(desk)] == ["case.decide"]
    second = service.decide(
        desk.sessions, case_id=case_id, by=desk.as_("rev2"), proposed=REFER, policy=policy
    )
    assert second.status is CaseStatus.REFERRED
    with desk.sessions() as session:
        decisions = service.decisions_of(session=session, case_id=case_id)
    assert [(d.reviewer, d.second_review) for d in decisions] == [
        ("rev1", False),
        ("rev2", True),
    ]


def test_a_second_reviewer_can_overturn(desk: Desk) -> None:
    case_id = desk.case(followers=1_000_000)
    service.decide(desk.sessions, case_id=case_id, by=desk.as_("rev1"), proposed=REFER)
    outcome = service.decide(
        desk.sessions,
        case_id=case_id,
        by=desk.as_("boss"),
        proposed=Proposed(Verdict.DISMISS, "news_reporting"),
    )
    assert outcome.status is CaseStatus.DISMISSED


@pytest.mark.parametrize(
    ("proposed", "expected"),
    [
        (Proposed(Verdict.DISMISS, "news_reporting"), CaseStatus.DISMISSED),
        (Proposed(Verdict.ESCALATE, "legal_question"), CaseStatus.ESCALATED),
        (Proposed(Verdict.NEEDS_TRANSLATION, "ps"), CaseStatus.NEEDS_TRANSLATION),
    ],
)
def test_other_verdicts(desk: Desk, proposed: Proposed, expected: CaseStatus) -> None:
    case_id = desk.case()
    assert (
        service.decide(
            desk.sessions, case_id=case_id, by=desk.as_("rev1"), proposed=proposed
        ).status
        is expected
    )


def test_who_may_decide_and_what(desk: Desk) -> None:
    case_id = desk.case()
    with pytest.raises(Forbidden, match=r"analyst .* may not case.decide"):
        service.decide(desk.sessions, case_id=case_id, by=desk.as_("analyst"), proposed=REFER)
    with pytest.raises(NotFound, match=f"no case {case_id}"):
        service.decide(desk.sessions, case_id=case_id, by=desk.as_("outsider"), proposed=REFER)
    service.decide(
        desk.sessions,
        case_id=case_id,
        by=desk.as_("rev1"),
        proposed=Proposed(Verdict.DISMISS, "duplicate"),
    )
    with pytest.raises(IllegalTransition, match="nothing to decide"):
        service.decide(desk.sessions, case_id=case_id, by=desk.as_("rev2"), proposed=REFER)
    assert len(refusals(desk)) == 3


def test_claims(desk: Desk) -> None:
    case_id = desk.case()
    service.claim(desk.sessions, case_id=case_id, by=desk.as_("rev1"))
    with pytest.raises(SafeguardViolation, match="claimed by someone else"):
        service.claim(desk.sessions, case_id=case_id, by=desk.as_("rev2"))
    service.claim(desk.sessions, case_id=case_id, by=desk.as_("boss"))  # supervisors reassign


def test_the_queue_is_prioritised_and_filtered(desk: Desk) -> None:
    low, high, other = (
        desk.case(followers=10),
        desk.case(followers=20),
        desk.case(platform="tiktok"),
    )
    with desk.sessions.begin() as session:
        for case_id, priority in ((low, 0.2), (high, 0.95), (other, 0.5)):
            case = session.get(Case, case_id)
            assert case is not None
            case.priority, case.language = priority, "ur" if case_id == other else "en"
    with desk.sessions() as session:
        page = service.queue(session=session, by=desk.as_("rev1"))
        assert [r.case_id for r in page.rows] == [high, other, low]
        assert page.next_offset is None
        first = service.queue(session=session, by=desk.as_("rev1"), limit=2)
        assert [r.case_id for r in first.rows] == [high, other] and first.next_offset == 2
        rest = service.queue(session=session, by=desk.as_("rev1"), limit=2, offset=2)
        assert [r.case_id for r in rest.rows] == [low] and rest.next_offset is None
        tiktok = service.queue(
            session=session,
            by=desk.as_("rev1"),
            agency_id=desk.agency_id,
            where=QueueFilter(platform="tiktok"),
        )
        assert [r.case_id for r in tiktok.rows] == [other]
        urdu = service.queue(
            session=session,
            by=desk.as_("rev1"),
            agency_id=desk.agency_id,
            where=QueueFilter(language="ur"),
        )
        assert [r.case_id for r in urdu.rows] == [other]
        assert service.queue(session=session, by=desk.as_("outsider")).rows == []
        # another agency's queue: nothing of it is readable by a cyber-crime reviewer
        assert (
            service.queue(session=session, by=desk.as_("outsider"), agency_id=desk.agency_id).rows
            == []
        )


def test_supervisors_assign(desk: Desk) -> None:
    case_id = desk.case()
    with pytest.raises(Forbidden, match=r"rev1 \(reviewer\) may not case.assign"):
        service.assign(desk.sessions, case_id=case_id, by=desk.as_("rev1"), to="rev2")
    with pytest.raises(Forbidden, match="only reviewers and supervisors"):
        service.assign(desk.sessions, case_id=case_id, by=desk.as_("boss"), to="analyst")
    service.assign(desk.sessions, case_id=case_id, by=desk.as_("boss"), to="rev2")
    with desk.sessions() as session:
        page = service.queue(session=session, by=desk.as_("rev1"))
    assert [r.assignee for r in page.rows] == ["rev2"]


def test_precision_figures_count_final_verdicts(desk: Desk) -> None:
    referred, news, unrelated, reversed_ = (desk.case() for _ in range(4))
    service.decide(desk.sessions, case_id=referred, by=desk.as_("rev1"), proposed=REFER)
    service.decide(
        desk.sessions,
        case_id=news,
        by=desk.as_("rev1"),
        proposed=Proposed(Verdict.DISMISS, "news_reporting"),
    )
    service.decide(
        desk.sessions,
        case_id=unrelated,
        by=desk.as_("rev1"),
        proposed=Proposed(Verdict.ESCALATE, "legal_question"),
    )
    service.decide(
        desk.sessions,
        case_id=unrelated,
        by=desk.as_("boss"),
        proposed=Proposed(Verdict.DISMISS, "not_related"),
    )
    service.decide(desk.sessions, case_id=reversed_, by=desk.as_("rev1"), proposed=REFER)
    with desk.sessions() as session:
        found = service.figures(session=session)
    assert found.decided == 4 and found.referred == 2
    assert found.dismissed_by_reason == {"news_reporting": 1, "not_related": 1}
    assert found.precision == 0.5
