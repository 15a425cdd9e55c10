"""Tips: reports from the public or partners pointing at content, kept as leads.

`record_tip` is what `POST /tips` and `shaheen tip add` both call. A tip is checked
(an http(s) URL with a host), its platform inferred from the URL, and stored even when
the URL was reported before: every report counts, and the earlier ones are returned
so a reviewer sees how often it was reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shaheen.audit import service as audit
from shaheen.errors import BadInput
from shaheen.ingest.models import Tip
from shaheen.platforms.models import Platform
from shaheen.platforms.registry import platform_from_url


class InvalidTip(BadInput):
    """A tip that cannot be recorded as given."""


@dataclass(frozen=True, slots=True)
class TipReceipt:
    tip: Tip
    platform: str | None
    earlier_reports: int


def normalise_url(url: str) -> str:
    """The URL trimmed, with a scheme; `InvalidTip` unless it is http(s) with a host."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    try:  # brackets announce an IPv6 literal: urlsplit refuses a bad one with ValueError
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:
        scheme, host = "", None
    if scheme not in ("http", "https") or not host or "." not in host:
        raise InvalidTip(f"{url!r} is not a web address (http or https with a host)")
    if len(url) > 1000:
        raise InvalidTip("URL longer than 1000 characters")
    return url


def record_tip(
    *,
    session: Session,
    url: str,
    note: str = "",
    reporter_contact: str | None = None,
    channel: str = "cli",
    agency_id: int | None = None,
    actor: str,
) -> TipReceipt:
    """Store one tip as a lead and audit it."""
    url = normalise_url(url)
    code = platform_from_url(url)
    platform_id = session.scalar(select(Platform.id).where(Platform.code == code)) if code else None
    earlier = session.scalar(select(func.count()).select_from(Tip).where(Tip.url == url)) or 0
    tip = Tip(
        url=url,
        platform_id=platform_id,
        note=note.strip(),
        reporter_contact=(reporter_contact or "").strip()[:300] or None,
        channel=channel,
        agency_id=agency_id,
    )
    session.add(tip)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="tip.add",
        object_type="tip",
        object_id=tip.id,
        details={"url": url, "platform": code, "channel": channel},
    )
    return TipReceipt(tip, code, earlier)


def recent_tips(*, session: Session, limit: int = 50) -> list[tuple[Tip, str | None]]:
    """The newest tips with their platform code."""
    rows = session.execute(
        select(Tip, Platform.code)
        .outerjoin(Platform, Platform.id == Tip.platform_id)
        .order_by(Tip.received_at.desc(), Tip.id.desc())
        .limit(limit)
    )
    return [(tip, code) for tip, code in rows]
