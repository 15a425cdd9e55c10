"""A small world of accounts and posts for the network's tests, built straight into the
rolled-back `session` (both databases)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.detect.models import Indicator
from shaheen.ingest.enums import AccountStatus
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.platforms.models import Platform

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    session: Session
    platforms: dict[str, int] = field(default_factory=dict)
    _ids: int = 0

    def platform(self, code: str) -> int:
        if code not in self.platforms:
            found = self.session.scalar(select(Platform.id).where(Platform.code == code))
            assert found is not None, code
            self.platforms[code] = found
        return self.platforms[code]

    def _next(self) -> str:
        self._ids += 1
        return f"t{self._ids}"

    def account(
        self,
        handle: str | None,
        *,
        platform: str = "x",
        name: str | None = None,
        bio: str | None = None,
        image: str | None = None,
        followers: int = 100,
        status: AccountStatus = AccountStatus.ACTIVE,
        risk: float | None = None,
        verified: bool = False,
        key: str | None = None,
    ) -> Account:
        media_id = None
        if image is not None:
            media_id = self.media(image).id
        account = Account(
            platform_id=self.platform(platform),
            platform_account_id=key or self._next(),
            handle=handle,
            display_name=name,
            bio=bio,
            followers=followers,
            status=status,
            risk_score=risk,
            verified=verified,
            profile_image_media_id=media_id,
        )
        self.session.add(account)
        self.session.flush()
        return account

    def media(self, pdq: str) -> Media:
        digest = hashlib.sha256(self._next().encode()).hexdigest()
        media = Media(
            sha256=digest, md5=digest[:32], mime_type="image/jpeg", size_bytes=1000, pdq=pdq
        )
        self.session.add(media)
        self.session.flush()
        return media

    def post(
        self,
        account: Account,
        text: str = "",
        *,
        at: datetime = T0,
        reach: int = 10,
        key: str | None = None,
        reply_to: str | None = None,
        quote_of: str | None = None,
        forward_from: str | None = None,
        mentions: list[str] | None = None,
        indicators: list[tuple[str, str]] = (),  # type: ignore[assignment]
        media: list[Media] = (),  # type: ignore[assignment]
    ) -> Post:
        post = Post(
            platform_id=account.platform_id,
            platform_post_id=key or self._next(),
            account_id=account.id,
            text=text,
            posted_at=at,
            reach=reach,
            reply_to=reply_to,
            quote_of=quote_of,
            forward_from=forward_from,
            mentions=mentions,
        )
        self.session.add(post)
        self.session.flush()
        for kind, value in indicators:
            self.session.add(
                Indicator(
                    kind=kind,
                    value=value,
                    post_id=post.id,
                    account_id=account.id,
                    platform_id=account.platform_id,
                )
            )
        for item in media:
            self.session.add(PostMedia(post_id=post.id, media_id=item.id))
        self.session.flush()
        return post


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def pdq_like(seed: int, flips: int = 0, base: str | None = None) -> str:
    """A 256-bit hash as hex: random from `seed`, or `base` with `flips` bits flipped."""
    rng = random.Random(seed)
    value = int(base, 16) if base else rng.getrandbits(256)
    for bit in rng.sample(range(256), flips):
        value ^= 1 << bit
    return f"{value:064x}"


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
