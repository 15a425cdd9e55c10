"""The weekly report over a million referral events, against a Python loop over them.

    scripts/with-postgres .venv/bin/python bench/report.py [--events 1000000]

PostgreSQL only (`SHAHEEN_TEST_POSTGRES_URL`, which `scripts/with-postgres` sets):
bulk-loaded with COPY, 26 weeks of referrals from four agencies to the seven platforms
(about five events each: draft, sent, acknowledged, an answer or silence, sometimes a
re-check that finds the content back), 100,000 accounts with follower counts, a case
per account with decisions, and signals from four detectors.

Measured in the same run:

* the weekly report of the last complete week: every figure (`reports.service.compute`:
  the cohort by platform, agency and organisation, times to removal, accounts removed,
  the previous week, the backlog and its age, the eight-week trend, detector
  precision), median of --repeat runs; and rendering it to PDF, median of --repeat runs
  after a first one (printed too: it loads the fonts);
* baseline: read every event up to the cut-off into Python and compute only the week's
  totals in a loop (a fraction of the report's figures), median of the same runs;
  its totals must equal the report's.

Goal: the weekly report, figures and PDF, in under 10 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.platforms.service import sync_registry
from shaheen.referral.enums import ReferralStatus as S
from shaheen.reports import flows, rules, service
from shaheen.reports.schemas import Report
from shaheen.store import migrate
from shaheen.store.engine import make_engine

GOAL_S = 10.0
ZONE = "Asia/Karachi"
END = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday in Karachi: the data stops here
WEEKS = 26
# Hours to an answer and the answer's odds per platform, after the simulator's profile.
PROFILE: dict[str, tuple[float, float, float, float]] = {  # hours, removed, geo, rejected
    "facebook": (12, 0.80, 0.05, 0.10),
    "instagram": (14, 0.78, 0.05, 0.12),
    "tiktok": (8, 0.85, 0.03, 0.08),
    "youtube": (30, 0.70, 0.10, 0.12),
    "telegram": (60, 0.45, 0.00, 0.20),
    "x": (120, 0.30, 0.15, 0.20),
    "whatsapp": (160, 0.20, 0.00, 0.15),
}


def _copy(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into a table; returns how many."""
    count = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def _reset_ids(engine: Engine, tables: Iterable[str]) -> None:
    with engine.begin() as connection:
        for table in tables:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )


@dataclass
class Seeded:
    events: int
    referrals: int


