"""Case statuses and review verdicts."""

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    AWAITING_SECOND_REVIEW = "awaiting_second_review"
    ESCALATED = "escalated"
    NEEDS_TRANSLATION = "needs_translation"
    REFERRED = "referred"
    DISMISSED = "dismissed"
    CLOSED = "closed"


class Verdict(StrEnum):
    REFER = "refer"
    DISMISS = "dismiss"
    ESCALATE = "escalate"
    NEEDS_TRANSLATION = "needs_translation"


class DismissReason(StrEnum):
    """Why a reviewer dismissed a case; kept to measure precision and to retrain."""

    NEWS_REPORTING = "news_reporting"
    CONDEMNATION = "condemnation"
    COUNTER_SPEECH = "counter_speech"
    RESEARCH = "research"
    NOT_RELATED = "not_related"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    DUPLICATE = "duplicate"


#: Dismissals that say the account speaks *about* a group, not *for* it.
ABOUT_NOT_FOR = frozenset(
    {
        DismissReason.NEWS_REPORTING,
        DismissReason.CONDEMNATION,
        DismissReason.COUNTER_SPEECH,
        DismissReason.RESEARCH,
    }
)


class ReferReason(StrEnum):
    """What the account does for the group, as the referral will say."""

    SUPPORT = "support"
    RECRUITMENT = "recruitment"
    GLORIFICATION = "glorification"
    THREAT = "threat"
    ATTACK_CLAIM = "attack_claim"
    FUNDRAISING = "fundraising"
    LIVE_ATTACK_CONTENT = "live_attack_content"  # makes the referral urgent


class EscalateReason(StrEnum):
    LEGAL_QUESTION = "legal_question"
    HIGH_PROFILE = "high_profile"
    UNCLEAR_AFFILIATION = "unclear_affiliation"
    CROSS_AGENCY = "cross_agency"


#: Reason codes each verdict accepts; a translation request names the language needed.
REASONS: dict[Verdict, frozenset[str]] = {
    Verdict.REFER: frozenset(ReferReason),
    Verdict.DISMISS: frozenset(DismissReason),
    Verdict.ESCALATE: frozenset(EscalateReason),
    Verdict.NEEDS_TRANSLATION: frozenset({"ps", "ur", "bal", "sd", "ar", "fa", "other"}),
}
