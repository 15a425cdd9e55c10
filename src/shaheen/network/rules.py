"""The network's pure rules: edge weights, handle stems, when a new account is a
re-creation of a removed one, and when shared content is a coordinated campaign.

Two principles run through them.

* Resemblance is never enough alone. Many unrelated people are called `ali_khan`; a
  look-alike handle only counts when something independent agrees (the same profile
  picture, the same bio, the same invite link, phone or wallet, the same circle of
  accounts). Association with a cluster is a *weak* signal, shown to reviewers and never
  enough to open a case.
* Campaigns are measured by coordination, never by viewpoint: how synchronised the
  posting is, how duplicated the content, how new the accounts, how much infrastructure
  they share. Nothing here reads what a post argues, so criticism of the government or
  its forces weighs exactly nothing. Many people sharing one story is virality, not a
  campaign: duplication and timing must come with new accounts or shared
  infrastructure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shaheen.errors import BadInput
from shaheen.network.enums import EdgeKind

#: How much one link of each kind says about two accounts belonging together. Shared
#: infrastructure (an invite to a private group, a phone, a wallet) says most; a mention
#: says least (people mention those they argue with).
EDGE_WEIGHTS: dict[EdgeKind, float] = {
    EdgeKind.FORWARD: 1.0,
    EdgeKind.QUOTE: 0.8,
    EdgeKind.REPLY: 0.6,
    EdgeKind.MENTION: 0.3,
    EdgeKind.SHARED_MEDIA: 1.0,
    EdgeKind.SHARED_URL: 0.5,
    EdgeKind.INVITE: 1.5,
    EdgeKind.PHONE: 1.5,
    EdgeKind.WALLET: 1.5,
    EdgeKind.SIMILAR_BIO: 0.7,
}
#: A thing shared by more accounts than this (a news link, a meme) links no one: it is
#: popular, not infrastructure, and linking every pair would cost O(n²) edges.
FANOUT_CAP = 25
#: Indicator kinds that become edges, by the edge kind they make.
INDICATOR_EDGES: dict[str, EdgeKind] = {
    "url": EdgeKind.SHARED_URL,
    "telegram_invite": EdgeKind.INVITE,
    "whatsapp_invite": EdgeKind.INVITE,
    "phone": EdgeKind.PHONE,
    "btc": EdgeKind.WALLET,
    "eth": EdgeKind.WALLET,
    "tron": EdgeKind.WALLET,
}
#: Indicator kinds a re-created account is likely to carry over from the removed one.
INFRASTRUCTURE = ("telegram_invite", "whatsapp_invite", "phone", "btc", "eth", "tron")

# -- handles ---------------------------------------------------------------------------

_AFFIXES = (
    "official",
    "offical",
    "real",
    "new",
    "backup",
    "back",
    "again",
    "returns",
    "media",
    "the",
    "alt",
    "main",
    "v",
)
_AFFIX_RE = re.compile(rf"^(?:{'|'.join(_AFFIXES)})+|(?:{'|'.join(_AFFIXES)})+$")
_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"})
_SUFFIX_NUMBER = re.compile(r"^(?P<base>.+?)[._-]*(?P<n>\d{1,4})$")


def normalised(text: str | None) -> str:
    """Lower case, compatibility forms folded (full-width, ligatures), accents dropped."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).strip()


def handle_stem(handle: str | None) -> str:
    """What stays of a handle once the usual re-creation disguises are undone: `@Amaq_2`,
    `amaq.official`, `new_amaq` and `4maq` all give `amaq`.

    Separators and trailing numbers go, then the affixes people add to a banned name,
    then digits standing for letters. Short stems (under 4 letters) are too common to
    block on and come back empty.
    """
    text = normalised(handle).lstrip("@")
    text = re.sub(r"[\s._\-]+", "", text)
    text = re.sub(r"\d+$", "", text)
    for _ in range(2):  # `the_new_amaq`: affixes may come in pairs
        stripped = _AFFIX_RE.sub("", text)
        if len(stripped) >= 4:  # `ali_media` is a name, not `ali` in disguise
            text = stripped
    text = re.sub(r"\d+$", "", text).translate(_LEET)
    text = re.sub(r"[^\w]", "", text)
    return text if len(text) >= 4 else ""


