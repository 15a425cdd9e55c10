"""Pure rules of the reports: periods in the report's time zone, the previous period,
the trend's weeks, small-count suppression and the statistics of times to removal.

Periods are half-open, `[start, end)`, computed in a named zone and handed to the
database as UTC instants: a week in Karachi starts at Monday 00:00 PKT, which is Sunday
19:00 UTC, and a report that cut weeks in UTC would move five hours of every week's
referrals into the wrong one.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from shaheen.errors import BadInput
from shaheen.reports.definitions import WITHIN_HOURS


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span of local calendar time, with its UTC bounds."""

    kind: PeriodKind
    label: str  # 2026-W07, 2026-02, 2026-Q1, 2026, 2026-02-01..2026-02-15
    zone: str
    first_day: date  # local, inclusive
    end_day: date  # local, exclusive

    @property
    def start(self) -> datetime:
        return _utc(self.first_day, self.zone)

    @property
    def end(self) -> datetime:
        return _utc(self.end_day, self.zone)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    def describe(self) -> str:
        """`2026-W07 (Mon 9 Feb – Sun 15 Feb 2026, Asia/Karachi)`."""
        first, last = self.first_day, self.last_day
        return (
            f"{self.label} ({first:%a} {first.day} {first:%b} {first.year} – "
            f"{last:%a} {last.day} {last:%b} {last.year}, {self.zone})"
        )

    def previous(self) -> Period:
        """The period of the same kind just before (for a range: the same length)."""
        if self.kind is PeriodKind.WEEK:
            return week_of(self.first_day - timedelta(days=7), self.zone)
        if self.kind is PeriodKind.MONTH:
            return month_of(self.first_day - timedelta(days=1), self.zone)
        if self.kind is PeriodKind.QUARTER:
            return quarter_of(self.first_day - timedelta(days=1), self.zone)
        if self.kind is PeriodKind.YEAR:
            return year_of(self.first_day.year - 1, self.zone)
        length = self.end_day - self.first_day
        return range_of(self.first_day - length, self.first_day, self.zone)

    def trend_weeks(self, count: int) -> list[Period]:
        """The `count` calendar weeks ending with the one holding the period's last day."""
        last = week_of(self.last_day, self.zone)
        return [week_of(last.first_day - timedelta(days=7 * i), self.zone) for i in range(count)][
            ::-1
        ]


def _utc(day: date, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def week_of(day: date, zone: str) -> Period:
    monday = day - timedelta(days=day.weekday())
    year, week, _ = monday.isocalendar()
    return Period(PeriodKind.WEEK, f"{year}-W{week:02d}", zone, monday, monday + timedelta(days=7))


def month_of(day: date, zone: str) -> Period:
    first = day.replace(day=1)
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Period(PeriodKind.MONTH, f"{first:%Y-%m}", zone, first, end)


def quarter_of(day: date, zone: str) -> Period:
    quarter = (day.month - 1) // 3
    first = date(day.year, 3 * quarter + 1, 1)
    end = date(day.year + (quarter == 3), (3 * quarter + 3) % 12 + 1, 1)
    return Period(PeriodKind.QUARTER, f"{day.year}-Q{quarter + 1}", zone, first, end)


def year_of(year: int, zone: str) -> Period:
    return Period(PeriodKind.YEAR, str(year), zone, date(year, 1, 1), date(year + 1, 1, 1))


def range_of(first: date, end: date, zone: str) -> Period:
    if end <= first:
        raise BadInput(f"the period {first}..{end} is empty: its end must come after its start")
    return Period(PeriodKind.RANGE, f"{first}..{end}", zone, first, end)


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def last_complete(kind: PeriodKind, now: datetime, zone: str) -> Period:
    """The last week, month, quarter or year that ended before `now` in `zone`."""
    today = local_today(now, zone)
    if kind is PeriodKind.WEEK:
        return week_of(today, zone).previous()
    if kind is PeriodKind.MONTH:
        return month_of(today, zone).previous()
    if kind is PeriodKind.QUARTER:
        return quarter_of(today, zone).previous()
    if kind is PeriodKind.YEAR:
        return year_of(today.year - 1, zone)
    raise BadInput("a range has no default: give --period FIRST..END")


_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"\d{4}")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
PERIOD_HELP = (
    "last-week, this-week, last-month, this-month, last-quarter, 2026-W07, 2026-02, "
    "2026-Q1, 2026, or FIRST..END (local dates, END exclusive)"
)


