"""The demo: every stage that exists, end to end, on the synthetic dataset.

`run()` is idempotent: running it twice on the same database leaves the same data
(the generator is seeded and storage is keyed by platform ids), which is itself a
small proof of the ingest guarantees.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies import service as agencies
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.demo.generator import DemoDataset, generate
from shaheen.ingest import service as ingest
from shaheen.ingest.enums import RunStatus
from shaheen.ingest.models import IngestRun
from shaheen.ingest.schemas import UpsertCounts
from shaheen.knowledge import service as knowledge
from shaheen.platforms import service as platforms
from shaheen.platforms.models import Platform
from shaheen.reports import service as reports
from shaheen.reports.schemas import Stats
from shaheen.store import migrate
from shaheen.store.base import utcnow
from shaheen.store.engine import session_scope

DEMO_AGENCIES: tuple[tuple[str, str, AgencyKind], ...] = (
    ("CCW", "Cyber Crime Wing (demo)", AgencyKind.CYBER_CRIME),
    ("TREG", "Telecom Regulator (demo)", AgencyKind.REGULATOR),
    ("CTA", "Counter-Terrorism Authority (demo)", AgencyKind.COUNTER_TERRORISM),
    ("CTD-KP", "Provincial CTD Khyber Pakhtunkhwa (demo)", AgencyKind.PROVINCIAL_CTD),
    ("NFC", "National Fusion Centre (demo)", AgencyKind.FUSION_CENTRE),
)
DEMO_USERS: tuple[tuple[str, str, Role], ...] = (
    ("analyst", "Demo Analyst", Role.ANALYST),
    ("reviewer", "Demo Reviewer", Role.REVIEWER),
    ("reviewer2", "Demo Second Reviewer", Role.REVIEWER),
    ("supervisor", "Demo Supervisor", Role.SUPERVISOR),
    ("liaison", "Demo Liaison Officer", Role.LIAISON),
    ("auditor", "Demo Auditor", Role.AUDITOR),
    ("admin", "Demo Administrator", Role.ADMIN),
)
EXTENSION = Path(__file__).with_name("kb_extension.yaml")


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo did and where the data stands afterwards."""

    kb_version: str
    organisations: int
    accounts: UpsertCounts
    posts: UpsertCounts
    labels: dict[str, int]
    stats: Stats


def run(
    *,
    engine: Engine,
    sessions: sessionmaker[Session],
    actor: str,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoSummary:
    """Migrate, seed reference data and the synthetic dataset, and collect the figures."""
    migrate.upgrade(engine)
    dataset = generate(seed=seed, now=now)
    with session_scope(sessions) as session:
        platforms.sync_registry(session=session)
        merged = knowledge.merge(
            [knowledge.parse(knowledge.bundled_path()), knowledge.parse(EXTENSION)]
        )
        kb = knowledge.load(session=session, merged=merged, actor=actor)
        _seed_people(session)
        accounts, posts = _store(session, dataset)
        figures = reports.collect(session=session)
    return DemoSummary(
        kb_version=kb.version,
        organisations=len(merged.organisations),
        accounts=accounts,
        posts=posts,
        labels=dict(Counter(post.label.value for post in dataset.posts)),
        stats=figures,
    )


def _seed_people(session: Session) -> None:
    for code, name, kind in DEMO_AGENCIES:
        agencies.ensure_agency(session=session, code=code, name=name, kind=kind)
    lead = agencies.ensure_agency(
        session=session, code="CTA", name="", kind=AgencyKind.COUNTER_TERRORISM
    )
    for username, display, role in DEMO_USERS:
        agencies.ensure_user(
            session=session, agency=lead, username=username, display_name=display, role=role
        )


def _store(session: Session, dataset: DemoDataset) -> tuple[UpsertCounts, UpsertCounts]:
    platform_ids = {code: pid for code, pid in session.execute(select(Platform.code, Platform.id))}
    run = IngestRun(source="synthetic demo dataset", connector="demo")
    session.add(run)
    session.flush()
    accounts, account_ids = ingest.upsert_accounts(
        session=session, platform_ids=platform_ids, records=[a.record for a in dataset.accounts]
    )
    posts = ingest.upsert_posts(
        session=session,
        platform_ids=platform_ids,
        account_ids=account_ids,
        records=[p.record for p in dataset.posts],
    )
    run.records_read = len(dataset.accounts) + len(dataset.posts)
    run.records_new = accounts.new + posts.new
    run.records_updated = accounts.updated + posts.updated
    run.status, run.finished_at = RunStatus.COMPLETED, utcnow()
    return accounts, posts