def number_suffix_of(handle: str | None, removed: str | None) -> bool:
    """`name_2`, `name2`, `name.3` for a removed `name` (or `name_1`): the commonest
    re-creation pattern of all."""
    a, b = normalised(handle).lstrip("@"), normalised(removed).lstrip("@")
    if not a or not b or a == b:
        return False
    match = _SUFFIX_NUMBER.match(a)
    if match is None:
        return False
    base_removed = _SUFFIX_NUMBER.match(b)
    stem_b = base_removed.group("base") if base_removed else b
    return match.group("base").rstrip("._-") == stem_b.rstrip("._-")


def words(text: str | None) -> frozenset[str]:
    """The words of a text (letters of any script, three or more), for bio similarity."""
    return frozenset(w for w in re.findall(r"[^\W\d_]{3,}", normalised(text)))


def bio_key(bio: str | None) -> str | None:
    """A bio's fingerprint: its words in order of the alphabet, numbers and punctuation
    gone. Two accounts with the same key wrote the same bio (`join us 2` = `Join us!`)."""
    found = sorted(words(bio))
    if len(found) < 3:  # "hello there" is not a signature
        return None
    return " ".join(found)[:200]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# -- ban evasion -----------------------------------------------------------------------

#: Each kind of evidence and how much it alone says. Handle and display name count as
#: one kind (identity): both are chosen by whoever made the account.
EVASION_WEIGHTS = {
    "handle": 0.55,
    "name": 0.35,
    "image": 0.65,
    "bio": 0.45,
    "infrastructure": 0.7,
    "neighbours": 0.4,
}
EVASION_THRESHOLD = 0.75
HANDLE_SIMILAR = 0.85  # rapidfuzz ratio / 100 from which two handles look alike
NAME_SIMILAR = 0.85
BIO_SIMILAR = 0.6
IMAGE_DISTANCE = 31  # PDQ bits, as for hash banks
NEIGHBOURS_MIN = 2


@dataclass
class EvasionFeatures:
    """What a new account and a removed one have in common."""

    handle: float = 0.0  # 0..1
    number_suffix: bool = False
    name: float = 0.0
    image_distance: int | None = None  # PDQ bits apart, when both have a picture
    bio: float = 0.0  # Jaccard of their words
    shared: list[tuple[str, str]] = field(default_factory=list)  # (kind, value)
    common_neighbours: int = 0


def evasion_score(f: EvasionFeatures) -> tuple[float, list[dict[str, Any]]]:
    """The match score and its reasons. Below the threshold unless at least two
    independent kinds of evidence agree (identity, picture, bio, infrastructure,
    neighbours): a look-alike handle alone never matches."""
    parts: dict[str, float] = {}
    reasons: list[dict[str, Any]] = []
    handle = 1.0 if f.number_suffix else f.handle
    if handle >= HANDLE_SIMILAR:
        parts["handle"] = handle
        reasons.append(
            {
                "kind": "handle",
                "similarity": round(handle, 3),
                "pattern": "number suffix" if f.number_suffix else "look-alike",
            }
        )
    if f.name >= NAME_SIMILAR:
        parts["name"] = f.name
        reasons.append({"kind": "display_name", "similarity": round(f.name, 3)})
    if f.image_distance is not None and f.image_distance <= IMAGE_DISTANCE:
        parts["image"] = 1.0 - f.image_distance / 128
        reasons.append({"kind": "profile_image", "pdq_distance": f.image_distance})
    if f.bio >= BIO_SIMILAR:
        parts["bio"] = f.bio
        reasons.append({"kind": "bio", "similarity": round(f.bio, 3)})
    if f.shared:
        parts["infrastructure"] = 1.0
        reasons.append(
            {"kind": "shared_infrastructure", "values": [f"{k}:{v}" for k, v in f.shared[:10]]}
        )
    if f.common_neighbours >= NEIGHBOURS_MIN:
        parts["neighbours"] = min(1.0, f.common_neighbours / 5)
        reasons.append({"kind": "common_neighbours", "accounts": f.common_neighbours})
    kinds = {"identity" if k in ("handle", "name") else k for k in parts}
    missing = 1.0
    for kind, value in parts.items():
        missing *= 1.0 - EVASION_WEIGHTS[kind] * value
    score = round(1.0 - missing, 4)
    if len(kinds) < 2:
        score = min(score, EVASION_THRESHOLD - 0.01)  # one kind of evidence is never a match
    return score, reasons


# -- campaigns -------------------------------------------------------------------------

