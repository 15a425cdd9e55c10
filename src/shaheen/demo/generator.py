"""A deterministic synthetic dataset: fictional accounts and posts on every platform.

The same seed always gives the same dataset, so tests can pin counts and the demo
prints the same summary on every machine. Every account, handle and phone number is
invented; phone numbers use the 000 block, which no Pakistani operator assigns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from shaheen.demo import templates
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.platforms.registry import PLATFORM_CODES


class Label(StrEnum):
    """The ground truth of a synthetic post."""

    PROPAGANDA = "propaganda"
    NEWS_OR_COUNTER = "news_or_counter"
    OTHER = "other"


class Persona(StrEnum):
    PROPAGANDIST = "propagandist"
    NEWS_OUTLET = "news_outlet"
    CITIZEN = "citizen"


@dataclass(frozen=True, slots=True)
class OrgVoice:
    """How the templates name one organisation."""

    slug: str
    name: str
    name_ur: str
    wing: str
    tag: str


ORGS: tuple[OrgVoice, ...] = (
    OrgVoice("ttp", "Tehreek-e-Taliban Pakistan", "تحریک طالبان پاکستان", "Umar Media", "#TTP"),
    OrgVoice("bla", "Balochistan Liberation Army", "بلوچستان لبریشن آرمی", "Hakkal", "#BLA"),
    OrgVoice("blf", "Balochistan Liberation Front", "بلوچستان لبریشن فرنٹ", "BLF media", "#BLF"),
    OrgVoice(
        "iskp", "Islamic State Khorasan", "دولت اسلامیہ خراسان", "Al-Azaim Foundation", "#ISKP"
    ),
)

# Handles the demo knowledge-base extension lists as known accounts (kb_extension.yaml).
KNOWN_HANDLES: dict[str, tuple[str, ...]] = {
    "ttp": ("qafla_media_demo", "umar_studio_demo"),
    "bla": ("hakkal_demo",),
    "iskp": ("khurasan_voice_demo",),
}

_NEWS_OUTLETS = ("Daily Frontier Demo", "Indus Wire Demo", "Margalla Times Demo")
_FIRST = ("Ali", "Sana", "Bilal", "Ayesha", "Hamza", "Zainab", "Usman", "Mahnoor", "Faraz", "Hira")
_LAST = ("Khan", "Baloch", "Shah", "Qureshi", "Yousafzai", "Mengal", "Butt", "Afridi")
_LANGUAGES = ("en", "ur", "roman_ur")


@dataclass(frozen=True, slots=True)
class DemoAccount:
    record: AccountRecord
    persona: Persona
    organisation: str | None


@dataclass(frozen=True, slots=True)
class DemoPost:
    record: PostRecord
    label: Label
    language: str
    organisation: str | None


@dataclass(frozen=True, slots=True)
class DemoDataset:
    accounts: list[DemoAccount]
    posts: list[DemoPost]


def generate(
    *,
    seed: int = 7,
    accounts_per_platform: int = 12,
    posts_per_account: int = 8,
    now: datetime | None = None,
) -> DemoDataset:
    """Build the dataset: per platform, propagandists, news outlets and ordinary citizens."""
    rng = random.Random(seed)
    # Anchored to the day, so re-running the demo the same day re-imports identical data.
    anchor = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    accounts: list[DemoAccount] = []
    posts: list[DemoPost] = []
    for platform in PLATFORM_CODES:
        for index in range(accounts_per_platform):
            account = _account(rng, platform, index, anchor)
            accounts.append(account)
            for number in range(posts_per_account):
                posts.append(_post(rng, account, number, anchor))
    return DemoDataset(accounts, posts)


def _persona_for(index: int) -> Persona:
    # A third propagandists, a sixth news outlets, the rest ordinary citizens.
    if index % 3 == 0:
        return Persona.PROPAGANDIST
    if index % 6 == 1:
        return Persona.NEWS_OUTLET
    return Persona.CITIZEN


def _account(rng: random.Random, platform: str, index: int, anchor: datetime) -> DemoAccount:
    persona = _persona_for(index)
    org = rng.choice(ORGS) if persona is Persona.PROPAGANDIST else None
    if persona is Persona.PROPAGANDIST and org is not None:
        known = KNOWN_HANDLES.get(org.slug, ())
        # The first propagandists use the handles the demo knowledge base lists as known
        # accounts; the rest get fresh ones. The index keeps handles unique per platform.
        slot = index // 3
        handle = known[slot] if slot < len(known) else f"qafla_{rng.randint(100, 999)}{index:02d}"
        display, bio = f"{org.wing} Official", f"Voice of the caravan {org.tag}"
        followers = int(rng.lognormvariate(9.0, 1.2))
    elif persona is Persona.NEWS_OUTLET:
        display = _NEWS_OUTLETS[(index // 6) % len(_NEWS_OUTLETS)]
        handle = display.lower().replace(" ", "_")
        bio, followers = (
            "News and analysis from Pakistan. Demo outlet.",
            int(rng.lognormvariate(12.0, 0.8)),
        )
    else:
        display = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        handle = display.lower().replace(" ", ".") + f"{index:02d}"  # unique per platform
        bio, followers = "Cricket, chai and family.", int(rng.lognormvariate(5.5, 1.0))
    record = AccountRecord(
        platform=platform,
        platform_account_id=f"{platform}-demo-{index:03d}",
        handle=handle,
        display_name=display,
        bio=bio,
        url=f"https://{platform}.example/{handle}",
        followers=followers,
        verified=persona is Persona.NEWS_OUTLET,
        observed_at=anchor,
    )
    return DemoAccount(record, persona, org.slug if org else None)


def _label_for(rng: random.Random, persona: Persona) -> Label:
    roll = rng.random()
    if persona is Persona.PROPAGANDIST:
        return Label.PROPAGANDA if roll < 0.75 else Label.OTHER
    if persona is Persona.NEWS_OUTLET:
        return Label.NEWS_OR_COUNTER if roll < 0.85 else Label.OTHER
    return Label.NEWS_OR_COUNTER if roll < 0.2 else Label.OTHER


def _post(rng: random.Random, account: DemoAccount, number: int, anchor: datetime) -> DemoPost:
    label = _label_for(rng, account.persona)
    language = rng.choice(_LANGUAGES)
    org = next((o for o in ORGS if o.slug == account.organisation), None) or rng.choice(ORGS)
    table = {
        Label.PROPAGANDA: templates.PROPAGANDA,
        Label.NEWS_OR_COUNTER: templates.NEWS_OR_COUNTER,
        Label.OTHER: templates.OTHER,
    }[label]
    place, place_ur = rng.choice(templates.PLACES)
    text = rng.choice(table[language]).format(
        org=org.name,
        org_ur=org.name_ur,
        wing=org.wing,
        tag=org.tag,
        place=place,
        place_ur=place_ur,
        phone=f"+92 300 000{rng.randint(1000, 9999)}",
        handle="@" + (account.record.handle or "unknown"),
    )
    record = account.record
    post_id = f"{record.platform_account_id}-p{number:03d}"
    reach = int((record.followers or 0) * rng.uniform(0.05, 0.6))
    post = PostRecord(
        platform=record.platform,
        platform_post_id=post_id,
        platform_account_id=record.platform_account_id,
        text=text,
        language=None,  # left for language identification to fill
        url=f"https://{record.platform}.example/{record.handle}/{post_id}",
        posted_at=anchor - timedelta(hours=rng.randint(1, 24 * 30)),
        reach=reach,
    )
    mentions = org.slug if label is not Label.OTHER else None
    return DemoPost(post, label, language, mentions)
