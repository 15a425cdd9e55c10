"""The demo's second half: review → refer → the platforms answer → re-checks.

Decisions are scripted from the synthetic ground truth, as a careful reviewer would
take them: a propagandist's case is referred (with the organisation, a legal basis and,
for high-reach accounts, a second reviewer), a news outlet's dismissed as reporting,
anyone else's as unrelated. Referrals go to the platform SIMULATOR over loopback HTTP,
and simulated time runs ten days in six-hour steps: answers are polled, overdue
referrals escalated, referred items re-checked. Every step uses the same services the
CLI does.

Some work is left for whoever opens the demo next: the cases of a few accounts stay
undecided (`LEFT_OPEN`), and one referral goes out through the platform's own channel
(the file drop) three days before the demo ran, unanswered, so `shaheen track overdue`
has something to chase.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access import flows as access
from shaheen.access import service as access_service
from shaheen.access.rules import Principal
from shaheen.demo.exports import whatsapp_number
from shaheen.demo.generator import DemoAccount, DemoDataset, Persona
from shaheen.errors import NotFound
from shaheen.evidence.service import Signer
from shaheen.ingest.models import Account
from shaheen.platforms.enums import ChannelKind
from shaheen.platforms.models import Platform
from shaheen.referral import flows as referral_flows
from shaheen.referral import service as referrals
from shaheen.referral.channels import WebhookSecrets
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent
from shaheen.referral.simulator import Simulator
from shaheen.review import service as review
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.review.models import Case
from shaheen.review.rules import Proposed, ReviewPolicy
from shaheen.store.base import utcnow

STEP_HOURS, DAYS = 6, 10
#: Accounts whose cases the demo leaves open: (platform, persona), the first such account.
LEFT_OPEN = (
    ("telegram", Persona.PROPAGANDIST),
    ("tiktok", Persona.PROPAGANDIST),
    ("instagram", Persona.PROPAGANDIST),
)
#: The platform whose first referral is left overdue, sent this long before the demo ran.
OVERDUE_PLATFORM, OVERDUE_BY = "youtube", timedelta(days=3)
# The demo's accounts are small; a lower reach threshold shows the second review at work.
DEMO_POLICY = ReviewPolicy(reach_threshold=20_000)


@dataclass
class PlatformOutcome:
    referrals: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    hours_to_removal: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.hours_to_removal) if self.hours_to_removal else None


@dataclass
class WorkflowSummary:
    referred: int = 0
    second_reviews: int = 0
    dismissed: int = 0
    sent: int = 0
    escalations: int = 0
    outcomes: dict[str, PlatformOutcome] = field(default_factory=dict)


def run(
    sessions: sessionmaker[Session], dataset: DemoDataset, signer: Signer, outbox: Path
) -> WorkflowSummary:
    summary = WorkflowSummary()
    truth = _ground_truth(dataset)
    _decide(sessions, truth, summary, _left_open(dataset))
    created = _refer(sessions, signer)
    overdue = _overdue_one(sessions, created)
    if overdue is not None:
        created.remove(overdue)
    if created:
        _simulate(sessions, created, summary, outbox, signer.folder)
    if overdue is not None:
        _send_late(sessions, overdue, outbox, signer)
        summary.sent += 1
    _outcomes(sessions, summary)  # of every referral so far: a second run shows them again
    return summary


def _ground_truth(dataset: DemoDataset) -> dict[tuple[str, str], DemoAccount]:
    """Each synthetic account under every id its platform's export gives it (the
    connectors keep each platform's own ids: a handle, a number, a phone number)."""
    truth: dict[tuple[str, str], DemoAccount] = {}
    for account in dataset.accounts:
        record = account.record
        number = record.platform_account_id.rsplit("-", 1)[-1]
        for key in (record.platform_account_id, record.handle, number):
            if key:
                truth.setdefault((record.platform, key), account)
        phone = whatsapp_number(record.platform_account_id).replace(" ", "")
        truth[(record.platform, phone)] = account
    return truth


def _left_open(dataset: DemoDataset) -> set[int]:
    """The demo accounts (by `id()`) whose cases stay open for a newcomer."""
    left = set()
    for platform, persona in LEFT_OPEN:
        candidates = sorted(
            (a for a in dataset.accounts if a.record.platform == platform and a.persona is persona),
            key=lambda a: a.record.platform_account_id,
        )
        if candidates:
            left.add(id(candidates[0]))
    return left


def acting_as(sessions: sessionmaker[Session], username: str) -> Principal:
    """A demo person as the services see a signed-in user: the scripted reviewers act
    through the same policy as everyone, with their second factor."""
    with sessions() as session:
        user = access_service.get_user(session=session, username=username)
        if user is None:
            raise NotFound(f"no demo user {username!r}")
        return access.principal_of(session, user, second_factor=True)


