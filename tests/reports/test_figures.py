"""Every figure of a report, on a hand-built event history with known answers.

The week is 2026-W07 in Asia/Karachi: Monday 9 February 00:00 PKT (8 February 19:00
UTC) to Monday 16 February. T is Monday 10:00 UTC; the cut-off is T + 266 h. Referrals
(SLA 48 h; x and facebook):

    R1 x   A ttp   sent T       removed T+2h, reinstated T+80h (content back online)
    R2 x   A ttp   sent T       acknowledged T+1h, geo-blocked T+30h
    R3 x   A ttp   sent T       no response T+96h, then removed T+100h (after the SLA)
    R4 x   A ttp   sent T       no response T+96h, never answered
    R5 x   A ttp   sent T+24h   rejected T+25h
    R6 fb  B -     sent T+48h   removed T+50h, recorded only at T+150h (its true time counts)
    R7 fb  B -     sent T+120h  acknowledged: still pending
    R9 x   A ttp   sent T+150h  removed after the cut-off: pending at the cut-off
    R8 x   A ttp   sent T-120h  removed 3 h later: the previous week's cohort
    R10 x  A ttp   a draft, never sent: in no figure
    R11 x  A ttp   sent at the cut-off - 10 h (next week): only in the backlog
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.detect.enums import SubjectKind
from shaheen.detect.models import Signal
from shaheen.ingest.models import Account, FollowerObservation, Media, Post, PostMedia
from shaheen.knowledge.models import Organisation
from shaheen.platforms.service import get_by_code
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent, ReferralItem
from shaheen.reports import rules, service
from shaheen.reports.schemas import Outcomes, Report
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.review.models import Case, Decision
from shaheen.tasks.enums import NumberOutcome
from shaheen.tasks.models import Task, TaskAssignment, TaskNumber
from tests.factories import post_signal

ZONE = "Asia/Karachi"
T = datetime(2026, 2, 9, 10, tzinfo=UTC)
CUTOFF = T + timedelta(hours=266)
S = ReferralStatus


def h(hours: float) -> datetime:
    return T + timedelta(hours=hours)


@dataclass
class World:
    session: Session
    user_id: int


def _event(referral: Referral, status: S, at: datetime, recorded: datetime | None = None) -> Any:
    extra: dict[str, Any] = {}
    if hasattr(ReferralEvent, "recorded_at"):  # the column beside occurred_at
        extra["recorded_at"] = recorded or at
    return ReferralEvent(
        referral_id=referral.id,
        to_status=status,
        source=EventSource.WEBHOOK,
        occurred_at=at,
        **extra,
    )


def build(session: Session) -> None:
    x, fb = get_by_code(session=session, code="x"), get_by_code(session=session, code="facebook")
    a = ensure_agency(session=session, code="A", name="A", kind=AgencyKind.COUNTER_TERRORISM)
    b = ensure_agency(session=session, code="B", name="B", kind=AgencyKind.CYBER_CRIME)
    user = ensure_user(
        session=session, agency=a, username="liaison", display_name="L", role=Role.LIAISON
    )
    ttp = Organisation(slug="ttp-test", name="TTP (test)", region="PK")
    bla = Organisation(slug="bla-test", name="BLA (test)", region="PK")
    session.add_all([ttp, bla])
    session.flush()

    def account(key: str, platform_id: int, followers: int | None) -> Account:
        row = Account(
            platform_id=platform_id, platform_account_id=key, handle=key, followers=followers
        )
        session.add(row)
        session.flush()
        return row

    a1, a2 = account("a1", x.id, 9000), account("a2", x.id, 300)
    a4 = account("a4", fb.id, 50)
    a5, a6, a7, a8 = (account(k, x.id, 10) for k in ("a5", "a6", "a7", "a8"))
    # a1 had 1,000 followers when removed; the 9,000 were counted after both removals.
    session.add_all(
        [
            FollowerObservation(account_id=a1.id, followers=1000, observed_at=h(-24)),
            FollowerObservation(account_id=a1.id, followers=9000, observed_at=h(150)),
        ]
    )

    def case_of(acc: Account, language: str, org: Organisation | None, opened: float) -> Case:
        row = Case(
            agency_id=a.id,
            account_id=acc.id,
            risk_score=0.9,
            priority=1.0,
            language=language,
            organisation_id=org.id if org else None,
            opened_at=h(opened),
        )
        session.add(row)
        session.flush()
        return row

    c1 = case_of(a1, "ur", ttp, -48)
    c1.status = CaseStatus.REFERRED
    c2 = case_of(a5, "en", None, -48)
    c3 = case_of(a6, "ur", None, -48)
    case_of(a7, "ur", None, 0)  # c4: never decided: review backlog
    c5 = case_of(a8, "en", None, 1)  # decided only after the cut-off: backlog too

    def decide(case: Case, verdict: Verdict, at: float, second: bool = False) -> None:
        session.add(
            Decision(
                case_id=case.id,
                reviewer_id=user.id,
                verdict=verdict,
                reason_code="support" if verdict is Verdict.REFER else "news_reporting",
                is_second_review=second,
                decided_at=h(at),
            )
        )

    decide(c1, Verdict.REFER, -2)
    decide(c2, Verdict.DISMISS, 10)
    decide(c3, Verdict.REFER, 5)
    decide(c3, Verdict.DISMISS, 6, second=True)  # the second reviewer overturned it
    decide(c5, Verdict.REFER, 300)

    def post(acc: Account, key: str) -> Post:
        row = Post(platform_id=acc.platform_id, platform_post_id=key, account_id=acc.id)
        session.add(row)
        session.flush()
        return row

    p1, p5, p6 = post(a1, "p1"), post(a5, "p5"), post(a6, "p6")
    media = Media(sha256="c" * 64, md5="d" * 32, mime_type="image/png", size_bytes=1)
    session.add(media)
    session.flush()
    session.add(PostMedia(post_id=p6.id, media_id=media.id))
    lexicon1 = post_signal(p1, "lexicon", "propaganda", 0.9, organisation_id=ttp.id)
    lexicon5 = post_signal(p5, "lexicon", "propaganda", 0.7, organisation_id=ttp.id)
    lexicon5.account_id = None  # a post signal that names only its post
    late = post_signal(p5, "classifier", "propaganda", 0.8)  # after c2 was decided
    on_account = Signal(
        detector="classifier",
        detector_version="t",
        subject=SubjectKind.ACCOUNT,
        platform_id=x.id,
        account_id=a1.id,
        label="propaganda",
        score=0.8,
    )
    pdq = Signal(
        detector="pdq",
        detector_version="t",
        subject=SubjectKind.MEDIA,
        platform_id=x.id,
        media_id=media.id,
        organisation_id=bla.id,
        label="propaganda",
        score=1.0,
    )
    for signal, at in ((lexicon1, -30), (lexicon5, -30), (late, 20), (on_account, -30), (pdq, -30)):
        signal.created_at = h(at)
    session.add_all([lexicon1, lexicon5, late, on_account, pdq])

    def referral(
        platform_id: int, agency_id: int, case: Case | None, items: list[Account]
    ) -> Referral:
        row = Referral(
            agency_id=agency_id,
            platform_id=platform_id,
            case_id=case.id if case else None,
            legal_basis="PECA s.37",
            created_by_id=user.id,
        )
        session.add(row)
        session.flush()
        for acc in items:
            session.add(ReferralItem(referral_id=row.id, account_id=acc.id, url=acc.handle or ""))
        return row

    def history(row: Referral, *moves: tuple[S, float] | tuple[S, float, float]) -> None:
        for move in moves:
            status, at = move[0], h(move[1])
            recorded = h(move[2]) if len(move) == 3 else None
            session.add(_event(row, status, at, recorded))
            if status is S.SENT:
                row.sent_at, row.due_at = at, at + timedelta(hours=48)
            row.status = status

    history(
        referral(x.id, a.id, c1, [a1]),
        (S.DRAFT, -1),
        (S.SENT, 0),
        (S.REMOVED, 2),
        (S.REINSTATED, 80),
    )
    history(referral(x.id, a.id, c1, [a2]), (S.SENT, 0), (S.ACKNOWLEDGED, 1), (S.GEO_BLOCKED, 30))
    history(referral(x.id, a.id, c1, [a1]), (S.SENT, 0), (S.NO_RESPONSE, 96), (S.REMOVED, 100))
    history(referral(x.id, a.id, c1, [a2]), (S.SENT, 0), (S.NO_RESPONSE, 96))
    history(referral(x.id, a.id, c1, [a2]), (S.SENT, 24), (S.REJECTED, 25))
    history(referral(fb.id, b.id, None, [a4]), (S.SENT, 48), (S.REMOVED, 50, 150))
    history(referral(fb.id, b.id, None, [a4]), (S.SENT, 120), (S.ACKNOWLEDGED, 121))
    history(referral(x.id, a.id, c1, [a2]), (S.SENT, 150), (S.REMOVED, 300))  # R9
    history(referral(x.id, a.id, c1, [a2]), (S.SENT, -120), (S.REMOVED, -117))  # R8
    history(referral(x.id, a.id, c1, [a2]), (S.DRAFT, 0))  # R10
    history(referral(x.id, a.id, c1, [a2]), (S.SENT, 256))  # R11
    session.flush()

    # Tasks from A to B: answered on time, answered late, never answered; one before.
    for created, due, answered_at in ((1, 49, 30), (2, 26, 60), (3, 27, None), (-100, -50, -60)):
        task = Task(
            issuer_agency_id=a.id,
            issued_by_id=user.id,
            title="t",
            due_at=h(due),
            created_at=h(created),
        )
        session.add(task)
        session.flush()
        part = TaskAssignment(
            task_id=task.id,
            agency_id=b.id,
            due_at=h(due),
            answered_at=h(answered_at) if answered_at is not None else None,
        )
        session.add(part)
        session.flush()
        if created == 1:
            session.add_all(
                [
                    TaskNumber(
                        assignment_id=part.id,
                        number="+923001234567",
                        outcome=NumberOutcome.SIM_BLOCKED,
                    ),
                    TaskNumber(assignment_id=part.id, number="+923007654321"),
                ]
            )
    session.flush()


@pytest.fixture
def report(session: Session) -> Report:
    build(session)
    week = rules.parse_period("2026-W07", zone=ZONE, now=CUTOFF)
    return service.compute(session=session, kind="weekly", period=week, cutoff=CUTOFF)


def counts(row: Outcomes) -> tuple[int | None, ...]:
    return (
        row.sent,
        row.removed,
        row.geo_blocked,
        row.rejected,
        row.no_answer,
        row.pending,
        row.reinstated,
    )


def test_cohort_outcomes_compliance_and_sla(report: Report) -> None:
    assert report.period.label == "2026-W07"
    assert report.period.start == datetime(2026, 2, 8, 19, tzinfo=UTC)
    totals = report.totals
    assert counts(totals) == (8, 3, 1, 1, 1, 2, 1)
    assert totals.compliance == pytest.approx(4 / 5)
    assert totals.no_answer_share == pytest.approx(1 / 8)
    # answered R1 R2 R3 R5 R6; R3's answer came 100 h after sending, past its 48 h SLA
    assert (totals.answered, totals.answered_within_sla) == (5, 4)
    assert totals.within_sla == pytest.approx(0.8)


def test_time_to_removal_uses_the_platforms_time(report: Report) -> None:
    # R1 2 h, R2 30 h, R3 100 h, R6 2 h (recorded 100 h later, but answered at T+50h)
    times = report.totals.time_to_removal
    assert times.count == 4
    assert times.median_hours == pytest.approx(16.0)
    assert times.p90_hours == pytest.approx(30 + 0.7 * 70)
    assert (times.within_1h, times.within_24h, times.within_72h) == (0.0, 0.5, 0.75)
    facebook = next(r for r in report.by_platform if r.key == "facebook")
    assert facebook.time_to_removal.median_hours == pytest.approx(2.0)


def test_breakdowns_add_up_per_platform_agency_and_organisation(report: Report) -> None:
    by_platform = {r.key: counts(r) for r in report.by_platform}
    assert by_platform["x"] == (6, 2, 1, 1, 1, 1, 1)
    assert by_platform["facebook"] == (2, 1, 0, 0, 0, 1, 0)
    assert by_platform["tiktok"] == (0, 0, 0, 0, 0, 0, 0)  # every platform has its row
    assert {r.key: r.sent for r in report.by_agency} == {"A": 6, "B": 2}
    assert {r.key: r.sent for r in report.by_organisation} == {"ttp-test": 6, "none named": 2}
    x = next(r for r in report.by_platform if r.key == "x")
    assert x.compliance == pytest.approx(3 / 4)


def test_accounts_removed_with_the_followers_they_had(report: Report) -> None:
    # a1 (R1 and R3: 1,000 when removed), a2 (R2: 300, no count before), a4 (R6: 50)
    assert report.totals.accounts_removed == 3
    assert report.totals.followers_of_removed == 1350


def test_previous_period_by_the_same_rules(report: Report) -> None:
    assert report.previous_period.label == "2026-W06"
    assert counts(report.previous) == (1, 1, 0, 0, 0, 0, 0)
    assert report.previous.compliance == 1.0


def test_backlog_and_its_age_at_the_cutoff(report: Report) -> None:
    backlog = report.backlog
    # R4 (266 h), R7 (146 h), R9 (116 h: its answer came after the cut-off), R11 (10 h)
    assert backlog.referrals == 4
    assert backlog.by_age == {"under 24 h": 1, "1–3 days": 0, "3–7 days": 2, "over 7 days": 1}
    assert backlog.oldest_age_hours == pytest.approx(266)
    assert backlog.by_platform == {"x": 3, "facebook": 1}
    assert backlog.review_cases == 2  # c4 undecided, c5 decided after the cut-off
    assert backlog.review_oldest_hours == pytest.approx(266)


def test_weekly_trend_of_cohorts_and_backlog(report: Report) -> None:
    trend = report.trend
    assert len(trend) == 8 and trend[-1].week == "2026-W07" and trend[-2].week == "2026-W06"
    assert (trend[-1].sent, trend[-1].acted, trend[-1].backlog) == (8, 4, 3)
    assert (trend[-2].sent, trend[-2].acted, trend[-2].backlog) == (1, 1, 0)
    assert all(w.sent == 0 for w in trend[:-2])


def test_detector_precision_from_review_outcomes(report: Report) -> None:
    quality = report.quality
    by_detector = {p.key: (p.decided, p.referred, p.precision) for p in quality.by_detector}
    # lexicon flagged c1 (referred) and c2 (dismissed); the classifier's signal on a5
    # came after c2 was decided; pdq matched media on a6's post (c3, overturned)
    assert by_detector == {"classifier": (1, 1, 1.0), "lexicon": (2, 1, 0.5), "pdq": (1, 0, 0.0)}
    by_language = {p.key: (p.decided, p.referred) for p in quality.by_language}
    assert by_language == {"en": (1, 0), "ur": (2, 1)}
    by_org = {p.key: (p.decided, p.referred) for p in quality.by_organisation}
    assert by_org == {"ttp-test": (2, 1), "bla-test": (1, 0), "none named": (1, 1)}


def test_definitions_travel_with_every_report(report: Report) -> None:
    keys = {d.key for d in report.definitions}
    assert {"compliance", "time_to_removal", "period", "cutoff", "suppression"} <= keys


def test_tasks_by_agency_and_regulator_outcomes(report: Report) -> None:
    assert report.tasks is not None
    [b] = report.tasks.by_agency
    assert (b.agency, b.issued, b.answered, b.on_time, b.overdue_open) == ("B", 3, 2, 1, 1)
    assert b.on_time_share == pytest.approx(1 / 3)
    numbers = report.tasks.numbers
    assert (numbers["sent"], numbers["sim_blocked"], numbers["pending"]) == (2, 1, 1)
