"""The demo: every stage that exists, end to end, on the synthetic dataset.

The dataset is written out as each platform's export format and imported through the
connectors, exactly as a unit imports real exports. `run()` is idempotent: running it
twice leaves the same data (the generator is seeded, storage is keyed by platform ids),
which is itself a small proof of the ingest guarantees.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access import flows as access
from shaheen.access import service as access_service
from shaheen.access.private_files import read_private, write_private
from shaheen.access.rules import system
from shaheen.agencies import service as agencies
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.config import get_settings
from shaheen.demo import network as network_demo
from shaheen.demo import scenario
from shaheen.demo.exports import WHATSAPP_ZONE, write_exports
from shaheen.demo.generator import DemoDataset, generate
from shaheen.demo.media import organisation_poster
from shaheen.detect import service as detection
from shaheen.detect.media import bank_flows
from shaheen.detect.schemas import RiskRow
from shaheen.evidence import service as evidence
from shaheen.evidence.service import Signer
from shaheen.ingest import tips
from shaheen.ingest.connectors.base import ConnectorOptions
from shaheen.ingest.flows import Importer, RunResult
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Tip
from shaheen.knowledge import banks
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.models import HashBank
from shaheen.pipeline import flows as pipeline
from shaheen.pipeline.schemas import ScanResult
from shaheen.platforms import service as platforms
from shaheen.referral.models import ReferralEvent
from shaheen.reports import flows as report_flows
from shaheen.reports import rules as report_rules
from shaheen.reports import service as reports
from shaheen.reports.schemas import Stats
from shaheen.store import migrate
from shaheen.store.base import utcnow
from shaheen.store.engine import session_scope
from shaheen.tasks import service as task_service
from shaheen.tasks.models import Task

DEMO_AGENCIES: tuple[tuple[str, str, AgencyKind], ...] = (
    ("CCW", "Cyber Crime Wing (demo)", AgencyKind.CYBER_CRIME),
    ("TREG", "Telecom Regulator (demo)", AgencyKind.REGULATOR),
    ("CTA", "Counter-Terrorism Authority (demo)", AgencyKind.COUNTER_TERRORISM),
    ("CTD-KP", "Provincial CTD Khyber Pakhtunkhwa (demo)", AgencyKind.PROVINCIAL_CTD),
    ("CTD-PB", "Provincial CTD Punjab (demo)", AgencyKind.PROVINCIAL_CTD),
    ("NFC", "National Fusion Centre (demo)", AgencyKind.FUSION_CENTRE),
)
# A person per role in the lead agency (and a second reviewer), in a provincial CTD, and
# an analyst of the fusion centre (who reads every agency's cases up to AMBER).
DEMO_USERS: tuple[tuple[str, str, str, Role], ...] = (
    ("CTA", "analyst", "Demo Analyst", Role.ANALYST),
    ("CTA", "reviewer", "Demo Reviewer", Role.REVIEWER),
    ("CTA", "reviewer2", "Demo Second Reviewer", Role.REVIEWER),
    ("CTA", "supervisor", "Demo Supervisor", Role.SUPERVISOR),
    ("CTA", "liaison", "Demo Liaison Officer", Role.LIAISON),
    ("CTA", "auditor", "Demo Auditor", Role.AUDITOR),
    ("CTA", "admin", "Demo Administrator", Role.ADMIN),
    ("CTD-KP", "kp-analyst", "KP Analyst", Role.ANALYST),
    ("CTD-KP", "kp-reviewer", "KP Reviewer", Role.REVIEWER),
    ("CTD-KP", "kp-supervisor", "KP Supervisor", Role.SUPERVISOR),
    ("CTD-KP", "kp-liaison", "KP Liaison Officer", Role.LIAISON),
    ("CTD-KP", "kp-auditor", "KP Auditor", Role.AUDITOR),
    ("CTD-KP", "kp-admin", "KP Administrator", Role.ADMIN),
    ("CTD-PB", "pb-supervisor", "Punjab Supervisor", Role.SUPERVISOR),
    ("NFC", "nfc-analyst", "Fusion Centre Analyst", Role.ANALYST),
)
CREDENTIALS = "credentials.txt"  # in the demo folder, mode 0600
EXTENSION = Path(__file__).with_name("kb_extension.yaml")
DEMO_BANK = "demo-posters"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo did and where the data stands afterwards."""

    kb_version: str
    organisations: int
    exports: list[Path]
    runs: list[RunResult]
    scan: ScanResult
    risk: list[RiskRow]  # the riskiest accounts after the scan
    labels: dict[str, int]
    stats: Stats
    workflow: scenario.WorkflowSummary
    evidence: evidence.EvidenceReport
    weekly_report: Path | None = None  # the weekly brief of the demo's week (PDF)
    network: network_demo.NetworkDemo | None = None  # an evasion case, a campaign


