"""Two agencies with people in every role, and a cheap password hasher.

argon2-cffi's default parameters cost a third of a second per hash here; the tests
that are not about cost swap in its cheapest profile (`use_hasher`), which keeps the
same code paths. The timing test puts the defaults back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shaheen.access import credentials, flows
from shaheen.access.rules import Principal, system
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import User
from shaheen.agencies.service import ensure_agency
from shaheen.cli import app
from shaheen.config import get_settings
from shaheen.errors import ShaheenError

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)


class CountingHasher(PasswordHasher):
    """The cheapest argon2 hasher, counting its verifications."""

    def __init__(self) -> None:
        p = CHEAPEST
        super().__init__(p.time_cost, p.memory_cost, p.parallelism, p.hash_len, p.salt_len)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    previous = credentials.use_hasher(PasswordHasher.from_parameters(CHEAPEST))
    yield
    credentials.use_hasher(previous)


@dataclass
class People:
    """Users by name; each has PASSWORD and, where the role needs one, a TOTP secret."""

    session: Session
    users: dict[str, User] = field(default_factory=dict)

    def add(self, agency: str, username: str, role: Role, *, platform_admin: bool = False) -> User:
        flows.add_user(
            self.session,
            actor=system(),
            agency_code=agency,
            username=username,
            role=role,
            email=f"{username}@{agency.lower()}.gov.example",
            platform_admin=platform_admin,
        )
        user = self.session.query(User).filter_by(username=username).one()
        user.password_hash = credentials.hash_password(PASSWORD)
        user.must_change_password = False
        self.session.flush()
        self.users[username] = user
        return user

    def code(self, username: str, at: datetime = T0) -> str:
        secret = self.users[username].totp_secret
        assert secret is not None
        return credentials.totp_code(secret, at)

    def sign_in(self, username: str, at: datetime = T0) -> str:
        """A session token for `username`, signed in with the second factor if enrolled."""
        code = self.code(username, at) if self.users[username].totp_secret else ""
        outcome = flows.attempt_login(
            session=self.session, username=username, password=PASSWORD, code=code, now=at
        )
        assert outcome.signed_in is not None, outcome.refusal
        return outcome.signed_in.token

    def principal(self, username: str, at: datetime = T0) -> Principal:
        return flows.principal_for_token(self.session, self.sign_in(username, at), now=at)


@pytest.fixture
def people(session: Session) -> People:
    ensure_agency(
        session=session,
        code="CTA",
        name="Counter-Terrorism Authority",
        kind=AgencyKind.COUNTER_TERRORISM,
    )
    ensure_agency(session=session, code="PTA", name="Telecom Regulator", kind=AgencyKind.REGULATOR)
    ensure_agency(session=session, code="NFC", name="Fusion Centre", kind=AgencyKind.FUSION_CENTRE)
    found = People(session)
    for role in Role:
        found.add("CTA", f"cta-{role.value}", role)
        found.add("PTA", f"pta-{role.value}", role)
    found.add("NFC", "platform-admin", Role.ADMIN, platform_admin=True)
    return found


class Shell:
    """Runs `shaheen` in-process, in the test's working directory."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, **env: str) -> tuple[int, str]:
        for name in ("SHAHEEN_TOKEN",):
            self.monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        result = self.runner.invoke(app, list(args), input=input)
        output = result.output
        if isinstance(result.exception, ShaheenError):
            return int(result.exception.return_code), output + f"\nerror: {result.exception}"
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, output


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Shell:
    shell = Shell(monkeypatch)
    assert shell("db", "upgrade")[0] == 0
    assert shell("agency", "add", "CTA", "Counter-Terrorism Authority")[0] == 0
    assert shell("agency", "add", "PTA", "Telecom Regulator", "--kind", "regulator")[0] == 0
    return shell
