"""Data access for sign-in: users' credentials, sessions and the per-username throttle.

Keyword-only functions that read and `flush()`; the caller owns the transaction.
Rows that a failed sign-in changes (the user, the throttle) are read `FOR UPDATE` on
PostgreSQL, so that parallel guesses cannot each see "4 failures" and slip past the
lock; SQLite serialises writers by itself (callers use `write_scope`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shaheen.access.models import LoginThrottle, UserSession
from shaheen.agencies.enums import Role
from shaheen.agencies.models import Agency, User
from shaheen.errors import BadInput


def get_user(*, session: Session, username: str, for_update: bool = False) -> User | None:
    """The user called `username`, or None."""
    query = select(User).where(User.username == username)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def get_user_by_id(*, session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_agency(*, session: Session, agency_id: int) -> Agency | None:
    """The agency with this id, or None."""
    return session.get(Agency, agency_id)


def create_user(
    *,
    session: Session,
    agency: Agency,
    username: str,
    display_name: str,
    role: Role,
    email: str | None = None,
    platform_admin: bool = False,
) -> User:
    """A new user of `agency`; `BadInput` if the username is taken (in any agency)."""
    if get_user(session=session, username=username) is not None:
        raise BadInput(f"username {username!r} is taken")
    user = User(
        agency_id=agency.id,
        username=username,
        display_name=display_name,
        role=role,
        email=email,
        platform_admin=platform_admin,
    )
    session.add(user)
    session.flush()
    return user


def list_users(*, session: Session, agency_id: int | None = None) -> Sequence[User]:
    """Users, of one agency or all, by username."""
    query = select(User).order_by(User.username)
    if agency_id is not None:
        query = query.where(User.agency_id == agency_id)
    return session.scalars(query).all()


def find_by_oidc_subject(*, session: Session, agency_id: int, subject: str) -> User | None:
    """The user of `agency_id` whom the agency's identity provider calls `subject`."""
    return session.scalar(
        select(User).where(User.agency_id == agency_id, User.oidc_subject == subject)
    )


def find_by_email(*, session: Session, agency_id: int, email: str) -> User | None:
    """The user of `agency_id` with this e-mail address (compared case-insensitively)."""
    rows = session.scalars(select(User).where(User.agency_id == agency_id)).all()
    matches = [u for u in rows if u.email and u.email.casefold() == email.casefold()]
    # Two people sharing an address cannot be told apart: sign-in by e-mail refuses.
    return matches[0] if len(matches) == 1 else None


# --- The per-username throttle ---------------------------------------------------------


def _key(username: str) -> str:
    return hashlib.sha256(username.encode()).hexdigest()


def get_throttle(*, session: Session, username: str) -> LoginThrottle | None:
    """The throttle row for `username` (known or not), locked for update, or None."""
    return session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.username_sha256 == _key(username))
        .with_for_update()
    )


def ensure_throttle(*, session: Session, username: str, now: datetime) -> LoginThrottle:
    """The throttle row for `username`, created if missing (a parallel creation wins)."""
    row = get_throttle(session=session, username=username)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(username_sha256=_key(username), window_started_at=now, failures=0)
            session.add(row)
    except IntegrityError:
        row = get_throttle(session=session, username=username)
        assert row is not None
    return row


def clear_throttle(*, session: Session, username: str) -> None:
    """Forget failed sign-ins for `username` (after a good one, or an admin's unlock)."""
    row = get_throttle(session=session, username=username)
    if row is not None:
        session.delete(row)
        session.flush()


# --- Sessions ---------------------------------------------------------------------------


def create_session(
    *,
    session: Session,
    user: User,
    token_sha256: str,
    method: str,
    second_factor: bool,
    now: datetime,
    expires_at: datetime,
) -> UserSession:
    """Record a new session under its token's digest."""
    row = UserSession(
        user_id=user.id,
        token_sha256=token_sha256,
        method=method,
        second_factor=second_factor,
        created_at=now,
        last_used_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


def get_session(*, session: Session, token_sha256: str) -> UserSession | None:
    """The session stored under this token digest, or None."""
    return session.scalar(select(UserSession).where(UserSession.token_sha256 == token_sha256))


def revoke_sessions(
    *, session: Session, user_id: int, now: datetime, keep: int | None = None
) -> int:
    """End every open session of a user (but `keep`); how many were ended."""
    query = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep)
    result = session.execute(query.execution_options(synchronize_session="fetch"))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
