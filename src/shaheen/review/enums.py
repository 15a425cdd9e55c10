"""Case statuses and review verdicts."""

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    AWAITING_SECOND_REVIEW = "awaiting_second_review"
    ESCALATED = "escalated"
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
