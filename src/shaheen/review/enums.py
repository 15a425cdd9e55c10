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
