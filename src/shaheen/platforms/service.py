"""Data access for platforms."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.errors import NotFound
from shaheen.platforms.models import Platform
from shaheen.platforms.registry import PLATFORMS


def sync_registry(*, session: Session) -> int:
    """Insert registry platforms missing from the database; return how many were added.

    Existing rows are left alone: a unit's own SLA or channel settings win over defaults.
    """
    existing = set(session.scalars(select(Platform.code)))
    added = 0
    for spec in PLATFORMS:
        if spec.code in existing:
            continue
        session.add(
            Platform(
                code=spec.code,
                name=spec.name,
                channel_kind=spec.channel_kind,
                channel_name=spec.channel_name,
                channel_address=None,
                sla_hours=spec.sla_hours,
                urgent_sla_hours=spec.urgent_sla_hours,
            )
        )
        added += 1
    session.flush()
    return added


def get_by_code(*, session: Session, code: str) -> Platform:
    """The platform with `code`, or `NotFound`."""
    platform = session.scalar(select(Platform).where(Platform.code == code))
    if platform is None:
        raise NotFound(f"unknown platform {code!r}; run `shaheen db upgrade` to add the defaults")
    return platform


def all_platforms(*, session: Session) -> list[Platform]:
    """Every platform, by code."""
    return list(session.scalars(select(Platform).order_by(Platform.code)))
