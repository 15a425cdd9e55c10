"""The `user_sessions`, `login_throttles` and `api_tokens` tables.

A session token is shown to its holder once and stored only as its SHA-256: a copy of
the database lets no one act as anybody. The throttle counts failed sign-ins per
*username*, whether or not such a user exists, so that the answers (and the lock-out)
are the same for a real and an invented name. An API token, like a session token,
is kept only as its SHA-256 (see `access/tokens.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.agencies.enums import Role
from shaheen.store.base import Base, BigId, JSONDoc, StrEnumType, utcnow


class UserSession(Base):
    """One signed-in session of one user."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # password | oidc
    second_factor: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed sign-ins for one username within the current window.

    Keyed by the username's SHA-256: people type their password into the username
    field, and this table must not keep it.
    """

    __tablename__ = "login_throttles"

    username_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None]


class ApiToken(Base):
    """An integration's token: one role in one agency, optionally fewer actions.

    The value is shown once at creation; `token_sha256` is all that is kept of it, and
    `hint` (its first characters) only helps a person tell their tokens apart.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    # None: every action of the role; else a list of `Action` values within it.
    actions: Mapped[list[str] | None] = mapped_column(JSONDoc)
    second_factor: Mapped[bool] = mapped_column(default=False)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
