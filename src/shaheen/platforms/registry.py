"""The platforms Shaheen knows, with their default referral channel and SLA.

This is the one place a platform is added. The SLA defaults follow the common norm of
removal within 48 hours of notice and 12 hours for emergencies (live attack content);
each unit sets its own agreed figures in the database after `shaheen db upgrade`, and
`sync` never overwrites a figure a unit has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from shaheen.platforms.enums import ChannelKind


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """A platform's identity, default channel and the hosts its URLs use."""

    code: str
    name: str
    channel_name: str
    hosts: tuple[str, ...]
    sla_hours: int = 48
    urgent_sla_hours: int = 12
    channel_kind: ChannelKind = ChannelKind.FILE_DROP


PLATFORMS: tuple[PlatformSpec, ...] = (
    PlatformSpec(
        "facebook",
        "Facebook",
        "Meta government content-restriction request",
        ("facebook.com", "fb.com", "fb.watch", "m.facebook.com"),
    ),
    PlatformSpec(
        "instagram",
        "Instagram",
        "Meta government content-restriction request",
        ("instagram.com", "instagr.am"),
    ),
    PlatformSpec(
        "tiktok", "TikTok", "TikTok law-enforcement request portal", ("tiktok.com", "vm.tiktok.com")
    ),
    PlatformSpec("x", "X", "X legal request portal", ("x.com", "twitter.com", "t.co")),
    PlatformSpec(
        "telegram",
        "Telegram",
        "Telegram abuse notification",
        ("t.me", "telegram.me", "telegram.org"),
    ),
    PlatformSpec(
        "whatsapp", "WhatsApp", "WhatsApp law-enforcement request", ("wa.me", "chat.whatsapp.com")
    ),
    PlatformSpec(
        "youtube",
        "YouTube",
        "Google legal removal request",
        ("youtube.com", "youtu.be", "m.youtube.com"),
    ),
)

PLATFORM_CODES: tuple[str, ...] = tuple(spec.code for spec in PLATFORMS)


def spec_for(code: str) -> PlatformSpec:
    """The spec of platform `code`; KeyError if unknown."""
    for spec in PLATFORMS:
        if spec.code == code:
            return spec
    raise KeyError(code)


def platform_from_url(url: str) -> str | None:
    """The platform code whose host serves `url`, or None."""
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    host = host.removeprefix("www.")
    for spec in PLATFORMS:
        if any(host == h or host.endswith("." + h) for h in spec.hosts):
            return spec.code
    return None
