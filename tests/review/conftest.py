"""A case ready for review: knowledge base, an agency with its people, an account."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.flows import principal_of
from shaheen.access.rules import Principal
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import User
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.ingest.models import Account
from shaheen.knowledge import service as knowledge
from shaheen.platforms.enums import ChannelKind
from shaheen.platforms.models import Platform
from shaheen.platforms.service import get_by_code
from shaheen.review.models import Case


@dataclass(frozen=True)
class Desk:
    sessions: sessionmaker[Session]
    agency_id: int

    def as_(self, username: str, *, second_factor: bool = True) -> Principal:
        """The desk's person `username`, as a signed-in principal."""
        with self.sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None, username
            return principal_of(session, user, second_factor=second_factor)

    def case(
        self,
        *,
        followers: int = 500,
        verified: bool = False,
        handle: str = "qafla_demo",
        platform: str = "x",
    ) -> int:
        with self.sessions.begin() as session:
            site = get_by_code(session=session, code=platform)
            account = Account(
                platform_id=site.id,
                platform_account_id=f"id-{uuid.uuid4().hex[:12]}",
                handle=handle,
                url=f"https://{platform}.example/{handle}",
                followers=followers,
                verified=verified,
            )
            session.add(account)
            session.flush()
            case = Case(
                agency_id=self.agency_id,
                account_id=account.id,
                risk_score=0.9,
                reach=followers,
                priority=0.9,
            )
            session.add(case)
            session.flush()
            return case.id


@pytest.fixture
def desk(sessions: sessionmaker[Session]) -> Desk:
    with sessions.begin() as session:
        # platform rows outlive each test (see tests/conftest.py): reset their channel
        session.execute(
            update(Platform).values(channel_kind=ChannelKind.FILE_DROP, channel_address=None)
        )
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="test",
        )
        agency = ensure_agency(
            session=session, code="CTA", name="CTA", kind=AgencyKind.COUNTER_TERRORISM
        )
        other = ensure_agency(session=session, code="CCW", name="CCW", kind=AgencyKind.CYBER_CRIME)
        for username, role, where in (
            ("rev1", Role.REVIEWER, agency),
            ("rev2", Role.REVIEWER, agency),
            ("boss", Role.SUPERVISOR, agency),
            ("analyst", Role.ANALYST, agency),
            ("liaison", Role.LIAISON, agency),
            ("auditor", Role.AUDITOR, agency),
            ("outsider", Role.REVIEWER, other),
        ):
            ensure_user(
                session=session, agency=where, username=username, display_name=username, role=role
            )
        return Desk(sessions, agency.id)
