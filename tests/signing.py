"""Signing people in for command-line tests: a user added by the operator, a session
opened with their password and TOTP code, the temporary password replaced, and the
session token handed to the command as `SHAHEEN_TOKEN`, exactly as a person would."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from shaheen.access import flows as access
from shaheen.access.credentials import totp_code
from shaheen.access.rules import system
from shaheen.agencies.enums import Role
from shaheen.store.base import utcnow
from shaheen.store.engine import make_engine, session_factory

PASSWORD = "a long passphrase for the tests 42"


def signed_in(database_url: str, username: str, agency: str, role: Role) -> str:
    """A session token for a new person `username` of `agency` with `role`."""
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as session:
            new = access.add_user(
                session, actor=system(), agency_code=agency, username=username, role=role
            )
        assert new.temporary_password is not None
        code = None
        if new.totp_uri:
            secret = parse_qs(urlsplit(new.totp_uri).query)["secret"][0]
            code = totp_code(secret, utcnow())
        with sessions.begin() as session:
            outcome = access.attempt_login(
                session=session, username=username, password=new.temporary_password, code=code
            )
        assert outcome.signed_in is not None, outcome.refusal
        token = outcome.signed_in.token
        with sessions.begin() as session:
            access.change_password(
                session, token=token, current=new.temporary_password, new=PASSWORD
            )
        return token
    finally:
        engine.dispose()
