"""The platforms Shaheen knows, with their default referral channel, SLA and adapter.

This is the one place a platform is added: a `PlatformSpec` here names everything the
other stages need to know about it, including the `PlatformAdapter` that lays out its
referral package. The adapter is named by its class path (`module:Class`, as entry
points are) and resolved only when a package is built (`referral.adapters.adapter_for`):
platforms are reference data below every stage, so this module imports none of them.
A test checks that every platform's adapter resolves and that every adapter is named here.

The SLA defaults follow the common norm of removal within 48 hours of notice and 12 hours
for emergencies (live attack content); each unit sets its own agreed figures in the
database after `shaheen db upgrade`, and `sync` never overwrites a figure a unit has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from shaheen.platforms.enums import ChannelKind


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """A platform's identity, default channel, the hosts its URLs use and its adapter."""

    code: str
    name: str
    channel_name: str
    hosts: tuple[str, ...]
    #: `module:Class` of its `PlatformAdapter`; a path, not the class, so that this
    #: module stays free of the referral stage (resolved by `referral.adapters`)
    adapter: str
    sla_hours: int = 48
    urgent_sla_hours: int = 12
    channel_kind: ChannelKind = ChannelKind.FILE_DROP


_ADAPTERS = "shaheen.referral.adapters"

PLATFORMS: tuple[PlatformSpec, ...] = (
    PlatformSpec(
        code="facebook",
        name="Facebook",
        channel_name="Meta government content-restriction request",
        hosts=("facebook.com", "fb.com", "fb.watch", "m.facebook.com"),
        adapter=f"{_ADAPTERS}:FacebookAdapter",
    ),
    PlatformSpec(
        code="instagram",
        name="Instagram",
        channel_name="Meta government content-restriction request",
        hosts=("instagram.com", "instagr.am"),
        adapter=f"{_ADAPTERS}:InstagramAdapter",
    ),
    PlatformSpec(
        code="tiktok",
        name="TikTok",
        channel_name="TikTok law-enforcement request portal",
        hosts=("tiktok.com", "vm.tiktok.com"),
        adapter=f"{_ADAPTERS}:TiktokAdapter",
    ),
    PlatformSpec(
        code="x",
        name="X",
        channel_name="X legal request portal",
        hosts=("x.com", "twitter.com", "t.co"),
        adapter=f"{_ADAPTERS}:XAdapter",
    ),
    PlatformSpec(
        code="telegram",
        name="Telegram",
        channel_name="Telegram abuse notification",
        hosts=("t.me", "telegram.me", "telegram.org"),
        adapter=f"{_ADAPTERS}:TelegramAdapter",
    ),
    PlatformSpec(
        code="whatsapp",
        name="WhatsApp",
        channel_name="WhatsApp law-enforcement request",
        hosts=("wa.me", "chat.whatsapp.com"),
        adapter=f"{_ADAPTERS}:WhatsappAdapter",
    ),
    PlatformSpec(
        code="youtube",
        name="YouTube",
        channel_name="Google legal removal request",
        hosts=("youtube.com", "youtu.be", "m.youtube.com"),
        adapter=f"{_ADAPTERS}:YoutubeAdapter",
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
    try:
        host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    except ValueError:  # a malformed IPv6 literal ("[…]"): no platform's host
        return None
    host = host.removeprefix("www.")
    for spec in PLATFORMS:
        if any(host == h or host.endswith("." + h) for h in spec.hosts):
            return spec.code
    return None
