"""How every figure in every report is defined: written once, here.

The SQL in `service.py` implements these words, the templates print them under every
report, the JSON and CSV exports carry them, and the README quotes them. A figure that
changes meaning changes here first, so a reader of last year's report and this year's
can tell whether the two numbers measure the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from shaheen.referral.enums import ReferralStatus

#: The platform's answers that stop the referral's clock, right or wrong.
ANSWERS = (ReferralStatus.REMOVED, ReferralStatus.GEO_BLOCKED, ReferralStatus.REJECTED)
#: The answers that count as the platform having acted on a referral.
ACTED = (ReferralStatus.REMOVED, ReferralStatus.GEO_BLOCKED)
#: Time-to-removal shares reported beside the median and the 90th percentile, in hours.
WITHIN_HOURS = (1, 24, 72)
#: Weeks the trend charts look back over, the report's own period included.
TREND_WEEKS = 8


@dataclass(frozen=True, slots=True)
class Definition:
    """One figure: its key in the JSON and CSV exports, its name, and what it counts."""

    key: str
    name: str
    text: str


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "period",
        "Period and cohort",
        "A referral counts in the period in which it was first sent to the platform (its "
        "cohort), whenever the platform answered. Periods are calendar weeks (Monday to "
        "Monday) or months in the report's time zone; the default is the last complete week.",
    ),
    Definition(
        "cutoff",
        "Data cut-off",
        "Only events that occurred at or before the cut-off count. A later answer to a "
        "referral of this period shows in the next report of the same period, not in this one.",
    ),
    Definition(
        "sent",
        "Referrals sent",
        "Referrals whose first 'sent' event falls in the period.",
    ),
    Definition(
        "removed",
        "Removed",
        "Referrals the platform removed (a 'removed' event by the cut-off), including those "
        "later reinstated.",
    ),
    Definition(
        "geo_blocked",
        "Geo-blocked",
        "Referrals the platform withheld in the country but never removed by the cut-off.",
    ),
    Definition(
        "rejected",
        "Rejected",
        "Referrals the platform declined to act on.",
    ),
    Definition(
        "no_answer",
        "No answer",
        "Referrals without an answer by the cut-off that had been marked 'no response' "
        "(one SLA period past their deadline with no word from the platform).",
    ),
    Definition(
        "pending",
        "Still pending",
        "Referrals without an answer by the cut-off and not yet marked 'no response'.",
    ),
    Definition(
        "reinstated",
        "Reinstated",
        "Removed or geo-blocked referrals whose content a re-check found back online by the "
        "cut-off (counted also under removed or geo-blocked).",
    ),
    Definition(
        "compliance",
        "Compliance rate",
        "(removed + geo-blocked) / (removed + geo-blocked + rejected): of the referrals the "
        "platform answered, the share it acted on. Silence is not in this rate: the "
        "no-answer share (no answer / sent) is reported beside it.",
    ),
    Definition(
        "no_answer_share",
        "No-answer share",
        "No answer / referrals sent.",
    ),
    Definition(
        "within_sla",
        "Answered within SLA",
        "Of the answered referrals, the share whose first answer came by the deadline "
        "their platform's SLA set when they were sent.",
    ),
    Definition(
        "time_to_removal",
        "Time to removal",
        "From the first 'sent' event to the platform's first removal or geo-block, by the "
        "time the platform gave (the event's occurred_at), not when Shaheen recorded it. "
        "Median and 90th percentile over the removed and geo-blocked referrals of the "
        "period; 'within 1 h / 24 h / 72 h' is the share of them removed that fast.",
    ),
    Definition(
        "accounts_removed",
        "Accounts removed and their followers",
        "Distinct accounts named in a removed or geo-blocked referral of the period, and "
        "the followers each had when last counted before its removal.",
    ),
    Definition(
        "backlog",
        "Backlog",
        "At the cut-off: referrals sent but not answered (pending or no answer), of any "
        "period, with their age since sending; and review cases opened by the cut-off "
        "with no refer or dismiss decision by then (nor closed unreviewed).",
    ),
    Definition(
        "precision",
        "Detector precision",
        "Of the cases decided in the period (the latest refer or dismiss decision), the "
        "share referred, counted for each detector that flagged the account (its posts or "
        "media), each case language and each organisation a detector named. A dismissal is "
        "a detector's false alarm.",
    ),
    Definition(
        "tasks",
        "Tasks by agency",
        "Tasks issued in the period, per recipient agency: answered by the cut-off, "
        "answered by their deadline (on time), and past their deadline unanswered at the "
        "cut-off.",
    ),
    Definition(
        "numbers",
        "Phone numbers sent to regulators",
        "Every phone number a task asked a regulator to act on, to date, by the outcome "
        "the regulator recorded (SIM blocked, not found, not in use, refused) or none yet.",
    ),
    Definition(
        "previous",
        "Previous period",
        "The period of the same length just before, counted by the same rules at the same cut-off.",
    ),
    Definition(
        "suppression",
        "Small counts",
        "Published reports show a count of at least one and below the threshold as "
        "'< threshold', and no rate or time whose count is below it, so that no figure "
        "points at a single account or person.",
    ),
)

BY_KEY: dict[str, Definition] = {d.key: d for d in DEFINITIONS}
