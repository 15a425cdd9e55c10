"""Search through detection's normaliser: disguised spellings find each other."""

from __future__ import annotations

from sqlalchemy import select

from shaheen.ingest.models import Account, Post
from shaheen.review import desk as web_desk
from shaheen.review.models import Case
from tests.review.conftest import Desk


def _posts(desk: Desk, case_id: int, texts: list[str]) -> None:
    with desk.sessions.begin() as session:
        case = session.get(Case, case_id)
        assert case is not None
        account = session.get(Account, case.account_id)
        assert account is not None
        for number, text in enumerate(texts):
            session.add(
                Post(
                    platform_id=account.platform_id,
                    platform_post_id=f"{account.id}-{number}",
                    account_id=account.id,
                    text=text,
                )
            )


def test_search_finds_look_alike_spellings_and_links_readable_cases(desk: Desk) -> None:
    case_id = desk.case(handle="karwan_media")
    _posts(desk, case_id, ["Join the Т.Т.Р caravan", "تحريك والے", "cricket scores today"])
    with desk.sessions() as session:
        found = web_desk.search(session=session, by=desk.as_("analyst"), query="ttp")
        assert [p.text for p in found.posts] == ["Join the Т.Т.Р caravan"]  # Cyrillic, dotted
        assert found.posts[0].case_id == case_id
        urdu = web_desk.search(session=session, by=desk.as_("analyst"), query="تحریک")
        assert [p.text for p in urdu.posts] == ["تحريك والے"]  # Arabic yeh and kaf
        accounts = web_desk.search(session=session, by=desk.as_("analyst"), query="KARWAN")
        assert [a.handle for a in accounts.accounts] == ["karwan_media"]
        # another agency's reviewer sees the post, but no link to a case they cannot open
        outside = web_desk.search(session=session, by=desk.as_("outsider"), query="ttp")
        assert outside.posts and outside.posts[0].case_id is None
        assert session.scalar(select(Case.id).where(Case.id == case_id)) == case_id
