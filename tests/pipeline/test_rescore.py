"""`scan --rescore`: every stored post scored again; a case whose only reason has gone is
closed (audited, with the reason); a case a person has decided is never touched."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.audit.models import AuditEvent
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.flows import Scanner
from shaheen.detect.lexicon import Lexicon
from shaheen.ingest.models import Account, Post
from shaheen.knowledge import service as knowledge
from shaheen.pipeline import flows as pipeline
from shaheen.platforms.service import get_by_code
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.review.models import Case, Decision
from shaheen.store.base import utcnow

# A haematology account that an older model, which took every TTP for the group, put
# in the queue; and a propaganda account whose case must stay open.
MEDICAL = [
    "TTP awareness week: bruising and confusion need a doctor the same day",
    "Our clinic now offers plasma exchange for TTP patients",
]
PROPAGANDA = [
    "Join Tehreek-e-Taliban Pakistan today, brothers, the caravan needs you",
    "Umar Media brings the new release of Tehreek-e-Taliban Pakistan, share it",
]


def _world(sessions: sessionmaker[Session]) -> tuple[int, dict[str, int]]:
    """The agency, and a case per account, all opened by the older model at risk 0.9."""
    cases: dict[str, int] = {}
    with sessions.begin() as session:
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="test",
        )
        agency = ensure_agency(session=session, code="CTA", name="CTA", kind=AgencyKind.CYBER_CRIME)
        reviewer = ensure_user(
            session=session, agency=agency, username="rev1", display_name="r", role=Role.REVIEWER
        )
        x = get_by_code(session=session, code="x")
        for handle, texts, status in (
            ("clinic", MEDICAL, CaseStatus.OPEN),
            ("clinic_claimed", MEDICAL, CaseStatus.IN_REVIEW),
            ("clinic_decided", MEDICAL, CaseStatus.ESCALATED),
            ("caravan", PROPAGANDA, CaseStatus.OPEN),
        ):
            account = Account(platform_id=x.id, platform_account_id=handle, handle=handle)
            session.add(account)
            session.flush()
            for number, text in enumerate(texts):
                session.add(
                    Post(
                        platform_id=x.id,
                        platform_post_id=f"{handle}-{number}",
                        account_id=account.id,
                        text=text,
                        scanned_at=utcnow(),  # scanned before, by the older model
                    )
                )
            case = Case(
                agency_id=agency.id,
                account_id=account.id,
                risk_score=0.9,
                priority=0.9,
                status=status,
            )
            session.add(case)
            session.flush()
            if status is CaseStatus.ESCALATED:  # a person weighed it: the decision stands
                session.add(
                    Decision(
                        case_id=case.id,
                        reviewer_id=reviewer.id,
                        verdict=Verdict.ESCALATE,
                        reason_code="unclear",
                    )
                )
            cases[handle] = case.id
        return agency.id, cases


def test_rescore_closes_only_undecided_cases_whose_reason_has_gone(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier
) -> None:
    agency_id, cases = _world(sessions)
    scanner = Scanner(lexicon=lexicon, model=model, batch_size=3)

    # A plain scan finds nothing to do: every post was scanned already.
    plain = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="system")
    assert plain.posts == 0 and plain.cases_closed == 0

    result = pipeline.rescore(
        sessions, scanner, agency_id=agency_id, threshold=0.6, actor="analyst1"
    )
    assert result.posts == 8
    assert result.cases_closed == 2
    with sessions() as session:
        status = {
            handle: session.get(Case, case_id).status  # type: ignore[union-attr]
            for handle, case_id in cases.items()
        }
        closings = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.close").order_by(AuditEvent.id)
        ).all()
        unscanned = session.scalar(select(Post.id).where(Post.scanned_at.is_(None)))
    assert status == {
        "clinic": CaseStatus.CLOSED,
        "clinic_claimed": CaseStatus.CLOSED,
        "clinic_decided": CaseStatus.ESCALATED,  # decided by a person: untouched
        "caravan": CaseStatus.OPEN,  # still over the threshold
    }
    assert [event.object_id for event in closings] == [
        str(cases["clinic"]),
        str(cases["clinic_claimed"]),
    ]
    for event in closings:
        assert event.actor == "analyst1"
        assert model.info.version in event.details["reason"]
        assert event.details["risk"] < event.details["threshold"] == 0.6
    assert unscanned is None

    # A second re-score closes nothing more and opens nothing new.
    again = pipeline.rescore(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="a")
    assert again.cases_closed == 0 and again.cases_opened == 0
