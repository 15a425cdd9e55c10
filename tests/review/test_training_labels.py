"""Reviewers' decisions become training labels."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.ingest.models import Account, Post
from shaheen.platforms.service import get_by_code
from shaheen.review.enums import DismissReason, Verdict
from shaheen.review.models import Case, Decision
from shaheen.review.service import training_labels
from tests.factories import post_signal


def _account_with_posts(session: Session, name: str, posts: list[tuple[str, float, bool]]) -> int:
    """An account whose posts carry a classifier score and, if named, a lexicon hit."""
    x = get_by_code(session=session, code="x")
    account = Account(platform_id=x.id, platform_account_id=name, handle=name)
    session.add(account)
    session.flush()
    for number, (text, score, names) in enumerate(posts):
        post = Post(
            platform_id=x.id, platform_post_id=f"{name}-{number}", account_id=account.id, text=text
        )
        session.add(post)
        session.flush()
        session.add(post_signal(post, "classifier", "propaganda", score))
        if names:
            session.add(post_signal(post, "lexicon", "names_organisation", 1.0))
    session.flush()
    return account.id


def _decide(session: Session, account_id: int, verdict: Verdict, reason: str) -> None:
    agency = ensure_agency(session=session, code="A", name="A", kind=AgencyKind.CYBER_CRIME)
    user = ensure_user(
        session=session, agency=agency, username="rev", display_name="R", role=Role.REVIEWER
    )
    case = Case(agency_id=agency.id, account_id=account_id, risk_score=0.9, priority=1.0)
    session.add(case)
    session.flush()
    session.add(Decision(case_id=case.id, reviewer_id=user.id, verdict=verdict, reason_code=reason))
    session.flush()


def test_decisions_label_the_posts_behind_them(session: Session) -> None:
    referred = _account_with_posts(
        session, "caravan", [("join us", 0.9, True), ("nice weather", 0.1, False)]
    )
    newsdesk = _account_with_posts(
        session, "desk", [("TTP attack condemned", 0.7, True), ("cricket", 0.05, False)]
    )
    mistaken = _account_with_posts(session, "fan", [("BLA band concert tonight", 0.6, True)])
    _decide(session, referred, Verdict.REFER, "propaganda")
    _decide(session, newsdesk, Verdict.DISMISS, DismissReason.NEWS_REPORTING)
    _decide(session, mistaken, Verdict.DISMISS, DismissReason.NOT_RELATED)
    labelled = sorted((e.text, e.label) for e in training_labels(session=session))
    assert labelled == [
        ("BLA band concert tonight", "other"),
        ("TTP attack condemned", "news_or_counter"),
        ("join us", "propaganda"),
    ]
