"""The case view: everything a reviewer reads before deciding, in one typed shape."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shaheen.errors import NotFound
from shaheen.ingest.enums import ObservedStatus, StatusSubject
from shaheen.ingest.models import Account, Post, StatusObservation
from shaheen.review import service
from shaheen.review.models import Case
from tests.factories import post_signal
from tests.review.conftest import Desk


def test_the_case_view_shows_account_posts_signals_and_statuses(desk: Desk) -> None:
    case_id = desk.case(followers=1234)
    with desk.sessions.begin() as session:
        case = session.get(Case, case_id)
        assert case is not None
        account = session.get(Account, case.account_id)
        assert account is not None
        account.bio = "[red]bio[/] with markup"
        post = Post(
            platform_id=account.platform_id,
            platform_post_id="p-1",
            account_id=account.id,
            text="قافلہ میں شامل ہو جاؤ",
        )
        session.add(post)
        session.flush()
        session.add(
            post_signal(
                post,
                "classifier",
                "propaganda",
                0.93,
                evidence={"probabilities": {"propaganda": 0.93}},
            )
        )
        session.add(
            StatusObservation(
                platform_id=account.platform_id,
                subject=StatusSubject.ACCOUNT,
                subject_key=account.platform_account_id,
                status=ObservedStatus.SUSPENDED,
                reason="suspended by the platform",
            )
        )
    with desk.sessions() as session:
        view = service.case_view(session=session, by=desk.as_("rev1"), case_id=case_id)
        with pytest.raises(NotFound, match="no case"):
            service.case_view(session=session, by=desk.as_("rev1"), case_id=case_id + 1000)
    assert view.case == case_id and view.agency == "CTA" and view.status == "open"
    assert view.account.platform == "x" and view.account.followers == 1234
    assert view.account.bio == "[red]bio[/] with markup"  # data, escaped only when shown
    assert [p.text for p in view.posts] == ["قافلہ میں شامل ہو جاؤ"]
    assert [(s.detector, s.score) for s in view.signals] == [("classifier", 0.93)]
    assert [s.status for s in view.statuses] == [ObservedStatus.SUSPENDED]
    assert view.model_dump(mode="json")["opened_at"]  # serialisable as the CLI prints it
    with desk.sessions() as session:
        assert session.scalar(select(Case.status).where(Case.id == case_id)) == "open"
