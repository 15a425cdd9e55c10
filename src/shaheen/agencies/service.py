"""Data access for agencies and users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import Agency, User
from shaheen.errors import NotFound


def get_by_code(*, session: Session, code: str) -> Agency | None:
    """The agency with `code`, or None."""
    return session.scalar(select(Agency).where(Agency.code == code))


def directory(*, session: Session) -> list[tuple[str, str]]:
    """Every agency's code and name, by code: whom a task or share can name (agencies
    are not secret from each other; their data is)."""
    return [
        (code, name)
        for code, name in session.execute(select(Agency.code, Agency.name).order_by(Agency.code))
    ]


def code_of(*, session: Session, agency_id: int | None) -> str:
    """An agency's code ("" for none)."""
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    return agency.code if agency else ""


def require_by_code(*, session: Session, code: str) -> Agency:
    """The agency with `code`; `NotFound`, with the command that adds one, if missing."""
    agency = get_by_code(session=session, code=code)
    if agency is None:
        raise NotFound(
            f"agency {code!r} does not exist; add it with `shaheen agency add {code} NAME` "
            "(`shaheen agency list` shows the agencies)"
        )
    return agency


def ensure_agency(*, session: Session, code: str, name: str, kind: AgencyKind) -> Agency:
    """The agency with `code`, created if missing."""
    agency = get_by_code(session=session, code=code)
    if agency is None:
        agency = Agency(code=code, name=name, kind=kind)
        session.add(agency)
        session.flush()
    return agency


def ensure_user(
    *, session: Session, agency: Agency, username: str, display_name: str, role: Role
) -> User:
    """The user `username`, created in `agency` if missing."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(agency_id=agency.id, username=username, display_name=display_name, role=role)
        session.add(user)
        session.flush()
    return user
