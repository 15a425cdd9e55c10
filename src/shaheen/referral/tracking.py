"""Sending referrals and following them up: answers by webhook, CSV or polling, re-checks.

Every answer, however it arrives, goes through `service.apply_status`, so the rules of
`workflow.py` hold for all of them; an answer that breaks them, names an unknown
reference or carries a bad signature is refused, changes nothing, and is audited.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.models import Agency, User
from shaheen.audit import service as audit
from shaheen.errors import BadInput, IllegalTransition, SafeguardViolation, ShaheenError
from shaheen.evidence import service as evidence
from shaheen.evidence.models import EvidenceRecord
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.referral import service, workflow
from shaheen.referral.adapters import ReferralFacts, RequestPackage, adapter_for
from shaheen.referral.channels import (
    Channel,
    ChannelError,
    Webhook,
    channel_for,
    signature_ok,
)
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.models import Referral, ReferralItem
from shaheen.review import service as review
from shaheen.store.base import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelSettings:
    outbox: Path
    webhook_secret: str
    sender: str = "referrals@shaheen.invalid"


def channel_of(platform: Platform, settings: ChannelSettings) -> Channel:
    return channel_for(
        platform.channel_kind.value,
        platform.channel_address,
        settings.outbox,
        settings.webhook_secret,
        settings.sender,
    )


def facts_of(session: Session, referral: Referral) -> ReferralFacts:
    """What the package says, read from the referral, its decision and its items."""
    platform = session.get(Platform, referral.platform_id)
    agency = session.get(Agency, referral.agency_id)
    officer = session.get(User, referral.created_by_id)
    assert platform is not None and agency is not None and officer is not None
    decision = (
        review.latest_referral_decision(session=session, case_id=referral.case_id)
        if referral.case_id is not None
        else None
    )
    organisation = (
        session.get(Organisation, decision.organisation_id)
        if decision and decision.organisation_id
        else None
    )
    items = session.scalars(
        select(ReferralItem)
        .where(ReferralItem.referral_id == referral.id)
        .order_by(ReferralItem.id)
    ).all()
    basis = review.legal_bases_in_force().get(referral.legal_basis)
    latest = session.scalars(
        select(EvidenceRecord)
        .where(EvidenceRecord.case_id == referral.case_id)
        .order_by(EvidenceRecord.sequence.desc())
        .limit(1)
    ).first()
    return ReferralFacts(
        referral_id=referral.id,
        platform=platform.code,
        agency=agency.name,
        agency_code=agency.code,
        officer=officer.display_name,
        officer_email=officer.email,
        legal_basis=referral.legal_basis,
        legal_title=basis.title if basis else referral.legal_basis,
        organisation=organisation.name if organisation else "",
        reason=decision.reason_code if decision else "",
        urgent=referral.urgent,
        created_at=referral.created_at,
        items=[{"url": i.url, "kind": "post" if i.post_id else "account"} for i in items],
        evidence_sha256=latest.sha256 if latest else None,
    )


def send(
    sessions: sessionmaker[Session],
    *,
    referral_id: int,
    username: str,
    settings: ChannelSettings,
    signer: evidence.Signer | None = None,
) -> RequestPackage:
    """Build the platform's package, deliver it through its channel, mark it sent."""
    with audit.attempt(
        sessions,
        actor=username,
        action="referral.send",
        object_type="referral",
        object_id=referral_id,
    ) as session:
        referral = service.get_referral(session=session, referral_id=referral_id)
        workflow.check_transition(referral.status, ReferralStatus.SENT)
        platform = session.get(Platform, referral.platform_id)
        assert platform is not None
        package = adapter_for(platform.code).package(
            facts_of(session, referral), signer.sign if signer else None
        )
        reference = f"{platform.code}-{referral.id}"
        delivery = channel_of(platform, settings).deliver(package, reference)
        service.apply_status(
            session,
            referral,
            ReferralStatus.SENT,
            EventSource.SYSTEM,
            actor=username,
            platform_reference=delivery.platform_reference,
            note=f"{delivery.channel}: {delivery.detail}; package sha256 {package.sha256}",
        )
        return package


def receive_answer(
    sessions: sessionmaker[Session],
    *,
    platform_code: str,
    body: bytes,
    signature: str | None,
    secret: str,
) -> int:
    """A platform's answer arriving on the webhook: `{"reference", "status", "at"?}`.

    Returns the referral's id. A bad signature, an unknown reference or a move the
    rules forbid is refused and audited; nothing changes.
    """
    detail = {"platform": platform_code, "bytes": len(body)}
    with audit.attempt(
        sessions,
        actor=f"webhook:{platform_code}",
        action="referral.answer",
        object_type="platform",
        object_id=platform_code,
        details=detail,
    ) as session:
        if not signature_ok(secret, body, signature):
            raise SafeguardViolation(f"answer from {platform_code}: bad or missing signature")
        try:
            answer = json.loads(body)
            reference, status = str(answer["reference"]), ReferralStatus(answer["status"])
            at = datetime.fromisoformat(answer["at"]) if answer.get("at") else None
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"answer from {platform_code} is not readable: {exc}") from None
        referral = service.by_platform_reference(
            session=session, platform_code=platform_code, reference=reference
        )
        service.apply_status(
            session,
            referral,
            status,
            EventSource.WEBHOOK,
            actor=f"webhook:{platform_code}",
            platform_reference=reference,
            at=at,
        )
        return referral.id