def run(
    *,
    engine: Engine,
    sessions: sessionmaker[Session],
    actor: str,
    workdir: Path,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoSummary:
    """Migrate, seed reference data, write the synthetic exports and ingest them."""
    migrate.upgrade(engine)
    with session_scope(sessions) as session:
        platforms.sync_registry(session=session)
        merged = knowledge.merge(
            [knowledge.parse(knowledge.bundled_path()), knowledge.parse(EXTENSION)]
        )
        kb = knowledge.load(session=session, merged=merged, actor=actor)
        _seed_people(session, workdir / CREDENTIALS)
    dataset = generate(seed=seed, now=now)
    exports = write_exports(dataset, workdir / "exports")
    settings = get_settings()
    importer = Importer(
        sessions=sessions,
        media=MediaStore(settings.media_dir),
        options=ConnectorOptions(timezone=str(WHATSAPP_ZONE)),
    )
    runs = importer.import_paths(exports)
    with session_scope(sessions) as session:
        _demo_bank(session, dataset, workdir / "bank", actor)
    network_demo.plant_push(sessions, now=now)  # scanned like every post
    signer = Signer(settings.keys_dir)
    scan = _scan(sessions, signer, actor)
    follow_up = scenario.run(sessions, dataset, signer, settings.outbox_dir)
    network_story = network_demo.run(sessions, actor=actor, now=now)
    demo_task(sessions, now)
    with session_scope(sessions) as session:
        _demo_tip(session, actor)
        figures = reports.collect(session=session)
        riskiest = detection.risk_rows(session=session, limit=8)
        chain = evidence.verify(session=session)
    weekly = _weekly_report(sessions, workdir / "reports")
    return DemoSummary(
        kb_version=kb.version,
        organisations=len(merged.organisations),
        exports=exports,
        runs=runs,
        scan=scan,
        risk=riskiest,
        labels=dict(Counter(post.label.value for post in dataset.posts)),
        stats=figures,
        workflow=follow_up,
        evidence=chain,
        weekly_report=weekly,
        network=network_story,
    )


def _weekly_report(sessions: sessionmaker[Session], folder: Path) -> Path:
    """The weekly brief of the week the demo's referrals went out, counted up to the
    end of the simulated days: the platforms' answers lie in simulated time ahead."""
    settings = get_settings()
    with session_scope(sessions) as session:
        last_event = session.scalar(select(func.max(ReferralEvent.occurred_at)))
        cutoff = max(last_event or utcnow(), utcnow())
        week = report_rules.week_of(
            report_rules.local_today(utcnow(), settings.report_timezone),
            settings.report_timezone,
        )
        figures = reports.compute(session=session, kind="weekly", period=week, cutoff=cutoff)
    return report_flows.write(figures, report_flows.Format.PDF, folder)


def _demo_bank(session: Session, dataset: DemoDataset, folder: Path, actor: str) -> None:
    """A hash bank of the groups' (fictional) posters, as a partner would share it."""
    if session.scalar(select(HashBank.id).where(HashBank.name == DEMO_BANK)) is not None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for slug in sorted({p.organisation for p in dataset.posts if p.organisation}):
        path = folder / f"{slug}.png"
        organisation_poster(slug).save(path)
        paths.append(path)
    bank = banks.create_bank(
        session=session,
        name=DEMO_BANK,
        actor=actor,
        source="demo partner (synthetic)",
        label="propaganda poster",
    )
    bank_flows.add_files(session=session, bank=bank, paths=paths, actor=actor, tags=["demo"])


def _scan(sessions: sessionmaker[Session], signer: Signer, actor: str) -> ScanResult:
    """Detection over the imported posts and media, on behalf of the demo's lead agency,
    with the instance's own settings: the scanner `shaheen scan` builds."""
    with session_scope(sessions) as session:
        agency = agencies.ensure_agency(
            session=session, code="CTA", name="", kind=AgencyKind.COUNTER_TERRORISM
        )
        agency_id = agency.id
    settings = get_settings()
    with pipeline.build_scanner(sessions, pipeline.ScanSetup.from_settings(settings)) as scanner:
        return pipeline.scan(
            sessions,
            scanner,
            agency_id=agency_id,
            threshold=settings.risk_threshold,
            actor=actor,
            signer=signer,
        )


DEMO_TASK = "Seven-day return: propaganda accounts found in your province"


def demo_task(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """The coordinating authority (CTA) asks both provinces for a seven-day return, and
    Khyber Pakhtunkhwa answers it; Punjab's part is left open (`shaheen task list`).
    Once, however often the demo runs. Returns the task's id."""
    with session_scope(sessions) as session:
        cta = agencies.get_by_code(session=session, code="CTA")
        assert cta is not None  # seeded with the people
        done = session.scalar(
            select(Task.id).where(Task.issuer_agency_id == cta.id, Task.title == DEMO_TASK)
        )
        if done is not None:
            return done
        boss = access_service.get_user(session=session, username="supervisor")
        province = access_service.get_user(session=session, username="kp-supervisor")
        assert boss is not None and province is not None
        task_id = task_service.issue(
            session=session,
            by=access.principal_of(session, boss, second_factor=True),
            title=DEMO_TASK,
            recipients=["CTD-KP", "CTD-PB"],
            due_days=7,
            body="Accounts of proscribed groups your unit found this week, and what was done.",
            now=now,
        )
        kp = access.principal_of(session, province, second_factor=True)
        task_service.acknowledge(session=session, by=kp, task_id=task_id, now=now)
        task_service.answer(
            session=session,
            by=kp,
            task_id=task_id,
            text="Three TTP recruitment channels found on Telegram; two referred, one "
            "under review.",
            now=now,
        )
        return task_id


DEMO_TIP = "https://t.me/s/qafla_demo_recruits"  # fictional, like every demo account


def _demo_tip(session: Session, actor: str) -> None:
    """One public report waiting for an analyst (once, however often the demo runs)."""
    if session.scalar(select(Tip.id).where(Tip.url == tips.normalise_url(DEMO_TIP))) is None:
        tips.record_tip(
            session=session,
            url=DEMO_TIP,
            note="A member of the public says this channel recruits for a banned group.",
            channel="demo",
            actor=actor,
        )


def _seed_people(session: Session, credentials: Path) -> None:
    """The demo agencies and their people, each with a temporary password (and a TOTP
    secret where the role needs a second factor), kept in a 0600 file in the demo folder
    so that `shaheen demo` can show them again on every run."""
    for code, name, kind in DEMO_AGENCIES:
        agencies.ensure_agency(session=session, code=code, name=name, kind=kind)
    lines = credentials.read_text(encoding="utf-8").splitlines() if credentials.exists() else []
    for code, username, display, role in DEMO_USERS:
        if access_service.get_user(session=session, username=username) is not None:
            continue
        new = access.add_user(
            session,
            actor=system(),
            agency_code=code,
            username=username,
            role=role,
            display_name=display,
        )
        lines.append(
            f"{code}\t{username}\t{role.value}\t{new.temporary_password}\t{new.totp_uri or '-'}"
        )
    write_private(credentials, "\n".join(lines) + "\n")


def demo_credentials(workdir: Path) -> list[list[str]]:
    """Agency, username, role, temporary password and otpauth URI of each demo person."""
    path = workdir / CREDENTIALS
    if not path.exists():
        return []
    return [
        line.split("\t") for line in read_private(path, "demo credentials").splitlines() if line
    ]
