"""Idempotent storage: re-imports update, never duplicate, and keep follower history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shaheen.ingest import service
from shaheen.ingest.models import Account, Post
from shaheen.ingest.schemas import AccountRecord, PostRecord, UpsertCounts
from shaheen.platforms.models import Platform

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _ids(session: Session) -> dict[str, int]:
    return {code: pid for code, pid in session.execute(select(Platform.code, Platform.id))}


def _account(**overrides: object) -> AccountRecord:
    values: dict[str, object] = {
        "platform": "x",
        "platform_account_id": "1001",
        "handle": "fictional_one",
        "display_name": "Fictional One",
        "bio": "bio",
        "followers": 100,
        "observed_at": T0,
    }
    values.update(overrides)
    return AccountRecord(**values)  # type: ignore[arg-type]


def _post(**overrides: object) -> PostRecord:
    values: dict[str, object] = {
        "platform": "x",
        "platform_post_id": "9001",
        "platform_account_id": "1001",
        "text": "hello",
        "posted_at": T0,
        "reach": 10,
        "raw": {"id": "9001"},
    }
    values.update(overrides)
    return PostRecord(**values)  # type: ignore[arg-type]


def _store(
    session: Session, accounts: list[AccountRecord], posts: list[PostRecord]
) -> tuple[UpsertCounts, UpsertCounts]:
    ids = _ids(session)
    account_counts, account_ids = service.upsert_accounts(
        session=session, platform_ids=ids, records=accounts
    )
    post_counts = service.upsert_posts(
        session=session, platform_ids=ids, account_ids=account_ids, records=posts
    )
    return account_counts, post_counts


def _count(session: Session, model: type[Account] | type[Post]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_importing_twice_adds_nothing(session: Session) -> None:
    accounts, posts = _store(session, [_account()], [_post()])
    assert (accounts.new, posts.new) == (1, 1)
    accounts, posts = _store(session, [_account()], [_post()])
    assert (accounts.new, accounts.updated, accounts.unchanged) == (0, 0, 1)
    assert (posts.new, posts.updated, posts.unchanged) == (0, 0, 1)
    assert _count(session, Account) == 1
    assert _count(session, Post) == 1


def test_same_id_on_another_platform_is_another_account(session: Session) -> None:
    accounts, _ = _store(session, [_account(), _account(platform="tiktok")], [])
    assert accounts.new == 2


def test_changes_update_and_follower_history_grows(session: Session) -> None:
    _store(session, [_account()], [_post()])
    accounts, posts = _store(
        session, [_account(followers=250, observed_at=T1)], [_post(text="edited", reach=99)]
    )
    assert accounts.updated == 1 and posts.updated == 1
    account = session.scalars(select(Account)).one()
    assert account.followers == 250
    history = service.follower_history(session=session, account_id=account.id)
    assert [(h.followers, h.observed_at) for h in history] == [(100, T0), (250, T1)]
    post = session.scalars(select(Post)).one()
    assert (post.text, post.reach, post.scanned_at) == ("edited", 99, None)


def test_a_source_without_a_field_does_not_blank_it(session: Session) -> None:
    _store(session, [_account()], [])
    accounts, _ = _store(session, [_account(bio=None, followers=None, display_name=None)], [])
    assert accounts.unchanged == 1
    account = session.scalars(select(Account)).one()
    assert (account.bio, account.followers, account.display_name) == ("bio", 100, "Fictional One")


def test_duplicates_inside_one_batch_keep_the_last(session: Session) -> None:
    accounts, posts = _store(
        session,
        [_account(handle="old"), _account(handle="new")],
        [_post(text="first"), _post(text="second")],
    )
    assert (accounts.new, posts.new) == (1, 1)
    assert session.scalars(select(Account.handle)).one() == "new"
    assert session.scalars(select(Post.text)).one() == "second"


def test_a_large_batch_round_trips(session: Session) -> None:
    accounts = [_account(platform_account_id=str(i), followers=i) for i in range(1200)]
    posts = [
        _post(platform_post_id=f"p{i}", platform_account_id=str(i % 1200)) for i in range(3000)
    ]
    account_counts, post_counts = _store(session, accounts, posts)
    assert (account_counts.new, post_counts.new) == (1200, 3000)
    account_counts, post_counts = _store(session, accounts, posts)
    assert (account_counts.unchanged, post_counts.unchanged) == (1200, 3000)
