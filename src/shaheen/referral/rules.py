"""The life of a referral: its statuses, the legal moves between them, SLA clocks and
escalation. Pure rules here; `service.py` applies them to stored referrals.

    draft ─► sent ─► acknowledged ─► removed | geo_blocked | rejected | no_response
                 └──────────────────► (the same answers, without an acknowledgement)
    no_response ─► a late answer still counts (acknowledged, removed, …)
    removed, geo_blocked ─► reinstated ─► removed | geo_blocked (after chasing)

`rejected` is final: the unit may refer again, as a new referral. Any other move raises
`IllegalTransition`, so the record of what a platform did can only be told in order.

SLA: a referral is due `sla_hours` after it was sent (`urgent_sla_hours` for live attack
content), both set per platform. An overdue referral escalates in two steps: a
reminder to the platform once due; then, one more SLA period later without an answer,
it is marked `no_response` and put on the supervisors' list.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shaheen.errors import BadInput, IllegalTransition
from shaheen.referral.enums import ReferralStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.SENT}),
    S.SENT: frozenset({S.ACKNOWLEDGED, S.REMOVED, S.GEO_BLOCKED, S.REJECTED, S.NO_RESPONSE}),
    S.ACKNOWLEDGED: frozenset({S.REMOVED, S.GEO_BLOCKED, S.REJECTED, S.NO_RESPONSE}),
    S.NO_RESPONSE: frozenset({S.ACKNOWLEDGED, S.REMOVED, S.GEO_BLOCKED, S.REJECTED}),
    S.REMOVED: frozenset({S.REINSTATED}),
    S.GEO_BLOCKED: frozenset({S.REMOVED, S.REINSTATED}),
    S.REINSTATED: frozenset({S.REMOVED, S.GEO_BLOCKED}),
    S.REJECTED: frozenset(),
}
#: Statuses in which the platform still owes an answer (the SLA clock runs).
AWAITING = frozenset({S.SENT, S.ACKNOWLEDGED})
#: Statuses that count as the platform having acted.
ACTED = frozenset({S.REMOVED, S.GEO_BLOCKED})
#: Statuses with an answer, right or wrong: the referral's clock stops.
ANSWERED = frozenset({S.REMOVED, S.GEO_BLOCKED, S.REJECTED})

REMINDER, SUPERVISOR = 1, 2


def check_transition(current: S, target: S) -> None:
    """Raise unless a referral may go from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing (final)"
        raise IllegalTransition(
            f"a referral cannot go from {current.value} to {target.value} "
            f"(from {current.value}: {allowed})"
        )


def due_at(sent_at: datetime, sla_hours: int) -> datetime:
    return sent_at + timedelta(hours=sla_hours)


def escalation_due(
    status: S, due: datetime | None, level: int, sla_hours: int, now: datetime
) -> int:
    """The escalation level a referral should be at `now` (never lower than `level`)."""
    if status not in AWAITING or due is None or now < due:
        return level
    if now >= due + timedelta(hours=sla_hours):
        return SUPERVISOR
    return max(level, REMINDER)


#: How far ahead of our clock a recorded answer's time may be (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=5)


def check_answer_time(at: datetime, now: datetime) -> None:
    """An answer's time (when the platform gave it) must carry a zone and not lie in the
    future: SLA figures are measured from it."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise BadInput(f"{at.isoformat()} has no time zone: write it as 2026-05-01T10:00+05:00")
    if at > now + CLOCK_SKEW:
        raise BadInput(f"{at.isoformat()} is in the future: when did the platform answer?")
