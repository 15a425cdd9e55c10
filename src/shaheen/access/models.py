"""The `user_sessions` and `login_throttles` tables.

A session token is shown to its holder once and stored only as its SHA-256: a copy of
the database lets no one act as anybody. The throttle counts failed sign-ins per
*username*, whether or not such a user exists, so that the answers (and the lock-out)
are the same for a real and an invented name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.store.base import Base, BigId, utcnow


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
