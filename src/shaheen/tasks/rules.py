"""The life of a task, per recipient agency: statuses, who may make each move, the
clock and its escalation, a regulator's outcomes, and template periods. Pure rules;
`service.py` applies them.

    issued ─► acknowledged ─► answered ─► closed ─► accepted (final)
       └────────────────────────┘  │ ▲       │
                                   │ └ (another answer)
                                   ├──────────────► accepted
                                   └──► reopened ◄──┘ ─► acknowledged | answered

The recipient acknowledges, answers (as often as it likes, with attachments) and
closes; the issuer accepts or reopens (from an answer or a close). Anything else
raises `IllegalTransition`; a move by the wrong side raises `Forbidden`.

The clock runs while the recipient owes an answer (`AWAITING`). An overdue part
escalates in two steps, as a referral does: a reminder to the recipient once due; then,
`SUPERVISOR_AFTER` later still without an answer, the issuer's supervisors' list. A late
answer is accepted and recorded as late, by how much.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from shaheen.errors import BadInput, Forbidden, IllegalTransition
from shaheen.tasks.enums import NumberOutcome
from shaheen.tasks.enums import TaskStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.ISSUED: frozenset({S.ACKNOWLEDGED, S.ANSWERED}),
    S.ACKNOWLEDGED: frozenset({S.ANSWERED}),
    S.ANSWERED: frozenset({S.ANSWERED, S.CLOSED, S.ACCEPTED, S.REOPENED}),
    S.CLOSED: frozenset({S.ACCEPTED, S.REOPENED}),
    S.REOPENED: frozenset({S.ACKNOWLEDGED, S.ANSWERED}),
    S.ACCEPTED: frozenset(),
}
#: Moves the issuing agency makes; every other move is the recipient's.
ISSUER_MOVES = frozenset({S.ACCEPTED, S.REOPENED})
RECIPIENT_MOVES = frozenset({S.ACKNOWLEDGED, S.ANSWERED, S.CLOSED})
#: Statuses in which the recipient still owes an answer: the clock runs.
AWAITING = frozenset({S.ISSUED, S.ACKNOWLEDGED, S.REOPENED})
#: Statuses in which nothing is left to do.
SETTLED = frozenset({S.ACCEPTED})

REMINDER, SUPERVISOR = 1, 2
#: How long after a reminder, still without an answer, the issuer's supervisors are told.
SUPERVISOR_AFTER = timedelta(hours=48)
#: Longest and shortest deadlines a task may be given.
MAX_DUE = timedelta(days=366)
MIN_DUE = timedelta(hours=1)


def check_transition(current: S, target: S) -> None:
    """Raise unless a recipient's part may go from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing (final)"
        raise IllegalTransition(
            f"a task cannot go from {current.value} to {target.value} "
            f"(from {current.value}: {allowed})"
        )


def check_mover(target: S, *, issuer: bool) -> None:
    """Raise `Forbidden` unless the side asking (`issuer` or recipient) makes `target`."""
    if issuer and target not in ISSUER_MOVES:
        raise Forbidden(f"only the recipient agency marks a task {target.value}")
    if not issuer and target in ISSUER_MOVES:
        raise Forbidden(f"only the issuing agency marks a task {target.value}")


def check_due(due: datetime, now: datetime) -> None:
    """A deadline must lie ahead, within a year."""
    if due < now + MIN_DUE:
        raise BadInput("the deadline must be at least an hour ahead")
    if due > now + MAX_DUE:
        raise BadInput("the deadline must be within a year")


def escalation_due(status: S, due: datetime, level: int, now: datetime) -> int:
    """The escalation level a recipient's part should be at `now` (never lower than
    `level`)."""
    if status not in AWAITING or now < due:
        return level
    if now >= due + SUPERVISOR_AFTER:
        return SUPERVISOR
    return max(level, REMINDER)


def late_hours(answered_at: datetime, due: datetime) -> float | None:
    """How many hours after the deadline an answer came, or None when in time."""
    if answered_at <= due:
        return None
    return round((answered_at - due).total_seconds() / 3600, 1)


def check_outcome(outcome: NumberOutcome, reason: str) -> None:
    """A refusal must say why; the other outcomes speak for themselves."""
    if outcome is NumberOutcome.REFUSED and not reason.strip():
        raise BadInput("a refusal needs its reason (--reason)")


def period_start(starts_on: date, every_days: int, today: date) -> date | None:
    """The start of the template period `today` falls in, or None before the first."""
    if every_days < 1:
        raise BadInput("a template repeats every day at the most often")
    if today < starts_on:
        return None
    return starts_on + timedelta(days=((today - starts_on).days // every_days) * every_days)
