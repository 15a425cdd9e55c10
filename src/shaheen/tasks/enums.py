"""Task statuses, kinds, steps and a regulator's outcomes for a phone number."""

from enum import StrEnum


class TaskStatus(StrEnum):
    """Where one recipient agency stands on a task (`rules.TRANSITIONS`)."""

    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    CLOSED = "closed"  # the recipient says it is done
    ACCEPTED = "accepted"  # the issuer agrees: final
    REOPENED = "reopened"  # the issuer wants more


class TaskKind(StrEnum):
    GENERAL = "general"
    REVIEW_ACCOUNTS = "review_accounts"
    PHONE_NUMBERS = "phone_numbers"  # for the regulator: an outcome per number
    RETURN = "return"  # a recurring report, from a template


class TaskStep(StrEnum):
    """What an event in a task's history records."""

    ISSUE = "issue"
    ACKNOWLEDGE = "acknowledge"
    ANSWER = "answer"
    CLOSE = "close"
    ACCEPT = "accept"
    REOPEN = "reopen"
    ATTACH = "attach"
    REMIND = "remind"
    ESCALATE = "escalate"
    OUTCOME = "outcome"


class NumberOutcome(StrEnum):
    """What the regulator did about a phone number."""

    SIM_BLOCKED = "sim_blocked"
    NOT_FOUND = "not_found"
    NOT_IN_USE = "not_in_use"
    REFUSED = "refused"  # with a reason
