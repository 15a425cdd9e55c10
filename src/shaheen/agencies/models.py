"""The `agencies` and `users` tables.

A user row also carries what signing in needs (an argon2 password hash, a TOTP
secret and the last time step used, the failed-sign-in counter and lock); the
sessions themselves and the per-username throttle are in `access/models.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.store.base import Base, StrEnumType, utcnow


class Agency(Base):
    """An organisation using the instance; data is scoped to it."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgencyKind] = mapped_column(StrEnumType(AgencyKind))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person with one role in one agency."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("agency_id", "oidc_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sign-in. The hash is argon2id's encoded string (parameters and salt inside), None
    # for a person who signs in only through the agency's identity provider.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    # A temporary password (set by `user add` or an admin's reset) must be replaced at
    # the next sign-in; until then a session can do nothing else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Base32 TOTP secret; None until enrolled. The last accepted time step refuses a
    # code's second use (RFC 6238 §5.2).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    failed_logins: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    # Manages agencies and their administrators on this instance (rules.py).
    platform_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The subject (`sub`) the agency's identity provider gives this person, when the
    # provider's mapping is by subject rather than by verified e-mail address.
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
