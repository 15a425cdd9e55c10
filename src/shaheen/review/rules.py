"""Review's domain rules, pure (no database), so they read as policy.

Case statuses: the legal moves between them (`TRANSITIONS`, checked by
`check_transition`), which statuses are still in the queue, and what a decision moves a
case to:

    open ─► in_review ─► referred ─► closed
      │         └─► closed (re-scored below the threshold, no decision taken)
      │         │     └─► awaiting_second_review ─► referred | dismissed
      │         ├─► dismissed
      │         ├─► escalated ─────────┐ (a supervisor decides, as from in_review)
      │         └─► needs_translation ─┤
      └─ (a decision may be taken straight from open, escalated or needs_translation)

`dismissed` and `closed` are final: an account that comes back gets a new case, so the
record of what was decided stays as it was.

Safeguards: takedown powers can be abused, so a referral must be a named person's
decision with a reason, an organisation and a legal basis from the unit's list; and an
account whose removal would matter more (large reach, verified, or on the protected
list of news outlets, journalists and officials) needs a second reviewer who is not the
first. Every rule below raises `SafeguardViolation` with the reason a person can act on.

Priority: the queue's order, risk × reach × recency (`case_priority`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import yaml

from shaheen.errors import BadInput, IllegalTransition, SafeguardViolation
from shaheen.review.enums import REASONS, Verdict
from shaheen.review.enums import CaseStatus as C

TRANSITIONS: dict[C, frozenset[C]] = {
    C.OPEN: frozenset(
        {
            C.IN_REVIEW,
            C.REFERRED,
            C.AWAITING_SECOND_REVIEW,
            C.DISMISSED,
            C.ESCALATED,
            C.NEEDS_TRANSLATION,
            C.CLOSED,  # re-scored below the threshold before anyone decided
        }
    ),
    C.IN_REVIEW: frozenset(
        {
            C.REFERRED,
            C.AWAITING_SECOND_REVIEW,
            C.DISMISSED,
            C.ESCALATED,
            C.NEEDS_TRANSLATION,
            C.CLOSED,  # likewise: claimed, not yet decided
        }
    ),
    C.ESCALATED: frozenset(
        {C.REFERRED, C.AWAITING_SECOND_REVIEW, C.DISMISSED, C.ESCALATED, C.NEEDS_TRANSLATION}
    ),
    C.NEEDS_TRANSLATION: frozenset(
        {C.REFERRED, C.AWAITING_SECOND_REVIEW, C.DISMISSED, C.ESCALATED, C.NEEDS_TRANSLATION}
    ),
    # A second reviewer confirms (refer) or overturns (dismiss), nothing else.
    C.AWAITING_SECOND_REVIEW: frozenset({C.REFERRED, C.DISMISSED}),
    C.REFERRED: frozenset({C.CLOSED}),
    C.DISMISSED: frozenset(),
    C.CLOSED: frozenset(),
}
#: Statuses of a case still in the queue: a scan updates such a case instead of opening
#: another, the queue lists them, and the figures count them as open.
OPEN_STATUSES: tuple[C, ...] = (
    C.OPEN,
    C.IN_REVIEW,
    C.AWAITING_SECOND_REVIEW,
    C.ESCALATED,
    C.NEEDS_TRANSLATION,
)
#: Statuses a re-score may close a case from, when no decision was taken on it: the
#: case's only reason (the account's risk) has gone, and no person has weighed it yet.
CLOSABLE_UNDECIDED: tuple[C, ...] = (C.OPEN, C.IN_REVIEW)
#: Statuses in which a reviewer can decide the case.
DECIDABLE = frozenset(status for status, moves in TRANSITIONS.items() if C.REFERRED in moves)


def check_transition(current: C, target: C) -> None:
    """Raise unless a case may go from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing (final)"
        raise IllegalTransition(
            f"a case cannot go from {current.value} to {target.value} "
            f"(from {current.value}: {allowed})"
        )


def status_after(verdict: Verdict, *, high_impact: bool, is_second: bool) -> C:
    """Where a decision moves a case: a high-impact referral waits for a second reviewer."""
    if verdict is Verdict.REFER:
        return C.AWAITING_SECOND_REVIEW if high_impact and not is_second else C.REFERRED
    return {
        Verdict.DISMISS: C.DISMISSED,
        Verdict.ESCALATE: C.ESCALATED,
        Verdict.NEEDS_TRANSLATION: C.NEEDS_TRANSLATION,
    }[verdict]


RECENCY_DAYS = 14.0