def parse_period(text: str, *, zone: str, now: datetime) -> Period:
    """A period from the command line or the API, in `zone`."""
    value = text.strip()
    today = local_today(now, zone)
    named = {
        "last-week": lambda: last_complete(PeriodKind.WEEK, now, zone),
        "this-week": lambda: week_of(today, zone),
        "last-month": lambda: last_complete(PeriodKind.MONTH, now, zone),
        "this-month": lambda: month_of(today, zone),
        "last-quarter": lambda: last_complete(PeriodKind.QUARTER, now, zone),
        "last-year": lambda: last_complete(PeriodKind.YEAR, now, zone),
    }
    try:
        if value in named:
            return named[value]()
        if match := _WEEK.fullmatch(value):
            return week_of(date.fromisocalendar(int(match[1]), int(match[2]), 1), zone)
        if match := _QUARTER.fullmatch(value):
            return quarter_of(date(int(match[1]), 3 * int(match[2]) - 2, 1), zone)
        if match := _MONTH.fullmatch(value):
            return month_of(date(int(match[1]), int(match[2]), 1), zone)
        if _YEAR.fullmatch(value):
            return year_of(int(value), zone)
        if match := _RANGE.fullmatch(value):
            return range_of(date.fromisoformat(match[1]), date.fromisoformat(match[2]), zone)
    except ValueError:
        pass  # 2026-W60, 2026-13: the shape is right, the date is not
    raise BadInput(f"not a period: {text!r}; use {PERIOD_HELP}")


# -- suppression -----------------------------------------------------------------------------


def suppressed(count: int, threshold: int) -> bool:
    """Whether a published report must hide `count` (1 ≤ count < threshold)."""
    return 0 < count < threshold


def show_count(count: int, threshold: int | None) -> str:
    """A count as a report prints it: `< 5` when suppressed, else with separators."""
    if threshold is not None and suppressed(count, threshold):
        return f"< {threshold}"
    return f"{count:,}"


# -- times to removal ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Durations:
    """Hours from sending to removal over a set of referrals."""

    count: int
    median_hours: float | None
    p90_hours: float | None
    within: dict[int, float | None]  # hours → share removed that fast
    bins: dict[str, int]  # the distribution, in DURATION_BINS


#: The time-to-removal distribution's bins: label and upper bound in hours (inclusive).
DURATION_BINS: tuple[tuple[str, float], ...] = (
    ("≤ 1 h", 1),
    ("1–6 h", 6),
    ("6–24 h", 24),
    ("1–3 d", 72),
    ("3–7 d", 168),
    ("> 7 d", math.inf),
)


def binned(values: Sequence[float]) -> dict[str, int]:
    counts = dict.fromkeys((label for label, _ in DURATION_BINS), 0)
    for value in values:
        label = next(label for label, upper in DURATION_BINS if value <= upper)
        counts[label] += 1
    return counts


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's `percentile_cont`."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def durations(hours: Sequence[float]) -> Durations:
    values = sorted(hours)
    if not values:
        return Durations(0, None, None, dict.fromkeys(WITHIN_HOURS), binned(()))
    return Durations(
        count=len(values),
        median_hours=statistics.median(values),
        p90_hours=percentile(values, 0.9),
        within={h: sum(1 for v in values if v <= h) / len(values) for h in WITHIN_HOURS},
        bins=binned(values),
    )


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
