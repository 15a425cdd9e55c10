"""Periods in the report's zone, suppression, and the statistics of times to removal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shaheen.errors import BadInput
from shaheen.reports import rules

ZONE = "Asia/Karachi"
# Monday 16 February 2026, 03:00 in Karachi, but still Sunday in UTC
NOW = datetime(2026, 2, 15, 22, tzinfo=UTC)


def test_last_complete_week_is_counted_in_the_zone_not_utc() -> None:
    week = rules.parse_period("last-week", zone=ZONE, now=NOW)
    assert week.label == "2026-W07"
    assert (week.first_day, week.last_day) == (date(2026, 2, 9), date(2026, 2, 15))
    assert week.start == datetime(2026, 2, 8, 19, tzinfo=UTC)
    assert week.end == datetime(2026, 2, 15, 19, tzinfo=UTC)
    # in UTC it is still that week's Sunday: the last complete week would be W06
    assert rules.parse_period("last-week", zone="UTC", now=NOW).label == "2026-W06"
    assert "Mon 9 Feb 2026" in week.describe() and ZONE in week.describe()


@pytest.mark.parametrize(
    ("text", "label", "first", "end"),
    [
        ("2026-W01", "2026-W01", date(2025, 12, 29), date(2026, 1, 5)),
        ("2026-02", "2026-02", date(2026, 2, 1), date(2026, 3, 1)),
        ("2025-12", "2025-12", date(2025, 12, 1), date(2026, 1, 1)),
        ("2026-Q4", "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026", "2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-02-01..2026-02-11", "2026-02-01..2026-02-11", date(2026, 2, 1), date(2026, 2, 11)),
        ("last-month", "2026-01", date(2026, 1, 1), date(2026, 2, 1)),
        ("this-month", "2026-02", date(2026, 2, 1), date(2026, 3, 1)),
        ("last-quarter", "2025-Q4", date(2025, 10, 1), date(2026, 1, 1)),
    ],
)
def test_periods_parse(text: str, label: str, first: date, end: date) -> None:
    period = rules.parse_period(text, zone=ZONE, now=NOW)
    assert (period.label, period.first_day, period.end_day) == (label, first, end)


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("2026-W01", "2025-W52"),
        ("2026-03", "2026-02"),
        ("2026-01", "2025-12"),
        ("2026-Q1", "2025-Q4"),
        ("2026", "2025"),
        ("2026-02-11..2026-02-21", "2026-02-01..2026-02-11"),
    ],
)
def test_previous_period(text: str, previous: str) -> None:
    assert rules.parse_period(text, zone=ZONE, now=NOW).previous().label == previous


@pytest.mark.parametrize("text", ["W07", "2026-W60", "2026-13", "2026-02-11..2026-02-01", ""])
def test_bad_periods_are_refused_by_name(text: str) -> None:
    with pytest.raises(BadInput, match="period"):
        rules.parse_period(text, zone=ZONE, now=NOW)


def test_trend_weeks_end_with_the_periods_last_week() -> None:
    month = rules.parse_period("2026-01", zone=ZONE, now=NOW)
    weeks = month.trend_weeks(3)
    assert [w.label for w in weeks] == ["2026-W03", "2026-W04", "2026-W05"]


def test_suppression_hides_small_counts_but_not_zero() -> None:
    assert [rules.show_count(n, 5) for n in (0, 1, 4, 5, 1234)] == [
        "0",
        "< 5",
        "< 5",
        "5",
        "1,234",
    ]
    assert rules.show_count(3, None) == "3"


def test_durations_median_p90_and_shares() -> None:
    stats = rules.durations([100.0, 2.0, 30.0, 2.0])
    assert stats.count == 4
    assert stats.median_hours == 16.0
    assert stats.p90_hours == pytest.approx(79.0)  # as percentile_cont(0.9)
    assert stats.within == {1: 0.0, 24: 0.5, 72: 0.75}
    assert stats.bins == {"≤ 1 h": 0, "1–6 h": 2, "6–24 h": 0, "1–3 d": 1, "3–7 d": 1, "> 7 d": 0}
    empty = rules.durations([])
    assert (empty.count, empty.median_hours, empty.within[24]) == (0, None, None)
