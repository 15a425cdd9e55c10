"""Task rules, move by move: every pair of statuses, who may make a move, the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shaheen.errors import BadInput, Forbidden, IllegalTransition
from shaheen.tasks import rules
from shaheen.tasks.enums import NumberOutcome
from shaheen.tasks.enums import TaskStatus as S

LEGAL = {
    (S.ISSUED, S.ACKNOWLEDGED),
    (S.ISSUED, S.ANSWERED),
    (S.ACKNOWLEDGED, S.ANSWERED),
    (S.ANSWERED, S.ANSWERED),
    (S.ANSWERED, S.CLOSED),
    (S.ANSWERED, S.ACCEPTED),
    (S.ANSWERED, S.REOPENED),
    (S.CLOSED, S.ACCEPTED),
    (S.CLOSED, S.REOPENED),
    (S.REOPENED, S.ACKNOWLEDGED),
    (S.REOPENED, S.ANSWERED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_move(current: S, target: S) -> None:
    if (current, target) in LEGAL:
        rules.check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition, match=f"from {current.value} to {target.value}"):
            rules.check_transition(current, target)


@pytest.mark.parametrize("target", list(S))
def test_each_side_makes_its_own_moves(target: S) -> None:
    issuer_move = target in (S.ACCEPTED, S.REOPENED)
    if target is S.ISSUED:
        return  # nobody moves a task back to issued
    rules.check_mover(target, issuer=issuer_move)
    with pytest.raises(Forbidden):
        rules.check_mover(target, issuer=not issuer_move)


T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DUE = T0 + timedelta(days=7)


@pytest.mark.parametrize(
    ("status", "now", "level", "expected"),
    [
        (S.ISSUED, DUE - timedelta(minutes=1), 0, 0),
        (S.ISSUED, DUE, 0, rules.REMINDER),
        (S.ACKNOWLEDGED, DUE + timedelta(hours=47), 0, rules.REMINDER),
        (S.ACKNOWLEDGED, DUE + rules.SUPERVISOR_AFTER, rules.REMINDER, rules.SUPERVISOR),
        (S.REOPENED, DUE + timedelta(days=30), 0, rules.SUPERVISOR),
        (S.ANSWERED, DUE + timedelta(days=30), 0, 0),  # answered: the clock stopped
        (S.CLOSED, DUE + timedelta(days=30), rules.REMINDER, rules.REMINDER),  # never lower
    ],
)
def test_escalation(status: S, now: datetime, level: int, expected: int) -> None:
    assert rules.escalation_due(status, DUE, level, now) == expected


def test_late_hours() -> None:
    assert rules.late_hours(DUE, DUE) is None
    assert rules.late_hours(DUE + timedelta(hours=61, minutes=30), DUE) == 61.5


def test_deadlines() -> None:
    rules.check_due(T0 + timedelta(days=7), T0)
    with pytest.raises(BadInput, match="ahead"):
        rules.check_due(T0, T0)
    with pytest.raises(BadInput, match="within a year"):
        rules.check_due(T0 + timedelta(days=400), T0)


def test_a_refusal_needs_a_reason() -> None:
    rules.check_outcome(NumberOutcome.SIM_BLOCKED, "")
    rules.check_outcome(NumberOutcome.REFUSED, "no court order")
    with pytest.raises(BadInput, match="reason"):
        rules.check_outcome(NumberOutcome.REFUSED, "  ")


def test_template_periods() -> None:
    monday = date(2026, 11, 30)
    assert rules.period_start(monday, 7, monday - timedelta(days=1)) is None
    assert rules.period_start(monday, 7, monday) == monday
    assert rules.period_start(monday, 7, monday + timedelta(days=6)) == monday
    assert rules.period_start(monday, 7, monday + timedelta(days=7)) == monday + timedelta(days=7)
    with pytest.raises(BadInput):
        rules.period_start(monday, 0, monday)
