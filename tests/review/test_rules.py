"""Case status rules, move by move, and the queue's priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shaheen.errors import IllegalTransition
from shaheen.review.enums import CaseStatus as C
from shaheen.review.enums import Verdict
from shaheen.review.rules import (
    DECIDABLE,
    OPEN_STATUSES,
    TRANSITIONS,
    case_priority,
    check_transition,
    status_after,
)

DECISIONS = {C.REFERRED, C.AWAITING_SECOND_REVIEW, C.DISMISSED, C.ESCALATED, C.NEEDS_TRANSLATION}
LEGAL = {
    (C.OPEN, C.IN_REVIEW),
    *((C.OPEN, to) for to in DECISIONS),
    *((C.IN_REVIEW, to) for to in DECISIONS),
    *((C.ESCALATED, to) for to in DECISIONS),
    *((C.NEEDS_TRANSLATION, to) for to in DECISIONS),
    (C.AWAITING_SECOND_REVIEW, C.REFERRED),
    (C.AWAITING_SECOND_REVIEW, C.DISMISSED),
    (C.REFERRED, C.CLOSED),
    (C.OPEN, C.CLOSED),  # a re-score took away the case's only reason, nobody decided
    (C.IN_REVIEW, C.CLOSED),
}


@pytest.mark.parametrize("current", list(C))
@pytest.mark.parametrize("target", list(C))
def test_every_move(current: C, target: C) -> None:
    if (current, target) in LEGAL:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition, match=f"from {current.value} to {target.value}"):
            check_transition(current, target)


def test_final_statuses_say_so() -> None:
    with pytest.raises(IllegalTransition, match=r"nothing \(final\)"):
        check_transition(C.DISMISSED, C.OPEN)
    assert TRANSITIONS[C.CLOSED] == frozenset()


def test_open_and_decidable_statuses() -> None:
    assert set(OPEN_STATUSES) == {
        C.OPEN,
        C.IN_REVIEW,
        C.AWAITING_SECOND_REVIEW,
        C.ESCALATED,
        C.NEEDS_TRANSLATION,
    }
    assert set(OPEN_STATUSES) == DECIDABLE


@pytest.mark.parametrize(
    ("verdict", "high_impact", "is_second", "expected"),
    [
        (Verdict.REFER, False, False, C.REFERRED),
        (Verdict.REFER, True, False, C.AWAITING_SECOND_REVIEW),
        (Verdict.REFER, True, True, C.REFERRED),
        (Verdict.DISMISS, True, False, C.DISMISSED),
        (Verdict.ESCALATE, False, False, C.ESCALATED),
        (Verdict.NEEDS_TRANSLATION, False, False, C.NEEDS_TRANSLATION),
    ],
)
def test_where_a_decision_leads(
    verdict: Verdict, high_impact: bool, is_second: bool, expected: C
) -> None:
    assert status_after(verdict, high_impact=high_impact, is_second=is_second) is expected


def test_priority_weighs_risk_reach_and_recency() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert case_priority(0.9, 10_000) > case_priority(0.9, 100) > case_priority(0.5, 100)
    today = case_priority(0.9, 10_000, now, now)
    month = case_priority(0.9, 10_000, now - timedelta(days=30), now)
    assert today == case_priority(0.9, 10_000) and 0.5 < month / today < 0.6
