"""An API over the review desk (tests/review/conftest.py): people of two agencies with
session tokens, an open case, a referred case and a draft referral."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from shaheen.access import credentials
from shaheen.access import service as access_service
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import User
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.api.app import create_app
from shaheen.config import get_settings
from shaheen.evidence.service import Signer
from shaheen.referral import flows as referral_flows
from shaheen.referral import service as referrals
from shaheen.referral.channels import WebhookSecrets
from shaheen.review import service as review
from shaheen.review.enums import Verdict
from shaheen.review.rules import Proposed
from shaheen.store.base import utcnow
from tests.review.conftest import Desk, desk

__all__ = ["desk"]

REFER = Proposed(Verdict.REFER, "recruitment", "ttp", "PECA-2016-s37")


def open_session(desk: Desk, username: str, *, second_factor: bool = True) -> str:
    """A session token for the desk's person `username`, as sign-in would open one."""
    token = credentials.new_token()
    now = utcnow()
    with desk.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        access_service.create_session(
            session=session,
            user=user,
            token_sha256=token.digest,
            method="password",
            second_factor=second_factor,
            now=now,
            expires_at=now + timedelta(hours=1),
        )
    return token.value


@dataclass
class Api:
    """The app, a client and who may call it."""

    desk: Desk
    app: FastAPI
    client: TestClient
    open_case: int
    referred_case: int
    referral: int
    tokens: dict[str, str]

    def headers(self, username: str | None) -> dict[str, str]:
        if username is None:
            return {}
        if username not in self.tokens:
            self.tokens[username] = open_session(self.desk, username)
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def policy(tmp: Path) -> referral_flows.WebhookPolicy:
    return referral_flows.WebhookPolicy(WebhookSecrets(tmp / "keys"))


@pytest.fixture
def api(desk: Desk, tmp_path: Path) -> Iterator[Api]:
    with desk.sessions.begin() as session:
        other = ensure_agency(session=session, code="CCW", name="CCW", kind=AgencyKind.CYBER_CRIME)
        for username, role in (("ccw-liaison", Role.LIAISON), ("ccw-boss", Role.SUPERVISOR)):
            ensure_user(
                session=session, agency=other, username=username, display_name=username, role=role
            )
    open_case, referred_case = desk.case(), desk.case(handle="second_case")
    review.decide(desk.sessions, case_id=referred_case, by=desk.as_("rev1"), proposed=REFER)
    signer = Signer(get_settings().keys_dir)  # the key the app signs with too
    referral = referrals.create_from_case(
        desk.sessions, case_id=referred_case, by=desk.as_("liaison"), signer=signer
    )
    app = create_app(desk.sessions, policy(tmp_path))
    with TestClient(app) as client:
        yield Api(desk, app, client, open_case, referred_case, referral, {})
