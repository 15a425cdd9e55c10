"""The review queue and the referral board at scale, against a full-scan baseline.

    scripts/with-postgres .venv/bin/python bench/review.py [--cases 100000] [--referrals 200000]

On SQLite (a file) and, when `SHAHEEN_TEST_POSTGRES_URL` is set, PostgreSQL: 100,000
open cases (one agency, seven platforms, four organisations, three languages) and
200,000 referrals with five status events each (1,000,000 events). Measured, median of
repeated runs, each against a baseline in the same run:

* the prioritised queue page (50 cases) with no filter and with each filter, through
  `review.service.queue`; baseline: read every open case of the agency and sort them;
* a platform's referral board (counts by status) through `referral.service.board`,
  and its overdue list (50 referrals due first); baseline: read all the platform's
  referrals and count and sort them.

Goal: every page under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.rules import system
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.ingest.models import Account
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.platforms.service import sync_registry
from shaheen.referral import service as referrals
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent
from shaheen.review import service as review
from shaheen.review.models import Case
from shaheen.review.rules import OPEN_STATUSES
from shaheen.store import migrate
from shaheen.store.engine import make_engine

GOAL_MS = 100.0
T0 = datetime(2026, 11, 1, tzinfo=UTC)

OPERATOR = system()  # the benchmark reads as the operator: every agency, no filter


def seed(engine: Engine, cases: int, referral_count: int) -> int:
    """Fill the database; return the agency's id."""
    rng = random.Random(5)
    with Session(engine) as session, session.begin():
        sync_registry(session=session)
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="bench",
        )
        agency = ensure_agency(
            session=session, code="CTA", name="CTA", kind=AgencyKind.COUNTER_TERRORISM
        )
        user = ensure_user(
            session=session, agency=agency, username="liaison", display_name="L", role=Role.LIAISON
        )
        platforms = list(session.scalars(select(Platform.id)))
        organisations = list(session.scalars(select(Organisation.id)).all())[:4]
        agency_id, user_id = agency.id, user.id
    accounts_table = cast(Table, Account.__table__)
    cases_table = cast(Table, Case.__table__)
    with engine.begin() as connection:
        for start in range(0, cases, 10_000):
            rows = [
                {
                    "platform_id": rng.choice(platforms),
                    "platform_account_id": f"bench-{i}",
                    "handle": f"bench_{i}",
                    "followers": rng.randint(0, 2_000_000),
                    "verified": False,
                    "status": "active",
                    "first_seen_at": T0,
                    "last_seen_at": T0,
                }
                for i in range(start, min(cases, start + 10_000))
            ]
            connection.execute(insert(accounts_table), rows)
        account_ids = list(connection.execute(select(Account.id)).scalars())
        case_rows = []
        for account_id in account_ids:
            risk = rng.random()
            case_rows.append(
                {
                    "agency_id": agency_id,
                    "account_id": account_id,
                    "status": rng.choice(OPEN_STATUSES).value,
                    "risk_score": risk,
                    "reach": 0,
                    "priority": risk * rng.uniform(1, 6),
                    "organisation_id": rng.choice(organisations),
                    "language": rng.choice(("en", "ur", "roman_ur")),
                    "opened_at": T0 + timedelta(minutes=rng.randint(0, 40_000)),
                    "updated_at": T0,
                }
            )
            if len(case_rows) == 10_000:
                connection.execute(insert(cases_table), case_rows)
                case_rows = []
        if case_rows:
            connection.execute(insert(cases_table), case_rows)
        _seed_referrals(connection, rng, agency_id, user_id, platforms, referral_count)
    return agency_id


def _seed_referrals(
    connection: Any,
    rng: random.Random,
    agency_id: int,
    user_id: int,
    platforms: list[int],
    count: int,
) -> None:
    referrals_table = cast(Table, Referral.__table__)
    path = [ReferralStatus.DRAFT, ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED]
    endings = [ReferralStatus.REMOVED, ReferralStatus.REJECTED, ReferralStatus.GEO_BLOCKED]
    for start in range(0, count, 5_000):
        referral_rows: list[dict[str, Any]] = []
        for _ in range(start, min(count, start + 5_000)):
            sent = T0 + timedelta(hours=rng.randint(0, 600))
            status = rng.choice([*endings, ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED])
            referral_rows.append(
                {
                    "agency_id": agency_id,
                    "platform_id": rng.choice(platforms),
                    "status": status.value,
                    "urgent": False,
                    "legal_basis": "PECA-2016-s37",
                    "created_by_id": user_id,
                    "created_at": sent,
                    "sent_at": sent,
                    "due_at": sent + timedelta(hours=48),
                    "escalation_level": 0,
                }
            )
        ids = (
            connection.execute(
                insert(referrals_table).returning(referrals_table.c.id), referral_rows
            )
            .scalars()
            .all()
        )
        events = []
        for referral_id, row in zip(ids, referral_rows, strict=True):
            steps = [*path, ReferralStatus(row["status"])][:5]
            while len(steps) < 5:
                steps.append(ReferralStatus.ACKNOWLEDGED)
            previous = None
            for number, step in enumerate(steps):
                events.append(
                    {
                        "referral_id": referral_id,
                        "from_status": previous,
                        "to_status": step.value,
                        "source": EventSource.SYSTEM.value,
                        "note": "",
                        "occurred_at": row["sent_at"] + timedelta(hours=number),
                    }
                )
                previous = step.value
        connection.execute(insert(cast(Table, ReferralEvent.__table__)), events)


