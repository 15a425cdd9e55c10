"""Sending referrals and following them up: answers by webhook, CSV or polling, re-checks.

Every answer, however it arrives, goes through `service.apply_status`, so the rules of
`rules.py` hold for all of them; an answer that breaks them, names an unknown
reference or carries a bad signature is refused, changes nothing, and is audited.

An answer on the webhook endpoint is taken only when signed with that platform's own
secret (`channels.WebhookSecrets`) over its timestamp and body, the timestamp within the
replay window, its delivery id never seen before (`WebhookDelivery`), and its time no
older than the referral's latest answer or re-check from that platform: so a captured
"removed" sent again after "reinstated" flips nothing back. Refusals are counted per
platform and time window (`WebhookRefusalTally`) and reach the audit log as a summary,
not one event per junk request, which would let anyone flood the audit chain.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.rules import Principal, identity
from shaheen.access.rules import system as system_actor
from shaheen.agencies.models import Agency, User
from shaheen.audit import service as audit
from shaheen.errors import (
    BadInput,
    ConfigError,
    IllegalTransition,
    NotFound,
    ShaheenError,
)
from shaheen.evidence import service as evidence
from shaheen.evidence.models import EvidenceRecord
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.referral import rules, service
from shaheen.referral.adapters import ReferralFacts, RequestPackage, adapter_for
from shaheen.referral.channels import (
    DEFAULT_REPLAY_WINDOW,
    BadSignature,
    Channel,
    ChannelError,
    Webhook,
    WebhookSecrets,
    channel_for,
    verify,
)
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.models import (
    Referral,
    ReferralEvent,
    ReferralItem,
    WebhookDelivery,
    WebhookRefusalTally,
)
from shaheen.review import service as review
from shaheen.store.base import utcnow
from shaheen.store.engine import serialise_writers, write_scope

if TYPE_CHECKING:
    from shaheen.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelSettings:
    outbox: Path
    secrets: WebhookSecrets
    sender: str = "referrals@shaheen.invalid"
    window: float = DEFAULT_REPLAY_WINDOW  # seconds a signed answer to a query stays good


def channel_of(platform: Platform, settings: ChannelSettings) -> Channel:
    return channel_for(
        platform.channel_kind.value,
        platform.channel_address,
        settings.outbox,
        lambda: settings.secrets.get(platform.code),
        settings.sender,
        settings.window,
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
    by: Principal,
    settings: ChannelSettings,
    signer: evidence.Signer | None = None,
    at: datetime | None = None,
) -> RequestPackage:
    """Build the platform's package, deliver it through its channel, mark it sent (at
    `at`, for a sending recorded after the fact; now by default)."""
    with audit.attempt(
        sessions,
        **identity(by),
        action="referral.send",
        object_type="referral",
        object_id=referral_id,
    ) as session:
        service.acting(session, by)
        referral = service.referral_for(session, by, referral_id, write=True)
        rules.check_transition(referral.status, ReferralStatus.SENT)
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
            actor=by.actor,
            actor_id=by.user_id,
            platform_reference=delivery.platform_reference,
            note=f"{delivery.channel}: {delivery.detail}; package sha256 {package.sha256}",
            at=at,
        )
        return package


@dataclass(frozen=True)
class WebhookPolicy:
    """How the webhook endpoint checks answers; `from_settings` reads the settings."""

    secrets: WebhookSecrets
    window: float = DEFAULT_REPLAY_WINDOW  # seconds a signature's timestamp may be off
    refusal_window: float = 60.0  # seconds of refusals one audit summary covers
    max_body: int = 64 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookPolicy:
        return cls(
            WebhookSecrets(settings.keys_dir),
            float(settings.webhook_replay_window_seconds),
            float(settings.webhook_refusal_window_seconds),
            settings.webhook_max_body_bytes,
        )


class UnreadableAnswer(BadInput):
    """An answer whose body or one field cannot be read; `field` names it."""

    reason = "unreadable"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BodyTooLarge(BadInput):
    reason = "body_too_large"


class UnknownPlatform(NotFound):
    reason = "unknown_platform"


class ReplayedAnswer(IllegalTransition):
    """A delivery id taken before: the same signed answer sent again."""

    reason = "replayed_delivery"


class StaleAnswer(IllegalTransition):
    """An answer dated before what the platform already told us about the referral."""

    reason = "older_than_latest"


def reason_of(error: ShaheenError) -> str:
    """A short, stable code for a refusal (the tally counts by it)."""
    code = getattr(error, "reason", None)
    if isinstance(code, str):
        return code
    if isinstance(error, NotFound):
        return "unknown_reference"
    if isinstance(error, IllegalTransition):
        return "illegal_move"
    if isinstance(error, BadInput):
        return "unreadable"
    return "refused"


@dataclass(frozen=True)
class _Answer:
    delivery: str
    reference: str
    status: ReferralStatus
    at: datetime | None


def _read_answer(body: bytes, latest_allowed: datetime) -> _Answer:
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise UnreadableAnswer("the body is not JSON") from None
    if not isinstance(answer, dict):
        raise UnreadableAnswer("the body is not a JSON object")

    def text(name: str) -> str:
        value = answer.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise UnreadableAnswer(f"{name!r} must be a string of 1 to 200 characters", name)
        return value.strip()

    delivery, reference = text("delivery"), text("reference")
    try:
        status = ReferralStatus(str(answer.get("status")))
    except ValueError:
        known = ", ".join(s.value for s in ReferralStatus)
        raise UnreadableAnswer(f"'status' must be one of {known}", "status") from None
    at = None
    if answer.get("at") is not None:
        try:
            at = datetime.fromisoformat(str(answer["at"]))
        except ValueError:
            raise UnreadableAnswer("'at' is not an ISO 8601 time", "at") from None
        if at.tzinfo is None:  # a local time of an unknown zone: hours off, so refused
            raise UnreadableAnswer("'at' has no time zone (add Z or +05:00)", "at")
        if at > latest_allowed:
            raise UnreadableAnswer("'at' lies in the future", "at")
    return _Answer(delivery, reference, status, at)


def receive_answer(
    sessions: sessionmaker[Session],
    *,
    platform_code: str,
    body: bytes,
    headers: Mapping[str, str],
    policy: WebhookPolicy,
    now: datetime | None = None,
) -> int:
    """A platform's answer arriving on the webhook, `{"delivery", "reference", "status",
    "at"?}` signed as `channels.verify` checks; returns the referral's id.

    Anything refused changes nothing and raises; it is counted by `refuse_answer` for the
    audit log's summary. A `ConfigError` (our own secret file unusable) is not the
    sender's doing and is raised without being counted.
    """
    now = now or utcnow()
    try:
        return _take_answer(sessions, platform_code, body, headers, policy, now)
    except ConfigError:
        raise
    except ShaheenError as exc:
        refuse_answer(
            sessions, platform_code=platform_code, reason=reason_of(exc), policy=policy, now=now
        )
        raise


def _take_answer(
    sessions: sessionmaker[Session],
    platform_code: str,
    body: bytes,
    headers: Mapping[str, str],
    policy: WebhookPolicy,
    now: datetime,
) -> int:
    with sessions() as session:
        known = session.scalar(select(Platform.id).where(Platform.code == platform_code))
    if known is None:
        raise UnknownPlatform(f"no platform {platform_code!r}")
    if len(body) > policy.max_body:
        raise BodyTooLarge(f"the body is larger than {policy.max_body} bytes")
    secret = policy.secrets.existing(platform_code)
    if secret is None:  # never made here on a request: junk must not create files
        raise BadSignature(f"{platform_code} has no webhook secret yet", "no_secret")
    signed = verify(secret, body, headers, window=policy.window, now=now.timestamp())
    signed_at = datetime.fromtimestamp(signed, UTC)
    answer = _read_answer(body, now + timedelta(seconds=policy.window))
    # The answer's own time: its `at`, else when it was signed (whole seconds, so it
    # counts as older than an event only when a full second older).
    when = answer.at or signed_at
    slack = timedelta(0) if answer.at else timedelta(seconds=1)
    with write_scope(sessions) as session:
        taken = session.scalar(
            select(WebhookDelivery.id).where(
                WebhookDelivery.platform == platform_code,
                WebhookDelivery.delivery_id == answer.delivery,
            )
        )
        if taken is not None:
            raise ReplayedAnswer(f"delivery {answer.delivery!r} was taken before")
        referral = service.by_platform_reference(
            session=session, platform_code=platform_code, reference=answer.reference
        )
        latest = session.scalar(
            select(func.max(ReferralEvent.occurred_at)).where(
                ReferralEvent.referral_id == referral.id,
                ReferralEvent.source.in_([EventSource.WEBHOOK, EventSource.RECHECK]),
            )
        )
        if latest is not None and when + slack < latest:
            raise StaleAnswer(
                f"the answer is dated {when.isoformat()}, before the referral's latest "
                f"answer from {platform_code} ({latest.isoformat()})"
            )
        session.add(
            WebhookDelivery(
                platform=platform_code,
                delivery_id=answer.delivery,
                referral_id=referral.id,
                status=answer.status,
                signed_at=signed_at,
                received_at=now,
            )
        )
        try:
            session.flush()
        except IntegrityError:  # the same delivery, taken by a concurrent request
            raise ReplayedAnswer(f"delivery {answer.delivery!r} was taken before") from None
        service.apply_status(
            session,
            referral,
            answer.status,
            EventSource.WEBHOOK,
            actor=f"webhook:{platform_code}",
            platform_reference=answer.reference,
            note=f"delivery {answer.delivery}",
            at=answer.at or now,
        )
        return referral.id


UNKNOWN_PLATFORM = "(unknown)"
_TALLY_LOCK_KEY = 0x5348_5748  # "SHWH": writers of the refusal tally take turns
_TALLY_KEPT = timedelta(days=1)  # summarised tallies are deleted after this


def refuse_answer(
    sessions: sessionmaker[Session],
    *,
    platform_code: str,
    reason: str,
    policy: WebhookPolicy,
    now: datetime | None = None,
) -> None:
    """Count one refused webhook request in its platform's current window.

    The window's first refusal is written to the audit log at once (so a watcher sees
    it), the rest only counted; the window's total goes to the log when it is closed,
    by a later refusal or `summarise_refusals`. Requests for platforms we do not know
    share one tally, so made-up names cannot multiply the rows either.
    """
    now = now or utcnow()
    width = policy.refusal_window
    start = datetime.fromtimestamp(now.timestamp() // width * width, UTC)
    with write_scope(sessions) as session:
        serialise_writers(session, _TALLY_LOCK_KEY)
        known = session.scalar(select(Platform.code).where(Platform.code == platform_code))
        key = known or UNKNOWN_PLATFORM
        _close_windows(session, before=start, width=width)
        tally = session.scalar(
            select(WebhookRefusalTally).where(
                WebhookRefusalTally.platform == key, WebhookRefusalTally.window_start == start
            )
        )
        if tally is None:
            tally = WebhookRefusalTally(
                platform=key, window_start=start, count=1, audited=1, reasons={reason: 1}
            )
            session.add(tally)
            session.flush()
            _audit_tally(session, tally, width, "first refusal of the window")
        else:
            tally.count += 1
            tally.reasons = {**tally.reasons, reason: int(tally.reasons.get(reason, 0)) + 1}


def summarise_refusals(
    sessions: sessionmaker[Session], *, policy: WebhookPolicy, now: datetime | None = None
) -> int:
    """Write the audit summary of every finished window not yet summarised; how many."""
    now = now or utcnow()
    width = policy.refusal_window
    start = datetime.fromtimestamp(now.timestamp() // width * width, UTC)
    with write_scope(sessions) as session:
        serialise_writers(session, _TALLY_LOCK_KEY)
        return _close_windows(session, before=start, width=width)


def refusal_tallies(*, session: Session, since: datetime) -> list[WebhookRefusalTally]:
    """The refusal counts of windows from `since` on, newest first (the live view)."""
    return list(
        session.scalars(
            select(WebhookRefusalTally)
            .where(WebhookRefusalTally.window_start >= since)
            .order_by(WebhookRefusalTally.window_start.desc(), WebhookRefusalTally.platform)
        )
    )


def _close_windows(session: Session, *, before: datetime, width: float) -> int:
    open_tallies = session.scalars(
        select(WebhookRefusalTally)
        .where(
            WebhookRefusalTally.window_start < before,
            WebhookRefusalTally.count > WebhookRefusalTally.audited,
        )
        .order_by(WebhookRefusalTally.window_start, WebhookRefusalTally.platform)
    ).all()
    for tally in open_tallies:
        tally.audited = tally.count
        _audit_tally(session, tally, width, "total of the window")
    session.execute(
        delete(WebhookRefusalTally).where(
            WebhookRefusalTally.window_start < before - _TALLY_KEPT,
            WebhookRefusalTally.count == WebhookRefusalTally.audited,
        )
    )
    return len(open_tallies)


def _audit_tally(session: Session, tally: WebhookRefusalTally, width: float, what: str) -> None:
    details: dict[str, Any] = {
        "summary": what,
        "window_start": tally.window_start.isoformat(),
        "window_seconds": width,
        "count": tally.count,
        "reasons": dict(sorted(tally.reasons.items())),
    }
    audit.record(
        session=session,
        actor=f"webhook:{tally.platform}",
        action="webhook.refused",
        object_type="platform",
        object_id=tally.platform,
        details=details,
        outcome="rejected",
    )


@dataclass
class ImportResult:
    applied: int = 0
    refused: list[str] = field(default_factory=list)


def import_answers(sessions: sessionmaker[Session], *, path: Path, by: Principal) -> ImportResult:
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
                by=by,
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
                Referral.status.in_([*rules.AWAITING, ReferralStatus.NO_RESPONSE]),
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
    if target is current or target not in rules.TRANSITIONS[current]:
        return 0
    service.record_status(
        sessions,
        referral_id=referral_id,
        status=target,
        source=EventSource.WEBHOOK,
        by=system_actor(actor),
        at=now,
        now=now,
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
            .where(Referral.status.in_([*rules.ACTED, ReferralStatus.REINSTATED, *rules.AWAITING]))
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
                seen = [item.online for item in items]
        except ChannelError as exc:
            log.warning("re-check of referral %s: %s", referral_id, exc)
            continue
        if not seen or (None in seen and True not in seen):
            continue  # the platform does not know (all of) it: no evidence either way
        target = _recheck_target(status, any(seen))
        if target is not None:
            try:
                service.record_status(
                    sessions,
                    referral_id=referral_id,
                    status=target,
                    source=EventSource.RECHECK,
                    by=system_actor(actor),
                    at=now,
                    now=now,
                )
                changes += 1
            except IllegalTransition:
                pass  # the re-check saw nothing the rules let it record
    return changes


def _recheck_target(status: ReferralStatus, any_online: bool) -> ReferralStatus | None:
    if status in rules.ACTED and any_online:
        return ReferralStatus.REINSTATED
    if status is ReferralStatus.REINSTATED and not any_online:
        return ReferralStatus.REMOVED
    if status in rules.AWAITING and not any_online:
        return ReferralStatus.REMOVED
    return None
