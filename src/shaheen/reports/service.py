"""The figures every stage adds to: per platform, what is stored and where it stands
(`collect`, for `shaheen stats`); and the reports' figures of a period, computed from
the event records (`compute`), as `definitions.py` defines them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    distinct,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, require
from shaheen.agencies.models import Agency
from shaheen.detect.models import Signal
from shaheen.ingest.models import Account, FollowerObservation, IngestError, Post, PostMedia
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent, ReferralItem
from shaheen.reports import rules
from shaheen.reports.definitions import ACTED, ANSWERS, DEFINITIONS, TREND_WEEKS
from shaheen.reports.schemas import (
    BacklogFigures,
    DefinitionView,
    DetectorQuality,
    Outcomes,
    PeriodView,
    PlatformStats,
    Precision,
    Report,
    Stats,
    TaskFigures,
    TaskTimeliness,
    TimeToRemoval,
    TrendWeek,
)
from shaheen.review.enums import Verdict
from shaheen.review.models import Case, Decision
from shaheen.review.rules import OPEN_STATUSES
from shaheen.store.base import utcnow
from shaheen.tasks import service as task_service
from shaheen.tasks.models import Task, TaskAssignment

UNKNOWN_PLATFORM = "unknown"


def _by_platform(session: Session, query: Select[Any, Any]) -> dict[int | None, int]:
    return {platform_id: count for platform_id, count in session.execute(query)}


def collect(*, session: Session) -> Stats:
    """Count accounts, posts, media, signals, open cases, referrals and ingest errors."""
    platforms = {p.id: p.code for p in session.scalars(select(Platform).order_by(Platform.code))}
    accounts = _by_platform(
        session, select(Account.platform_id, func.count()).group_by(Account.platform_id)
    )
    posts = _by_platform(session, select(Post.platform_id, func.count()).group_by(Post.platform_id))
    media = _by_platform(
        session,
        select(Post.platform_id, func.count(distinct(PostMedia.media_id)))
        .select_from(PostMedia)
        .join(Post, Post.id == PostMedia.post_id)
        .group_by(Post.platform_id),
    )
    signals = _by_platform(
        session, select(Signal.platform_id, func.count()).group_by(Signal.platform_id)
    )
    open_cases = _by_platform(
        session,
        select(Account.platform_id, func.count())
        .select_from(Case)
        .join(Account, Account.id == Case.account_id)
        .where(Case.status.in_(OPEN_STATUSES))
        .group_by(Account.platform_id),
    )
    errors = _by_platform(
        session, select(IngestError.platform_id, func.count()).group_by(IngestError.platform_id)
    )
    referrals: dict[int, dict[str, int]] = {}
    for platform_id, status, count in session.execute(
        select(Referral.platform_id, Referral.status, func.count()).group_by(
            Referral.platform_id, Referral.status
        )
    ):
        referrals.setdefault(platform_id, {})[ReferralStatus(status).value] = count

    rows = [
        PlatformStats(
            platform=code,
            accounts=accounts.get(pid, 0),
            posts=posts.get(pid, 0),
            media=media.get(pid, 0),
            signals=signals.get(pid, 0),
            open_cases=open_cases.get(pid, 0),
            referrals=referrals.get(pid, {}),
            ingest_errors=errors.get(pid, 0),
        )
        for pid, code in platforms.items()
    ]
    if errors.get(None):
        rows.append(PlatformStats(platform=UNKNOWN_PLATFORM, ingest_errors=errors[None]))
    return Stats(platforms=rows, totals=_total(rows))


def _total(rows: Iterable[PlatformStats]) -> PlatformStats:
    total = PlatformStats(platform="all")
    for row in rows:
        total.accounts += row.accounts
        total.posts += row.posts
        total.media += row.media
        total.signals += row.signals
        total.open_cases += row.open_cases
        total.ingest_errors += row.ingest_errors
        for status, count in row.referrals.items():
            total.referrals[status] = total.referrals.get(status, 0) + count
    return total


def figures(*, session: Session, by: Principal) -> Stats:
    """`collect` for a principal: counts are no one agency's data and name no one, so
    whoever reads cases or the audit log may see them."""
    if Action.AUDIT_READ not in by.actions:
        require(by, Action.CASE_READ)
    return collect(session=session)


# -- the reports' figures, from the event records --------------------------------------------
#
# Every figure below is computed from referral events, decisions, cases and follower
# observations as they stood at the cut-off; nothing reads a stored counter or a
# referral's current status, which a later event would have changed. The database does
# the aggregation: one pass over the events gives each referral's facts (when it was
# sent, first acted on, first answered; which answers it ever got), and GROUP BY turns
# those into counts per platform × agency × organisation, which add up into every
# breakdown and the totals. Python sees one row per group, and one row per removed
# referral for the times to removal.

E = ReferralEvent
S = ReferralStatus


def _ever(status: ReferralStatus) -> ColumnElement[Any]:
    return func.max(case((E.to_status == status, 1), else_=0))


def _facts(cutoff: datetime, cohort: tuple[datetime, datetime] | None = None) -> Subquery:
    """One row per referral sent by the cut-off: its facts from its events up to then.

    With `cohort`, only referrals first sent in `[start, end)` (a referral is sent once:
    the rules allow `sent` only from `draft`, so its one `sent` event is its first)."""
    query = (
        select(
            E.referral_id.label("referral_id"),
            func.min(case((E.to_status == S.SENT, E.occurred_at))).label("sent_at"),
            func.min(case((E.to_status.in_(ACTED), E.occurred_at))).label("acted_at"),
            func.min(case((E.to_status.in_(ANSWERS), E.occurred_at))).label("answered_at"),
            _ever(S.REMOVED).label("removed"),
            _ever(S.GEO_BLOCKED).label("geo_blocked"),
            _ever(S.REJECTED).label("rejected"),
            _ever(S.NO_RESPONSE).label("no_response"),
            _ever(S.REINSTATED).label("reinstated"),
        )
        .where(E.occurred_at <= cutoff)
        .group_by(E.referral_id)
    )
    if cohort is not None:
        sent_in = select(E.referral_id).where(
            E.to_status == S.SENT, E.occurred_at >= cohort[0], E.occurred_at < cohort[1]
        )
        query = query.where(E.referral_id.in_(sent_in))
    return query.subquery("facts")


@dataclass
class _Tally:
    """Additive counts of one group of referrals."""

    sent: int = 0
    removed: int = 0
    geo_blocked: int = 0
    rejected: int = 0
    no_answer: int = 0
    pending: int = 0
    reinstated: int = 0
    answered: int = 0
    within_sla: int = 0
    hours: list[float] = field(default_factory=list)
    accounts: dict[int, int] = field(default_factory=dict)  # account id → followers

    def add(self, row: Any) -> None:
        self.sent += row.sent
        self.removed += row.removed
        self.geo_blocked += row.geo_blocked
        self.rejected += row.rejected
        self.no_answer += row.no_answer
        self.pending += row.pending
        self.reinstated += row.reinstated
        self.answered += row.answered
        self.within_sla += row.within_sla

    def outcomes(self, key: str, name: str) -> Outcomes:
        acted = self.removed + self.geo_blocked
        stats = rules.durations(self.hours)
        return Outcomes(
            key=key,
            name=name,
            sent=self.sent,
            removed=self.removed,
            geo_blocked=self.geo_blocked,
            rejected=self.rejected,
            no_answer=self.no_answer,
            pending=self.pending,
            reinstated=self.reinstated,
            answered=self.answered,
            answered_within_sla=self.within_sla,
            compliance=rules.rate(acted, acted + self.rejected),
            no_answer_share=rules.rate(self.no_answer, self.sent),
            within_sla=rules.rate(self.within_sla, self.answered),
            time_to_removal=TimeToRemoval(
                count=stats.count,
                median_hours=stats.median_hours,
                p90_hours=stats.p90_hours,
                within_1h=stats.within[1],
                within_24h=stats.within[24],
                within_72h=stats.within[72],
                distribution=dict(stats.bins),
            ),
            accounts_removed=len(self.accounts),
            followers_of_removed=sum(self.accounts.values()),
        )


GroupKey = tuple[int, int, int | None]  # platform, agency, organisation


@dataclass
class _Cohort:
    groups: dict[GroupKey, _Tally]

    def roll_up(self, part: Callable[[GroupKey], int | None]) -> dict[int | None, _Tally]:
        merged: dict[int | None, _Tally] = {}
        for key, tally in self.groups.items():
            into = merged.setdefault(part(key), _Tally())
            into.add(tally)
            into.hours.extend(tally.hours)
            for account, followers in tally.accounts.items():
                into.accounts[account] = max(followers, into.accounts.get(account, 0))
        return merged


def _cohorts(
    session: Session, spans: Sequence[tuple[datetime, datetime]], cutoff: datetime
) -> list[_Cohort]:
    """The cohorts of several periods (the report's and the one before) from two passes
    over the events: the counts, grouped by period and key; and the acted-on referrals,
    for their times and the accounts they removed."""
    facts = _facts(cutoff, (min(s for s, _ in spans), max(e for _, e in spans)))
    acted = or_(facts.c.removed == 1, facts.c.geo_blocked == 1)
    unanswered = facts.c.answered_at.is_(None)
    bucket = case(
        *((and_(facts.c.sent_at >= s, facts.c.sent_at < e), i) for i, (s, e) in enumerate(spans)),
        else_=-1,
    ).label("bucket")

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    keys = (Referral.platform_id, Referral.agency_id, Case.organisation_id)
    rows = session.execute(
        select(
            bucket,
            *keys,
            func.count().label("sent"),
            total(facts.c.removed == 1).label("removed"),
            total(and_(facts.c.removed == 0, facts.c.geo_blocked == 1)).label("geo_blocked"),
            total(and_(~acted, facts.c.rejected == 1)).label("rejected"),
            total(and_(unanswered, facts.c.no_response == 1)).label("no_answer"),
            total(and_(unanswered, facts.c.no_response == 0)).label("pending"),
            total(and_(acted, facts.c.reinstated == 1)).label("reinstated"),
            total(facts.c.answered_at.is_not(None)).label("answered"),
            total(facts.c.answered_at <= Referral.due_at).label("within_sla"),
        )
        .select_from(facts)
        .join(Referral, Referral.id == facts.c.referral_id)
        .outerjoin(Case, Case.id == Referral.case_id)
        .group_by(bucket, *keys)
    ).all()
    cohorts = [_Cohort({}) for _ in spans]
    for row in rows:
        if row[0] >= 0:
            cohorts[row[0]].groups.setdefault((row[1], row[2], row[3]), _Tally()).add(row)
    # One row per acted-on referral and account it names: the time to removal (counted
    # once per referral), and the followers each account had when last counted before
    # the removal (else as the account row has them).
    followers_then = (
        select(FollowerObservation.followers)
        .where(
            FollowerObservation.account_id == Account.id,
            FollowerObservation.observed_at <= facts.c.acted_at,
        )
        .order_by(FollowerObservation.observed_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    timed: set[int] = set()
    for (
        index,
        platform_id,
        agency_id,
        organisation_id,
        referral_id,
        hours_from,
        at,
        account,
        n,
    ) in session.execute(
        select(
            bucket,
            *keys,
            facts.c.referral_id,
            facts.c.sent_at,
            facts.c.acted_at,
            Account.id,
            func.coalesce(followers_then, Account.followers, 0),
        )
        .select_from(facts)
        .join(Referral, Referral.id == facts.c.referral_id)
        .outerjoin(Case, Case.id == Referral.case_id)
        .outerjoin(ReferralItem, ReferralItem.referral_id == Referral.id)
        .outerjoin(Account, Account.id == ReferralItem.account_id)
        .where(facts.c.acted_at.is_not(None))
    ):
        if index < 0:
            continue
        tally = cohorts[index].groups[(platform_id, agency_id, organisation_id)]
        if referral_id not in timed:
            timed.add(referral_id)
            tally.hours.append((at - hours_from).total_seconds() / 3600.0)
        if account is not None:
            tally.accounts[account] = max(int(n), tally.accounts.get(account, 0))
    return cohorts


def _names(session: Session, model: Any, label: Any) -> dict[int, str]:
    return {id_: str(name) for id_, name in session.execute(select(model.id, label))}


def _backlog(
    session: Session, cutoff: datetime, weeks: list[rules.Period]
) -> tuple[BacklogFigures, list[int]]:
    """Unanswered referrals at the cut-off, with their ages; and the backlog at the end
    of each trend week (or the cut-off, if sooner), from one pass over the events."""
    facts = _facts(cutoff)
    waiting = and_(facts.c.sent_at.is_not(None), facts.c.answered_at.is_(None))

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    ages = [
        (label, and_(waiting, facts.c.sent_at > cutoff - timedelta(hours=low)))
        for label, low in (("under 24 h", 24), ("1–3 days", 72), ("3–7 days", 168))
    ]
    columns = [
        total(waiting).label("waiting"),
        func.min(case((waiting, facts.c.sent_at))).label("oldest"),
        *(total(condition) for _, condition in ages),
    ]
    for week in weeks:
        at = min(week.end, cutoff)
        columns.append(
            total(
                and_(
                    facts.c.sent_at <= at,
                    or_(facts.c.answered_at.is_(None), facts.c.answered_at > at),
                )
            )
        )
    platforms = _names(session, Platform, Platform.code)
    figures = BacklogFigures()
    trend = [0] * len(weeks)
    oldest: datetime | None = None
    by_age = dict.fromkeys([*(label for label, _ in ages), "over 7 days"], 0)
    waiting_total = 0
    for row in session.execute(
        select(Referral.platform_id, *columns)
        .select_from(facts)
        .join(Referral, Referral.id == facts.c.referral_id)
        .group_by(Referral.platform_id)
    ):
        platform_id, count, first = row[0], int(row[1]), row[2]
        waiting_total += count
        if count:
            figures.by_platform[platforms.get(platform_id, "?")] = count
        if first is not None and (oldest is None or first < oldest):
            oldest = first
        younger = 0
        for (label, _), value in zip(ages, row[3 : 3 + len(ages)], strict=True):
            by_age[label] += int(value) - younger
            younger = int(value)
        by_age["over 7 days"] += count - younger
        for i, value in enumerate(row[3 + len(ages) :]):
            trend[i] += int(value)
    figures.referrals = waiting_total
    figures.by_age = {label: n for label, n in by_age.items()}
    figures.oldest_age_hours = _hours(cutoff, oldest)
    # Review: opened by the cut-off, neither decided (refer or dismiss) nor closed by then.
    decided = (
        select(Decision.id)
        .where(
            Decision.case_id == Case.id,
            Decision.verdict.in_([Verdict.REFER, Verdict.DISMISS]),
            Decision.decided_at <= cutoff,
        )
        .exists()
    )
    open_cases, first_opened = session.execute(
        select(func.count(), func.min(Case.opened_at)).where(
            Case.opened_at <= cutoff,
            or_(Case.closed_at.is_(None), Case.closed_at > cutoff),
            ~decided,
        )
    ).one()
    figures.review_cases = int(open_cases)
    figures.review_oldest_hours = _hours(cutoff, first_opened)
    return figures, trend


def _hours(cutoff: datetime, since: datetime | None) -> float | None:
    return None if since is None else (cutoff - since).total_seconds() / 3600.0


def _trend_cohorts(
    session: Session, weeks: list[rules.Period], cutoff: datetime
) -> list[tuple[int, int]]:
    """Referrals sent in each week and how many of them were acted on by the cut-off."""
    facts = _facts(cutoff, (weeks[0].start, weeks[-1].end))
    bucket = case(
        *((facts.c.sent_at < week.end, i) for i, week in enumerate(weeks)), else_=len(weeks)
    ).label("week")
    counts = [(0, 0)] * len(weeks)
    for index, sent, acted in session.execute(
        select(
            bucket,
            func.count(),
            func.coalesce(func.sum(case((facts.c.acted_at.is_not(None), 1), else_=0)), 0),
        )
        .where(facts.c.sent_at >= weeks[0].start)
        .group_by(bucket)
    ):
        if 0 <= index < len(weeks):
            counts[index] = (int(sent), int(acted))
    return counts


def _precision(
    session: Session, start: datetime, end: datetime, cutoff: datetime
) -> DetectorQuality:
    """Referred share of the cases decided in the period, per detector, language and
    organisation a detector named; each case counted once per key."""
    ranked = (
        select(
            Decision.case_id,
            Decision.verdict,
            Decision.decided_at,
            func.row_number()
            .over(
                partition_by=Decision.case_id,
                order_by=(Decision.decided_at.desc(), Decision.id.desc()),
            )
            .label("rank"),
        )
        .where(
            Decision.verdict.in_([Verdict.REFER, Verdict.DISMISS]),
            Decision.decided_at <= cutoff,
        )
        .subquery()
    )
    verdicts = (
        select(
            ranked.c.case_id,
            ranked.c.verdict,
            ranked.c.decided_at,
            Case.account_id,
            Case.language,
        )
        .join(Case, Case.id == ranked.c.case_id)
        .where(ranked.c.rank == 1, ranked.c.decided_at >= start, ranked.c.decided_at < end)
        .subquery()
    )
    # Which account each signal is about: its own, its post's author, or (for media) the
    # author of a post carrying the media.
    by_account = select(
        Signal.detector, Signal.organisation_id, Signal.created_at, Signal.account_id
    ).where(Signal.account_id.is_not(None))
    by_post = (
        select(Signal.detector, Signal.organisation_id, Signal.created_at, Post.account_id)
        .join(Post, Post.id == Signal.post_id)
        .where(Signal.account_id.is_(None))
    )
    by_media = (
        select(Signal.detector, Signal.organisation_id, Signal.created_at, Post.account_id)
        .join(PostMedia, PostMedia.media_id == Signal.media_id)
        .join(Post, Post.id == PostMedia.post_id)
        .where(Signal.account_id.is_(None), Signal.post_id.is_(None))
    )
    flagged = union_all(by_account, by_post, by_media).subquery("flagged")

    def rows(
        key: ColumnElement[Any], through_signals: bool, names: dict[int, str] | None = None
    ) -> list[Precision]:
        per_case = select(verdicts.c.case_id, verdicts.c.verdict, key.label("key"))
        if through_signals:
            per_case = per_case.join(
                flagged,
                and_(
                    flagged.c.account_id == verdicts.c.account_id,
                    flagged.c.created_at <= verdicts.c.decided_at,
                ),
            )
        distinct_cases = per_case.distinct().subquery()
        result = []
        for value, decided, yes in session.execute(
            select(
                distinct_cases.c.key,
                func.count(),
                func.coalesce(
                    func.sum(case((distinct_cases.c.verdict == Verdict.REFER, 1), else_=0)), 0
                ),
            )
            .group_by(distinct_cases.c.key)
            .order_by(distinct_cases.c.key)
        ):
            if names is not None:
                label = names.get(value, "unnamed") if value is not None else "none named"
            else:
                label = str(value) if value is not None else "unknown"
            result.append(
                Precision(
                    key=label,
                    decided=int(decided),
                    referred=int(yes),
                    dismissed=int(decided) - int(yes),
                    precision=rules.rate(int(yes), int(decided)),
                )
            )
        return result

    organisations = _names(session, Organisation, Organisation.slug)
    return DetectorQuality(
        by_detector=rows(flagged.c.detector, True),
        by_language=rows(verdicts.c.language, False),
        by_organisation=rows(flagged.c.organisation_id, True, organisations),
    )


def _tasks(session: Session, start: datetime, end: datetime, cutoff: datetime) -> TaskFigures:
    """Tasks issued in the period, per recipient agency, and their timeliness at the
    cut-off (from the assignments' timestamps); and the regulators' outcomes for phone
    numbers, from the tasks stage's own count."""
    answered = and_(TaskAssignment.answered_at.is_not(None), TaskAssignment.answered_at <= cutoff)

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = session.execute(
        select(
            Agency.code,
            func.count(),
            total(answered),
            total(and_(answered, TaskAssignment.answered_at <= TaskAssignment.due_at)),
            total(and_(~answered, TaskAssignment.due_at < cutoff)),
        )
        .select_from(TaskAssignment)
        .join(Task, Task.id == TaskAssignment.task_id)
        .join(Agency, Agency.id == TaskAssignment.agency_id)
        .where(Task.created_at >= start, Task.created_at < end, Task.created_at <= cutoff)
        .group_by(Agency.code)
        .order_by(Agency.code)
    ).all()
    numbers = task_service.number_outcomes(session=session)
    return TaskFigures(
        by_agency=[
            TaskTimeliness(
                agency=code,
                issued=int(issued),
                answered=int(done),
                on_time=int(on_time),
                overdue_open=int(overdue),
                on_time_share=rules.rate(int(on_time), int(issued)),
            )
            for code, issued, done, on_time, overdue in rows
        ],
        numbers=dict(numbers.model_dump()),
    )


def _view(period: rules.Period) -> PeriodView:
    return PeriodView(
        kind=period.kind.value,
        label=period.label,
        zone=period.zone,
        first_day=period.first_day,
        last_day=period.last_day,
        start=period.start,
        end=period.end,
        description=period.describe(),
    )


TITLES = {
    "weekly": "Weekly brief",
    "monthly": "Monthly report",
    "transparency": "Transparency report",
}


def compute(
    *,
    session: Session,
    kind: str,
    period: rules.Period,
    cutoff: datetime,
    now: datetime | None = None,
) -> Report:
    """Every figure of a report of `period` at `cutoff`, unsuppressed (see `publish`)."""
    previous = period.previous()
    current, before = _cohorts(
        session, [(period.start, period.end), (previous.start, previous.end)], cutoff
    )
    platforms = _names(session, Platform, Platform.code)
    agencies = _names(session, Agency, Agency.code)
    organisations = _names(session, Organisation, Organisation.slug)

    def breakdown(index: int, names: dict[int, str], none: str) -> list[Outcomes]:
        merged = current.roll_up(lambda key: key[index])
        return [
            tally.outcomes(str(names.get(k, none)) if k is not None else none, "")
            for k, tally in sorted(
                merged.items(), key=lambda item: names.get(item[0], none) if item[0] else none
            )
        ]

    by_platform = breakdown(0, platforms, "?")
    # Every platform appears, also one with no referrals this period: a blank row says
    # "nothing sent", a missing one looks like an omission.
    seen = {row.key for row in by_platform}
    by_platform += [Outcomes(key=code, name="") for code in platforms.values() if code not in seen]
    by_platform.sort(key=lambda row: row.key)
    weeks = period.trend_weeks(TREND_WEEKS)
    backlog, backlog_trend = _backlog(session, cutoff, weeks)
    cohorts = _trend_cohorts(session, weeks, cutoff)
    return Report(
        kind=kind,
        title=TITLES.get(kind, kind),
        period=_view(period),
        previous_period=_view(previous),
        cutoff=cutoff,
        generated_at=now or utcnow(),
        totals=current.roll_up(lambda _: 0).get(0, _Tally()).outcomes("all", "All"),
        previous=before.roll_up(lambda _: 0).get(0, _Tally()).outcomes("all", "All"),
        by_platform=by_platform,
        by_agency=breakdown(1, agencies, "?"),
        by_organisation=breakdown(2, organisations, "none named"),
        backlog=backlog,
        trend=[
            TrendWeek(week=w.label, start=w.start, sent=s, acted=a, backlog=b)
            for w, (s, a), b in zip(weeks, cohorts, backlog_trend, strict=True)
        ],
        quality=_precision(session, period.start, period.end, cutoff),
        tasks=_tasks(session, period.start, period.end, cutoff),
        definitions=[DefinitionView(key=d.key, name=d.name, text=d.text) for d in DEFINITIONS],
    )


def report(
    *, session: Session, by: Principal, kind: str, period: rules.Period, cutoff: datetime
) -> Report:
    """`compute` for a principal: aggregates name no one, so whoever reads cases or the
    audit log may have them (as `figures`)."""
    if Action.AUDIT_READ not in by.actions:
        require(by, Action.CASE_READ)
    return compute(session=session, kind=kind, period=period, cutoff=cutoff)