CAMPAIGN_MIN_ACCOUNTS = 5
CAMPAIGN_WINDOW = timedelta(hours=1)  # synchronised: most posts within this of each other
NEW_ACCOUNT_AGE = timedelta(days=30)
SYNC_MIN = 0.6
NEW_OR_SHARED_MIN = 0.4
SHARED_MIN = 0.3
ORIGIN_POSTS = 3
TOP_AMPLIFIERS = 10


@dataclass(frozen=True)
class GroupPost:
    """One post of a group of near-identical content, with what coordination needs."""

    post_id: int
    account_id: int
    platform: str
    posted_at: datetime
    reach: int
    account_since: datetime  # the earliest we know of the account
    duplicate: bool  # its text is a near-copy of the group's (not merely the same link)


@dataclass(frozen=True)
class Coordination:
    """How coordinated a group is, each measure in [0, 1], and the verdict."""

    synchrony: float  # share of posts in the busiest window
    duplication: float  # share of posts that are near-copies
    new_accounts: float  # share of accounts younger than NEW_ACCOUNT_AGE at their post
    shared_infrastructure: float  # share of accounts linked to another by infrastructure
    accounts: int
    score: float
    coordinated: bool

    def measures(self) -> dict[str, float]:
        return {
            "synchrony": round(self.synchrony, 3),
            "duplication": round(self.duplication, 3),
            "new_accounts": round(self.new_accounts, 3),
            "shared_infrastructure": round(self.shared_infrastructure, 3),
        }


def synchrony(times: Sequence[datetime], window: timedelta = CAMPAIGN_WINDOW) -> float:
    """The largest share of `times` that fits in one `window` (two pointers, sorted)."""
    if not times:
        return 0.0
    ordered = sorted(times)
    best, start = 1, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best / len(ordered)


def coordination(posts: Sequence[GroupPost], infrastructure_linked: set[int]) -> Coordination:
    """Measure a group (see the module docstring). `infrastructure_linked`: the group's
    accounts that share an invite, phone, wallet or picture with another of them."""
    accounts = {p.account_id for p in posts}
    sync = synchrony([p.posted_at for p in posts])
    duplication = sum(p.duplicate for p in posts) / len(posts) if posts else 0.0
    first_post: dict[int, GroupPost] = {}
    for post in sorted(posts, key=lambda p: p.posted_at):
        first_post.setdefault(post.account_id, post)
    young = sum(1 for p in first_post.values() if p.posted_at - p.account_since < NEW_ACCOUNT_AGE)
    new_share = young / len(accounts) if accounts else 0.0
    shared = len(accounts & infrastructure_linked) / len(accounts) if accounts else 0.0
    score = 0.35 * sync + 0.25 * duplication + 0.25 * new_share + 0.15 * shared
    coordinated = (
        len(accounts) >= CAMPAIGN_MIN_ACCOUNTS
        and sync >= SYNC_MIN
        and duplication >= 0.5
        and (new_share >= NEW_OR_SHARED_MIN or shared >= SHARED_MIN)
    )
    return Coordination(
        sync, duplication, new_share, shared, len(accounts), round(score, 4), coordinated
    )


def reach_over_time(posts: Iterable[GroupPost]) -> list[dict[str, Any]]:
    """Posts, new accounts and reach per hour, cumulative reach alongside."""
    hours: dict[datetime, dict[str, Any]] = {}
    seen: set[int] = set()
    for post in sorted(posts, key=lambda p: p.posted_at):
        hour = post.posted_at.replace(minute=0, second=0, microsecond=0)
        bucket = hours.setdefault(
            hour, {"hour": hour.isoformat(), "posts": 0, "accounts": 0, "reach": 0}
        )
        bucket["posts"] += 1
        bucket["reach"] += post.reach
        if post.account_id not in seen:
            seen.add(post.account_id)
            bucket["accounts"] += 1
    total = 0
    for bucket in hours.values():
        total += bucket["reach"]
        bucket["cumulative_reach"] = total
    return list(hours.values())


# -- the protected list ----------------------------------------------------------------


def protected_handles(path: Path | None) -> frozenset[str]:
    """The handles of `SHAHEEN_PROTECTED_LIST` (news outlets, journalists, officials),
    read as review reads them (`review.rules.policy_from`): one a line, `@` and case
    ignored, `#` comments."""
    if path is None:
        return frozenset()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInput(f"cannot read the protected list {path}: {exc}") from None
    return frozenset(
        line.strip().lstrip("@").lower() for line in lines if line.strip() and line[0] != "#"
    )