def median_ms(action: Callable[[], object], repeat: int = 15) -> float:
    action()  # warm the caches and the plan
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(name: str, engine: Engine, agency_id: int) -> None:
    sessions = sessionmaker(bind=engine)
    with sessions() as session:
        platform = session.scalar(select(Platform).where(Platform.code == "x"))
        organisation = session.scalar(select(Organisation.slug).limit(1))
        assert platform is not None
        platform_id = platform.id

        def scan_queue(**where: Any) -> list[Any]:
            rows = session.execute(
                select(Case, Account.platform_id)
                .join(Account, Account.id == Case.account_id)
                .where(Case.agency_id == agency_id, Case.status.in_(OPEN_STATUSES))
            ).all()
            kept = [
                r
                for r in rows
                if (not where.get("platform") or r.platform_id == platform_id)
                and (not where.get("language") or r.Case.language == where["language"])
            ]
            return sorted(kept, key=lambda r: (-r.Case.priority, r.Case.opened_at))[:50]

        def scan_board() -> Counter[str]:
            rows = session.execute(
                select(Referral.status).where(Referral.platform_id == platform_id)
            ).scalars()
            return Counter(s.value for s in rows)

        def overdue_list() -> list[Any]:
            return list(
                session.scalars(
                    select(Referral)
                    .where(
                        Referral.platform_id == platform_id,
                        Referral.status.in_([ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED]),
                    )
                    .order_by(Referral.due_at)
                    .limit(50)
                )
            )

        def scan_overdue() -> list[Any]:
            rows = session.scalars(
                select(Referral).where(Referral.platform_id == platform_id)
            ).all()
            waiting = [
                r for r in rows if r.status in (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED)
            ]
            return sorted(waiting, key=lambda r: r.due_at or T0)[:50]

        print(f"\n{name}")
        print(f"  {'page':<36}{'Shaheen ms':>12}{'full scan ms':>14}{'ratio':>8}  goal")
        cases = {
            "queue, no filter": (
                lambda: review.queue(session=session, by=OPERATOR, agency_id=agency_id),
                lambda: scan_queue(),
            ),
            "queue, platform x": (
                lambda: review.queue(
                    session=session,
                    by=OPERATOR,
                    agency_id=agency_id,
                    where=review.QueueFilter(platform="x"),
                ),
                lambda: scan_queue(platform=True),
            ),
            "queue, organisation": (
                lambda: review.queue(
                    session=session,
                    by=OPERATOR,
                    agency_id=agency_id,
                    where=review.QueueFilter(organisation=organisation),
                ),
                lambda: scan_queue(),
            ),
            "queue, language ur": (
                lambda: review.queue(
                    session=session,
                    by=OPERATOR,
                    agency_id=agency_id,
                    where=review.QueueFilter(language="ur"),
                ),
                lambda: scan_queue(language="ur"),
            ),
            "board of x (counts by status)": (
                lambda: referrals.board(session=session, by=OPERATOR, platform_code="x"),
                scan_board,
            ),
            "overdue list of x (50 due first)": (overdue_list, scan_overdue),
        }
        for label, (ours, baseline) in cases.items():
            fast, slow = median_ms(ours), median_ms(baseline, repeat=3)
            verdict = "met" if fast < GOAL_MS else "NOT met"
            print(f"  {label:<36}{fast:>12.1f}{slow:>14.1f}{slow / fast:>8.0f}x {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--referrals", type=int, default=200_000)
    args = parser.parse_args()
    targets: list[tuple[str, str]] = []
    folder = tempfile.mkdtemp(prefix="shaheen-bench-review-")
    targets.append(("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}"))
    if os.environ.get("SHAHEEN_TEST_POSTGRES_URL"):
        targets.append(("PostgreSQL", os.environ["SHAHEEN_TEST_POSTGRES_URL"]))
    print(
        f"{args.cases:,} open cases, {args.referrals:,} referrals, "
        f"{args.referrals * 5:,} referral events"
    )
    for name, url in targets:
        engine = make_engine(url)
        migrate.upgrade(engine)
        started = time.perf_counter()
        agency_id = seed(engine, args.cases, args.referrals)
        with engine.begin() as connection:  # fresh statistics, as a live database has
            connection.exec_driver_sql("ANALYZE")
        print(f"{name}: seeded in {time.perf_counter() - started:.0f} s")
        measure(name, engine, agency_id)
        engine.dispose()


if __name__ == "__main__":
    main()