@dataclass
class ImportResult:
    applied: int = 0
    refused: list[str] = field(default_factory=list)


def import_answers(sessions: sessionmaker[Session], *, path: Path, actor: str) -> ImportResult:
    """Answers from a CSV (`referral_id,status[,platform_reference,at,note]`), each in its
    own transaction: a refused row is reported with its line and does not stop the rest."""
    result = ImportResult()
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from None
    for line, row in enumerate(rows, start=2):
        try:
            service.record_status(
                sessions,
                referral_id=int(row.get("referral_id") or 0),
                status=ReferralStatus((row.get("status") or "").strip()),
                source=EventSource.CSV_IMPORT,
                actor=actor,
                platform_reference=(row.get("platform_reference") or "").strip() or None,
                note=(row.get("note") or "").strip(),
                at=datetime.fromisoformat(row["at"]) if row.get("at") else None,
            )
            result.applied += 1
        except (ShaheenError, ValueError) as exc:
            result.refused.append(f"{path}: line {line}: {exc}")
    return result


def poll(
    sessions: sessionmaker[Session],
    *,
    settings: ChannelSettings,
    actor: str = "system:poll",
    now: datetime | None = None,
) -> int:
    """Ask webhook channels for the status of every referral still awaiting an answer."""
    changes = 0
    with sessions() as session:
        waiting = session.execute(
            select(Referral.id, Referral.platform_reference, Platform)
            .join(Platform, Platform.id == Referral.platform_id)
            .where(
                Referral.status.in_([*workflow.AWAITING, ReferralStatus.NO_RESPONSE]),
                Referral.platform_reference.is_not(None),
            )
        ).all()
    for referral_id, reference, platform in waiting:
        channel = channel_of(platform, settings)
        if not isinstance(channel, Webhook):
            continue
        try:
            answered = channel.status(str(reference))
        except ChannelError as exc:  # one platform down must not stop the others
            log.warning("referral %s: %s", referral_id, exc)
            continue
        changes += _advance(sessions, referral_id, answered, actor, now)
    return changes


def _advance(
    sessions: sessionmaker[Session],
    referral_id: int,
    answered: str | None,
    actor: str,
    now: datetime | None,
) -> int:
    if answered is None:
        return 0
    target = ReferralStatus(answered)
    with sessions() as session:
        current = service.get_referral(session=session, referral_id=referral_id).status
    if target is current or target not in workflow.TRANSITIONS[current]:
        return 0
    service.record_status(
        sessions,
        referral_id=referral_id,
        status=target,
        source=EventSource.WEBHOOK,
        actor=actor,
        at=now,
    )
    return 1


def recheck(
    sessions: sessionmaker[Session],
    *,
    settings: ChannelSettings,
    actor: str = "system:recheck",
    now: datetime | None = None,
) -> int:
    """Check every item of referrals the platform said it acted on (or was asked to):
    mark it online or not, and record removal or reinstatement it reveals."""
    changes = 0
    with sessions() as session:
        rows = session.execute(
            select(Referral.id, Referral.status, Platform)
            .join(Platform, Platform.id == Referral.platform_id)
            .where(
                Referral.status.in_(
                    [*workflow.ACTED, ReferralStatus.REINSTATED, *workflow.AWAITING]
                )
            )
        ).all()
    for referral_id, status, platform in rows:
        channel = channel_of(platform, settings)
        if not isinstance(channel, Webhook):
            continue
        try:
            with sessions.begin() as session:
                items = session.scalars(
                    select(ReferralItem).where(ReferralItem.referral_id == referral_id)
                ).all()
                for item in items:
                    item.online, item.last_checked_at = channel.online(item.url), now or utcnow()
                any_online = any(item.online for item in items)
        except ChannelError as exc:
            log.warning("re-check of referral %s: %s", referral_id, exc)
            continue
        target = _recheck_target(status, any_online)
        if target is not None:
            try:
                service.record_status(
                    sessions,
                    referral_id=referral_id,
                    status=target,
                    source=EventSource.RECHECK,
                    actor=actor,
                    at=now,
                )
                changes += 1
            except IllegalTransition:
                pass  # the re-check saw nothing the rules let it record
    return changes


def _recheck_target(status: ReferralStatus, any_online: bool) -> ReferralStatus | None:
    if status in workflow.ACTED and any_online:
        return ReferralStatus.REINSTATED
    if status is ReferralStatus.REINSTATED and not any_online:
        return ReferralStatus.REMOVED
    if status in workflow.AWAITING and not any_online:
        return ReferralStatus.REMOVED
    return None
