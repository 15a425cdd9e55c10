"""The referral's pure rules: every move of the transition table, SLA clocks, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shaheen.errors import IllegalTransition
from shaheen.referral import rules
from shaheen.referral.enums import ReferralStatus as S

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MOVES = [(a, b) for a in S for b in S]


@pytest.mark.parametrize(("current", "target"), MOVES, ids=lambda s: s.value)
def test_every_move_is_allowed_exactly_when_the_table_says(current: S, target: S) -> None:
    if target in rules.TRANSITIONS[current]:
        rules.check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition, match=f"from {current.value} to {target.value}"):
            rules.check_transition(current, target)


def test_the_table_covers_every_status_and_rejected_is_final() -> None:
    assert set(rules.TRANSITIONS) == set(S)
    assert not rules.TRANSITIONS[S.REJECTED]
    with pytest.raises(IllegalTransition, match=r"nothing \(final\)"):
        rules.check_transition(S.REJECTED, S.SENT)
    assert all(S.DRAFT not in targets for targets in rules.TRANSITIONS.values())


@pytest.mark.parametrize(
    ("status", "hours_after_sent", "level", "expected"),
    [
        (S.SENT, 47, 0, 0),  # not yet due
        (S.SENT, 48, 0, rules.REMINDER),  # due: a reminder
        (S.ACKNOWLEDGED, 95, 0, rules.REMINDER),
        (S.SENT, 96, rules.REMINDER, rules.SUPERVISOR),  # one more SLA period: supervisors
        (S.REMOVED, 200, 0, 0),  # answered: the clock stopped
        (S.SENT, 10, rules.REMINDER, rules.REMINDER),  # never lowered
    ],
)
def test_escalation_in_two_steps(
    status: S, hours_after_sent: int, level: int, expected: int
) -> None:
    due = rules.due_at(T0, 48)
    assert due == T0 + timedelta(hours=48)
    now = T0 + timedelta(hours=hours_after_sent)
    assert rules.escalation_due(status, due, level, 48, now) == expected


def test_no_clock_without_a_due_time() -> None:
    assert rules.escalation_due(S.SENT, None, 0, 48, T0 + timedelta(days=30)) == 0