def seed(engine: Engine, target_events: int, rng: random.Random) -> Seeded:
    with Session(engine) as session, session.begin():
        sync_registry(session=session)
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="bench",
        )
        agencies = [
            ensure_agency(session=session, code=code, name=code, kind=kind)
            for code, kind in (
                ("CTA", AgencyKind.COUNTER_TERRORISM),
                ("CTD-KP", AgencyKind.PROVINCIAL_CTD),
                ("CCW", AgencyKind.CYBER_CRIME),
                ("TREG", AgencyKind.REGULATOR),
            )
        ]
        user = ensure_user(
            session=session,
            agency=agencies[0],
            username="liaison",
            display_name="L",
            role=Role.LIAISON,
        )
        platforms = {p.code: p.id for p in session.scalars(select(Platform))}
        organisations = list(session.scalars(select(Organisation.id)).all())[:8]
        agency_ids, user_id = [a.id for a in agencies], user.id
    start = END - timedelta(weeks=WEEKS)
    accounts = 100_000
    codes = list(platforms)

    def account_rows() -> Iterable[Sequence[Any]]:
        for i in range(1, accounts + 1):
            yield (
                i,
                platforms[codes[i % 7]],
                f"b{i}",
                f"b_{i}",
                rng.randint(0, 500_000),
                False,
                "active",
                start,
                start,
            )

    _copy(
        engine,
        "accounts",
        (
            "id",
            "platform_id",
            "platform_account_id",
            "handle",
            "followers",
            "verified",
            "status",
            "first_seen_at",
            "last_seen_at",
        ),
        account_rows(),
    )
    _copy(
        engine,
        "follower_observations",
        ("id", "account_id", "followers", "observed_at"),
        (
            (i, i, rng.randint(0, 400_000), start - timedelta(days=1))
            for i in range(1, accounts + 1)
        ),
    )

    def case_rows() -> Iterable[Sequence[Any]]:
        for i in range(1, accounts + 1):
            opened = start + timedelta(minutes=rng.randint(0, WEEKS * 7 * 1440))
            yield (
                i,
                rng.choice(agency_ids),
                i,
                "in_review",
                0.8,
                0,
                1.0,
                rng.choice(organisations),
                rng.choice(("ur", "en", "ps", "roman_ur")),
                "amber",
                opened,
                opened,
            )

    _copy(
        engine,
        "cases",
        (
            "id",
            "agency_id",
            "account_id",
            "status",
            "risk_score",
            "reach",
            "priority",
            "organisation_id",
            "language",
            "tlp",
            "opened_at",
            "updated_at",
        ),
        case_rows(),
    )

    def decision_rows() -> Iterable[Sequence[Any]]:
        for i in range(1, 60_001):
            refer = rng.random() < 0.7
            at = start + timedelta(minutes=rng.randint(0, WEEKS * 7 * 1440))
            yield (
                i,
                i,
                user_id,
                "refer" if refer else "dismiss",
                "support" if refer else "news_reporting",
                False,
                "",
                at,
            )

    _copy(
        engine,
        "decisions",
        (
            "id",
            "case_id",
            "reviewer_id",
            "verdict",
            "reason_code",
            "is_second_review",
            "note",
            "decided_at",
        ),
        decision_rows(),
    )
    detectors = ("lexicon", "classifier", "pdq", "indicators")

    def signal_rows() -> Iterable[Sequence[Any]]:
        for i in range(1, 150_001):
            account = rng.randint(1, accounts)
            yield (
                i,
                rng.choice(detectors),
                "1",
                "account",
                platforms[codes[account % 7]],
                account,
                rng.choice(organisations),
                "propaganda",
                rng.random(),
                "{}",
                start - timedelta(days=2),
            )

    _copy(
        engine,
        "signals",
        (
            "id",
            "detector",
            "detector_version",
            "subject",
            "platform_id",
            "account_id",
            "organisation_id",
            "label",
            "score",
            "evidence",
            "created_at",
        ),
        signal_rows(),
    )

    event_columns = [
        "id",
        "referral_id",
        "from_status",
        "to_status",
        "source",
        "note",
        "occurred_at",
    ]
    columns = {c["name"] for c in inspect(engine).get_columns("referral_events")}
    recorded = "recorded_at" in columns  # beside occurred_at, where the schema has it
    if recorded:
        event_columns.append("recorded_at")
    referrals: list[Sequence[Any]] = []
    items: list[Sequence[Any]] = []
    events: list[Sequence[Any]] = []
    referral_id = 0
    while len(events) < target_events:
        referral_id += 1
        account = rng.randint(1, accounts)
        code = codes[account % 7]
        hours, removed, geo, rejected = PROFILE[code]
        sent = start + timedelta(minutes=rng.randint(0, WEEKS * 7 * 1440))
        path: list[tuple[S, datetime]] = [(S.DRAFT, sent - timedelta(minutes=30)), (S.SENT, sent)]
        roll = rng.random()
        answer_at = sent + timedelta(hours=rng.lognormvariate(0, 0.9) * hours)
        if rng.random() < 0.8:
            path.append((S.ACKNOWLEDGED, sent + timedelta(hours=hours / 6)))
        if roll < removed + geo + rejected:
            if answer_at > sent + timedelta(hours=96):
                path.append((S.NO_RESPONSE, sent + timedelta(hours=96)))
            outcome = (
                S.REMOVED
                if roll < removed
                else S.GEO_BLOCKED
                if roll < removed + geo
                else S.REJECTED
            )
            path.append((outcome, answer_at))
            if outcome is S.REMOVED and rng.random() < 0.12:
                path.append((S.REINSTATED, answer_at + timedelta(hours=72)))
        elif rng.random() < 0.7:
            path.append((S.NO_RESPONSE, sent + timedelta(hours=96)))
        path = [(status, at) for status, at in path if at <= END]
        status = path[-1][0]
        referrals.append(
            (
                referral_id,
                rng.choice(agency_ids),
                platforms[code],
                account,
                status.value,
                False,
                "PECA-2016-s37",
                user_id,
                sent,
                sent,
                sent + timedelta(hours=48),
                0,
            )
        )
        items.append((referral_id, referral_id, account, f"https://example.invalid/{account}"))
        previous: str | None = None
        for step, at in path:
            row: list[Any] = [len(events) + 1, referral_id, previous, step.value, "system", "", at]
            if recorded:
                row.append(at)
            events.append(row)
            previous = step.value
    _copy(
        engine,
        "referrals",
        (
            "id",
            "agency_id",
            "platform_id",
            "case_id",
            "status",
            "urgent",
            "legal_basis",
            "created_by_id",
            "created_at",
            "sent_at",
            "due_at",
            "escalation_level",
        ),
        referrals,
    )
    _copy(engine, "referral_items", ("id", "referral_id", "account_id", "url"), items)
    _copy(engine, "referral_events", event_columns, events)
    _reset_ids(
        engine,
        (
            "accounts",
            "follower_observations",
            "cases",
            "decisions",
            "signals",
            "referrals",
            "referral_items",
            "referral_events",
        ),
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return Seeded(events=len(events), referrals=len(referrals))


def baseline(engine: Engine, period: rules.Period, cutoff: datetime) -> dict[str, int]:
    """The week's totals from a Python loop over every event up to the cut-off."""
    facts: dict[int, dict[str, Any]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT referral_id, to_status, occurred_at FROM referral_events "
                "WHERE occurred_at <= :cutoff"
            ),
            {"cutoff": cutoff},
        )
        for referral_id, status, at in rows:
            fact = facts.setdefault(referral_id, {"seen": set(), "sent": None, "answered": None})
            fact["seen"].add(status)
            if status == "sent" and (fact["sent"] is None or at < fact["sent"]):
                fact["sent"] = at
            if status in ("removed", "geo_blocked", "rejected") and (
                fact["answered"] is None or at < fact["answered"]
            ):
                fact["answered"] = at
    totals = dict.fromkeys(
        ("sent", "removed", "geo_blocked", "rejected", "no_answer", "pending"), 0
    )
    for fact in facts.values():
        sent = fact["sent"]
        if sent is None or not period.start <= sent < period.end:
            continue
        seen = fact["seen"]
        totals["sent"] += 1
        if "removed" in seen:
            totals["removed"] += 1
        elif "geo_blocked" in seen:
            totals["geo_blocked"] += 1
        elif "rejected" in seen:
            totals["rejected"] += 1
        elif "no_response" in seen:
            totals["no_answer"] += 1
        else:
            totals["pending"] += 1
    return totals


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("SHAHEEN_TEST_POSTGRES_URL")
    if not url:
        sys.exit("bench/report.py needs PostgreSQL: run it through scripts/with-postgres")
    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    seeded = seed(engine, args.events, random.Random(11))
    print(
        f"PostgreSQL: {seeded.events:,} referral events of {seeded.referrals:,} referrals "
        f"over {WEEKS} weeks, seeded with COPY in {time.perf_counter() - started:.0f} s"
    )
    cutoff = END
    period = rules.last_complete(rules.PeriodKind.WEEK, cutoff, ZONE)

    def figures() -> Report:
        with Session(engine) as session:
            return service.compute(session=session, kind="weekly", period=period, cutoff=cutoff)

    figures()  # warm the caches and the plans, as the baseline's first run does below
    ours, report = timed(figures, args.repeat)
    render_started = time.perf_counter()
    flows.render(report, flows.Format.PDF)  # the first loads matplotlib's and Pango's fonts
    cold = time.perf_counter() - render_started
    render, pdf = timed(lambda: flows.render(report, flows.Format.PDF), args.repeat)
    baseline(engine, period, cutoff)
    theirs, totals = timed(lambda: baseline(engine, period, cutoff), args.repeat)
    t = report.totals
    mine = {
        "sent": t.sent,
        "removed": t.removed,
        "geo_blocked": t.geo_blocked,
        "rejected": t.rejected,
        "no_answer": t.no_answer,
        "pending": t.pending,
    }
    assert mine == totals, (mine, totals)
    total = ours + render
    print(
        f"weekly report {period.label}: {t.sent:,} referrals sent, compliance "
        f"{t.compliance:.0%}, median time to removal {t.time_to_removal.median_hours:.1f} h; "
        f"PDF {len(pdf) // 1024} KiB"
    )
    print(f"  {'step':<44}{'seconds':>9}")
    print(f"  {'figures (SQL aggregation), median':<44}{ours:>9.2f}")
    print(f"  {'rendering to PDF (charts, WeasyPrint), median':<44}{render:>9.2f}")
    print(f"  {'  the first rendering in the process':<44}{cold:>9.2f}")
    print(f"  {'the weekly report, figures and PDF':<44}{total:>9.2f}")
    print(f"  {'baseline: Python loop over events, totals only':<44}{theirs:>9.2f}")
    print(
        f"ratio (baseline / our figures): {theirs / ours:.1f}x; "
        f"goal: the weekly report under {GOAL_S:.0f} s: " + ("met" if total < GOAL_S else "MISSED")
    )
    engine.dispose()


if __name__ == "__main__":
    main()