def case_priority(
    risk: float, reach: int, last_post: datetime | None = None, now: datetime | None = None
) -> float:
    """Risk × the order of magnitude of reach (10,000 followers count twice 100) ×
    recency: an account that posted today counts in full, one silent for a month about
    half as much, so live campaigns rise above old ones of the same size."""
    recency = 1.0
    if last_post is not None:
        age_days = max(0.0, ((now or datetime.now(UTC)) - last_post).total_seconds() / 86_400)
        recency = 0.5 + 0.5 * math.exp(-age_days / RECENCY_DAYS)
    return round(risk * math.log10(10 + max(reach, 0)) * recency, 4)


LEGAL_BASES = Path(__file__).with_name("data") / "legal_bases.yaml"
DEFAULT_REACH_THRESHOLD = 100_000


@dataclass(frozen=True)
class LegalBasis:
    code: str
    title: str


@lru_cache(maxsize=8)
def legal_bases(path: Path = LEGAL_BASES) -> dict[str, LegalBasis]:
    """The provisions a referral may cite, by code."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        provisions = document["provisions"]
        return {p["code"]: LegalBasis(p["code"], p["title"]) for p in provisions}
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise BadInput(f"{path}: not a list of legal provisions ({exc})") from None


@dataclass(frozen=True)
class ReviewPolicy:
    """What makes an account high-impact, and what a decision must carry."""

    reach_threshold: int = DEFAULT_REACH_THRESHOLD
    protected_handles: frozenset[str] = frozenset()
    legal_bases: dict[str, LegalBasis] = field(default_factory=legal_bases)


@dataclass(frozen=True)
class Subject:
    """The facts about a case's account the rules look at."""

    handle: str | None
    followers: int
    verified: bool


@dataclass(frozen=True)
class Proposed:
    """A decision as a reviewer proposes it."""

    verdict: Verdict
    reason_code: str
    organisation: str | None = None
    legal_basis: str | None = None


def why_second_review(subject: Subject, policy: ReviewPolicy) -> list[str]:
    """The reasons this account's referral needs a second reviewer (empty if none)."""
    reasons = []
    if subject.followers >= policy.reach_threshold:
        reasons.append(f"reach {subject.followers:,} ≥ {policy.reach_threshold:,}")
    if subject.verified:
        reasons.append("verified account")
    if subject.handle and subject.handle.lstrip("@").lower() in policy.protected_handles:
        reasons.append("on the protected list (news, journalists, officials)")
    return reasons


def check_decision(proposed: Proposed, policy: ReviewPolicy, known_organisations: set[str]) -> None:
    """Refuse a decision that lacks what its verdict needs."""
    allowed = REASONS[proposed.verdict]
    if proposed.reason_code not in allowed:
        raise SafeguardViolation(
            f"a {proposed.verdict.value} decision needs a reason code: one of "
            f"{', '.join(sorted(allowed))} (got {proposed.reason_code or 'none'!r})"
        )
    if proposed.verdict is not Verdict.REFER:
        return
    if not proposed.organisation:
        raise SafeguardViolation("a referral must name the organisation the account serves")
    if proposed.organisation not in known_organisations:
        raise SafeguardViolation(
            f"{proposed.organisation!r} is not an organisation in the knowledge base"
        )
    if not proposed.legal_basis:
        raise SafeguardViolation(
            "a referral must cite a legal basis: one of " + ", ".join(sorted(policy.legal_bases))
        )
    if proposed.legal_basis not in policy.legal_bases:
        raise SafeguardViolation(
            f"{proposed.legal_basis!r} is not a legal basis on the unit's list "
            f"({', '.join(sorted(policy.legal_bases))})"
        )


def check_second_reviewer(first_reviewer_id: int, second_reviewer_id: int) -> None:
    if first_reviewer_id == second_reviewer_id:
        raise SafeguardViolation("the second review must be by a different reviewer than the first")


def policy_from(
    reach_threshold: int, protected_list: Path | None, legal_bases_file: Path | None
) -> ReviewPolicy:
    """The policy as a unit configured it (see `Settings`)."""
    protected: frozenset[str] = frozenset()
    if protected_list is not None:
        try:
            lines = protected_list.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BadInput(f"cannot read the protected list {protected_list}: {exc}") from None
        protected = frozenset(
            line.strip().lstrip("@").lower()
            for line in lines
            if line.strip() and not line.startswith("#")
        )
    bases = legal_bases(legal_bases_file) if legal_bases_file else legal_bases()
    return ReviewPolicy(reach_threshold, protected, bases)
