"""Shapes of the figures `shaheen stats` prints, and of the reports' figures that
`shaheen report`, the API and the templates give."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class PlatformStats(BaseModel):
    """The counts for one platform (or `unknown` for errors not tied to one)."""

    platform: str
    accounts: int = 0
    posts: int = 0
    media: int = 0
    signals: int = 0
    open_cases: int = 0
    referrals: dict[str, int] = Field(default_factory=dict)
    ingest_errors: int = 0


class Stats(BaseModel):
    """Per-platform counts and their totals."""

    platforms: list[PlatformStats]
    totals: PlatformStats


# -- the reports' figures (see definitions.py for what each one counts) ----------------------
#
# Counts and rates are `None` only in a published report, where they were suppressed
# (see `flows.publish`); the figures as computed always carry numbers.


class TimeToRemoval(BaseModel):
    """Hours from sending to the first removal or geo-block."""

    count: int | None = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    within_1h: float | None = None
    within_24h: float | None = None
    within_72h: float | None = None
    distribution: dict[str, int | None] = Field(default_factory=dict)  # rules.DURATION_BINS


class Outcomes(BaseModel):
    """What became of one cohort of referrals (one platform, agency, organisation or all)."""

    key: str = "all"
    name: str = "All"
    sent: int | None = 0
    removed: int | None = 0
    geo_blocked: int | None = 0
    rejected: int | None = 0
    no_answer: int | None = 0
    pending: int | None = 0
    reinstated: int | None = 0
    answered: int | None = 0
    answered_within_sla: int | None = 0
    compliance: float | None = None
    no_answer_share: float | None = None
    within_sla: float | None = None
    time_to_removal: TimeToRemoval = Field(default_factory=TimeToRemoval)
    accounts_removed: int | None = 0
    followers_of_removed: int | None = 0


class BacklogFigures(BaseModel):
    """Unanswered referrals and open review cases at the cut-off."""

    referrals: int | None = 0
    median_age_hours: float | None = None
    oldest_age_hours: float | None = None
    by_age: dict[str, int | None] = Field(default_factory=dict)
    by_platform: dict[str, int | None] = Field(default_factory=dict)
    review_cases: int | None = 0
    review_oldest_hours: float | None = None


class TrendWeek(BaseModel):
    """One week of the trend: its cohort's referrals and removals, and the backlog at its
    end (or at the cut-off, for a week not over by then)."""

    week: str
    start: datetime
    sent: int | None = 0
    acted: int | None = 0
    backlog: int | None = 0


class Precision(BaseModel):
    """Decided cases and how many were referred, for one detector, language or group."""

    key: str
    decided: int | None = 0
    referred: int | None = 0
    dismissed: int | None = 0
    precision: float | None = None


class DetectorQuality(BaseModel):
    by_detector: list[Precision] = Field(default_factory=list)
    by_language: list[Precision] = Field(default_factory=list)
    by_organisation: list[Precision] = Field(default_factory=list)


class TaskTimeliness(BaseModel):
    """Tasks issued in the period to one agency, and how it answered them."""

    agency: str
    issued: int | None = 0
    answered: int | None = 0
    on_time: int | None = 0
    overdue_open: int | None = 0
    on_time_share: float | None = None


class TaskFigures(BaseModel):
    """Tasks between agencies and regulators' outcomes for phone numbers."""

    by_agency: list[TaskTimeliness] = Field(default_factory=list)
    # Phone numbers sent to regulators, to date (tasks' `number_outcomes`).
    numbers: dict[str, int | None] = Field(default_factory=dict)


class PeriodView(BaseModel):
    kind: str
    label: str
    zone: str
    first_day: date
    last_day: date
    start: datetime
    end: datetime
    description: str


class DefinitionView(BaseModel):
    key: str
    name: str
    text: str


class Report(BaseModel):
    """Every figure of one report, as the templates, the CSV, JSON and the API give it."""

    kind: str  # weekly | monthly | transparency
    title: str
    period: PeriodView
    previous_period: PeriodView
    cutoff: datetime
    generated_at: datetime
    # Set on a published report: counts from 1 to this minus one are hidden (None).
    suppressed_below: int | None = None
    totals: Outcomes
    previous: Outcomes
    by_platform: list[Outcomes] = Field(default_factory=list)
    by_agency: list[Outcomes] = Field(default_factory=list)
    by_organisation: list[Outcomes] = Field(default_factory=list)
    backlog: BacklogFigures = Field(default_factory=BacklogFigures)
    trend: list[TrendWeek] = Field(default_factory=list)
    quality: DetectorQuality = Field(default_factory=DetectorQuality)
    tasks: TaskFigures | None = None
    definitions: list[DefinitionView] = Field(default_factory=list)
