"""Account risk: the evidence about an account rolled up to one score a reviewer can check.

Evidence, strongest first:

* known account: the account's handle is a known handle of an organisation in the
  knowledge base;
* posts: the classifier's probability that a post is propaganda, for posts that also
  name an organisation (lexicon hit) counted in full, others at half weight, since
  propaganda of a proscribed group almost always names it, its wing or its slogans;
* profile: organisation terms in the bio or display name;
* media: a posted image or video, or the profile picture, matches a hash bank (the
  strongest match counts, by its similarity).

Posts combine as the mean of the three strongest, raised as more posts agree (one
stray post is not an account's line); the three kinds of evidence then combine as a
noisy-OR, so any one can carry an account and together they saturate below 1. The
explanation lists every reason with its share, and the organisations by weight of
evidence, so a reviewer sees why before deciding anything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

KNOWN_ACCOUNT_WEIGHT = 0.95
MEDIA_WEIGHT = 0.9  # banked media is propaganda a person has already judged
PROFILE_FACTOR = 0.6
UNNAMED_FACTOR = 0.5
FLAGGED = 0.5


@dataclass(frozen=True, slots=True)
class PostEvidence:
    post_id: int
    propaganda: float  # the classifier's probability
    organisations: dict[str, float]  # lexicon scores per organisation
    excerpt: str


@dataclass(frozen=True, slots=True)
class MediaEvidence:
    media_id: int
    post_id: int | None  # None for the profile picture
    similarity: float  # 1.0 for an identical file
    organisation: str | None
    bank: str
    signal_type: str


@dataclass
class AccountEvidence:
    account_id: int
    posts: list[PostEvidence] = field(default_factory=list)
    profile: dict[str, float] = field(default_factory=dict)  # lexicon scores on bio/name
    profile_terms: list[str] = field(default_factory=list)
    known_as: dict[str, str] = field(default_factory=dict)  # organisation -> handle term
    media: list[MediaEvidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Risk:
    score: float
    organisations: list[str]
    explanation: dict[str, Any]


def _post_strength(post: PostEvidence) -> float:
    return post.propaganda * (1.0 if post.organisations else UNNAMED_FACTOR)


def assess(evidence: AccountEvidence) -> Risk:
    """The account's risk in [0, 1] with its reasons."""
    reasons: list[dict[str, Any]] = []
    weight_by_org: dict[str, float] = defaultdict(float)

    ranked = sorted(evidence.posts, key=_post_strength, reverse=True)
    top = ranked[:3]
    flagged = [p for p in ranked if _post_strength(p) >= FLAGGED]
    posts_score = 0.0
    if top:
        mean_top = sum(_post_strength(p) for p in top) / len(top)
        posts_score = min(1.0, mean_top * min(1.0, 0.7 + 0.1 * len(flagged)))
    for post in top:
        if _post_strength(post) < 0.2:
            continue
        reasons.append(
            {
                "kind": "post",
                "post_id": post.post_id,
                "propaganda": round(post.propaganda, 3),
                "organisations": sorted(post.organisations),
                "excerpt": post.excerpt,
            }
        )
        for organisation, score in post.organisations.items():
            weight_by_org[organisation] += score * post.propaganda

    profile_score = PROFILE_FACTOR * max(evidence.profile.values(), default=0.0)
    if profile_score > 0:
        reasons.append(
            {
                "kind": "profile",
                "terms": evidence.profile_terms,
                "organisations": sorted(evidence.profile),
            }
        )
        for organisation, score in evidence.profile.items():
            weight_by_org[organisation] += score * PROFILE_FACTOR

    strongest = sorted(evidence.media, key=lambda m: -m.similarity)
    media_score = MEDIA_WEIGHT * strongest[0].similarity if strongest else 0.0
    for match in strongest[:3]:
        reasons.append(
            {
                "kind": "media_match",
                "media_id": match.media_id,
                "post_id": match.post_id,
                "bank": match.bank,
                "signal_type": match.signal_type,
                "similarity": match.similarity,
                "organisations": [match.organisation] if match.organisation else [],
            }
        )
        if match.organisation:
            weight_by_org[match.organisation] += MEDIA_WEIGHT * match.similarity

    known_score = KNOWN_ACCOUNT_WEIGHT if evidence.known_as else 0.0
    for organisation, term in evidence.known_as.items():
        reasons.insert(0, {"kind": "known_account", "term": term, "organisations": [organisation]})
        weight_by_org[organisation] += KNOWN_ACCOUNT_WEIGHT

    score = 1.0 - (1.0 - posts_score) * (1.0 - profile_score) * (1.0 - known_score) * (
        1.0 - media_score
    )
    organisations = [o for o, _ in sorted(weight_by_org.items(), key=lambda kv: -kv[1])]
    explanation = {
        "score": round(score, 4),
        "parts": {
            "posts": round(posts_score, 4),
            "profile": round(profile_score, 4),
            "known_account": known_score,
            "media": round(media_score, 4),
        },
        "posts_scanned": len(evidence.posts),
        "posts_flagged": len(flagged),
        "organisations": organisations,
        "reasons": reasons,
    }
    return Risk(round(score, 4), organisations, explanation)


#: The network stage's reason: the account sits in a community of known-bad accounts.
ASSOCIATION = "association"


def with_association(
    explanation: dict[str, Any] | None, association: dict[str, Any] | None
) -> dict[str, Any]:
    """The explanation with the network's association reason set (or cleared, for None).

    Association is a weak signal: who an account is near, not what it does. It is
    shown to the reviewer, labelled weak, and never enters the score, so it can never
    open a case on its own (intake looks only at the score).
    """
    updated = dict(explanation or {})
    reasons = [r for r in updated.get("reasons", []) if r.get("kind") != ASSOCIATION]
    if association is not None:
        reasons.append(
            {"kind": ASSOCIATION, "strength": "weak", "counted_in_score": False, **association}
        )
    updated["reasons"] = reasons
    return updated


def carry_association(
    previous: dict[str, Any] | None, explanation: dict[str, Any]
) -> dict[str, Any]:
    """A new assessment keeps the association reason the network last set."""
    kept = [r for r in (previous or {}).get("reasons", []) if r.get("kind") == ASSOCIATION]
    if not kept:
        return explanation
    return with_association(explanation, {k: v for k, v in kept[0].items() if k != "kind"})