def _decide(
    sessions: sessionmaker[Session],
    truth: dict[tuple[str, str], DemoAccount],
    summary: WorkflowSummary,
    left_open: set[int],
) -> None:
    with sessions() as session:
        open_cases = session.execute(
            select(Case.id, Account.handle, Account.platform_account_id, Platform.code)
            .join(Account, Account.id == Case.account_id)
            .join(Platform, Platform.id == Account.platform_id)
            # a ban-evasion case (the network's) is left for whoever opens the demo
            .where(Case.status == CaseStatus.OPEN, Case.evades_account_id.is_(None))
            .order_by(Case.priority.desc())
        ).all()
    for case_id, handle, account_id, platform in open_cases:
        known = truth.get((platform, account_id)) or truth.get((platform, handle or ""))
        if known is not None and id(known) in left_open:
            continue  # for whoever opens the demo next
        if known is None or known.persona is not Persona.PROPAGANDIST or not known.organisation:
            reason = (
                "news_reporting"
                if known and known.persona is Persona.NEWS_OUTLET
                else "not_related"
            )
            review.decide(
                sessions,
                case_id=case_id,
                by=acting_as(sessions, "reviewer"),
                proposed=Proposed(Verdict.DISMISS, reason),
            )
            summary.dismissed += 1
            continue
        refer = Proposed(Verdict.REFER, "recruitment", known.organisation, "ATA-1997-s11W")
        outcome = review.decide(
            sessions,
            case_id=case_id,
            by=acting_as(sessions, "reviewer"),
            proposed=refer,
            policy=DEMO_POLICY,
        )
        if outcome.status is CaseStatus.AWAITING_SECOND_REVIEW:
            review.decide(
                sessions,
                case_id=case_id,
                by=acting_as(sessions, "reviewer2"),
                proposed=refer,
                policy=DEMO_POLICY,
            )
            summary.second_reviews += 1
        summary.referred += 1


def _refer(sessions: sessionmaker[Session], signer: Signer) -> list[int]:
    with sessions() as session:
        referred_cases = session.scalars(
            select(Case.id)
            .where(Case.status == CaseStatus.REFERRED)
            .where(~select(Referral.id).where(Referral.case_id == Case.id).exists())
        ).all()
    return [
        referrals.create_from_case(
            sessions, case_id=case_id, by=acting_as(sessions, "liaison"), signer=signer
        )
        for case_id in referred_cases
    ]


def _overdue_one(sessions: sessionmaker[Session], created: list[int]) -> int | None:
    """The first new referral to `OVERDUE_PLATFORM`, if any."""
    if not created:
        return None
    with sessions() as session:
        return session.scalar(
            select(Referral.id)
            .join(Platform, Platform.id == Referral.platform_id)
            .where(Referral.id.in_(created), Platform.code == OVERDUE_PLATFORM)
            .order_by(Referral.id)
            .limit(1)
        )


def _send_late(
    sessions: sessionmaker[Session], referral_id: int, outbox: Path, signer: Signer
) -> None:
    """Send one referral through the platform's configured channel, dated `OVERDUE_BY`
    ago: its SLA has run out and no answer has come."""
    referral_flows.send(
        sessions,
        referral_id=referral_id,
        by=acting_as(sessions, "liaison"),
        settings=referral_flows.ChannelSettings(
            outbox=outbox, secrets=WebhookSecrets(signer.folder)
        ),
        signer=signer,
        at=utcnow() - OVERDUE_BY,
    )


def _simulate(
    sessions: sessionmaker[Session],
    created: list[int],
    summary: WorkflowSummary,
    outbox: Path,
    keys: Path,
) -> None:
    clock = [0.0]  # simulated hours since the referrals went out
    secrets = WebhookSecrets(keys)  # per-platform secrets, shared with the simulator
    simulator = Simulator(secrets, speed=3600.0, clock=lambda: clock[0])
    url = simulator.serve()
    start = utcnow()
    settings = referral_flows.ChannelSettings(outbox=outbox, secrets=secrets)
    with sessions.begin() as session:
        channels = {
            p.code: (p.channel_kind, p.channel_address) for p in session.scalars(select(Platform))
        }
        for code in channels:
            session.execute(
                update(Platform)
                .where(Platform.code == code)
                .values(channel_kind=ChannelKind.WEBHOOK, channel_address=f"{url}/{code}/referrals")
            )
    try:
        for referral_id in created:
            referral_flows.send(
                sessions,
                referral_id=referral_id,
                by=acting_as(sessions, "liaison"),
                settings=settings,
            )
            summary.sent += 1
        for step in range(1, DAYS * 24 // STEP_HOURS + 1):
            clock[0] = step * STEP_HOURS
            now = start + timedelta(hours=clock[0])
            referral_flows.poll(sessions, settings=settings, now=now)
            summary.escalations += len(referrals.escalate_overdue(sessions, now=now))
            referral_flows.recheck(sessions, settings=settings, now=now)
    finally:
        simulator.stop()
        with sessions.begin() as session:  # the simulator is gone: back to the real channels
            for code, (kind, address) in channels.items():
                session.execute(
                    update(Platform)
                    .where(Platform.code == code)
                    .values(channel_kind=kind, channel_address=address)
                )


def _outcomes(sessions: sessionmaker[Session], summary: WorkflowSummary) -> None:
    with sessions() as session:
        rows = session.execute(
            select(Referral, Platform.code).join(Platform, Platform.id == Referral.platform_id)
        ).all()
        for referral, code in rows:
            outcome = summary.outcomes.setdefault(code, PlatformOutcome())
            outcome.referrals += 1
            outcome.by_status[referral.status.value] = (
                outcome.by_status.get(referral.status.value, 0) + 1
            )
            removed_at = _first_removal(session, referral.id)
            if removed_at is not None and referral.sent_at is not None:
                outcome.hours_to_removal.append(
                    (removed_at - referral.sent_at).total_seconds() / 3600
                )


def _first_removal(session: Session, referral_id: int) -> datetime | None:
    return session.scalar(
        select(ReferralEvent.occurred_at)
        .where(
            ReferralEvent.referral_id == referral_id,
            ReferralEvent.to_status.in_([ReferralStatus.REMOVED, ReferralStatus.GEO_BLOCKED]),
        )
        .order_by(ReferralEvent.occurred_at)
        .limit(1)
    )
