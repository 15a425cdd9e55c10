"""Writing and verifying the audit log.

Each event's hash covers its content and the previous event's hash, so editing or
deleting any past event breaks every hash after it. On PostgreSQL a transaction-level
advisory lock serialises writers so the chain never forks; SQLite serialises writes
by itself, and the unique `sequence` column refuses a fork on either.

The events themselves are not signed; the transaction that appends them commits a
signed checkpoint of the chain's head with them (`audit/checkpoints.py`), which is what
makes deleting the newest events, or recomputing the chain after an edit, visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.rules import Action, Principal, require
from shaheen.audit import checkpoints
from shaheen.audit.models import AuditEvent
from shaheen.audit.schemas import AuditEntry, AuditPage
from shaheen.canonical import chain_hash
from shaheen.errors import ShaheenError
from shaheen.store.base import utcnow
from shaheen.store.engine import serialise_writers

_ADVISORY_LOCK_KEY = checkpoints.LOCK_KEYS["audit"]


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "sequence": event.sequence,
        "actor": event.actor,
        "user_id": event.user_id,
        "agency_id": event.agency_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "details": event.details,
        "outcome": event.outcome,
        "occurred_at": event.occurred_at,
    }


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
    outcome: str = "ok",
    user_id: int | None = None,
    agency_id: int | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the audit chain; the transaction's commit signs a checkpoint."""
    serialise_writers(session, _ADVISORY_LOCK_KEY)
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(1)).first()
    event = AuditEvent(
        sequence=(last.sequence + 1) if last else 1,
        actor=actor,
        user_id=user_id,
        agency_id=agency_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details or {},
        outcome=outcome,
        previous_hash=last.hash if last else None,
        occurred_at=occurred_at or utcnow(),
    )
    event.hash = chain_hash(event.previous_hash, _payload(event))
    session.add(event)
    session.flush()
    checkpoints.stage(session=session, chain="audit", sequence=event.sequence)
    return event


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of checking the audit chain.

    `first_bad_sequence` is None also for a problem of the chain as a whole (a key
    pinned without endorsement); `intact` looks at `reason`.
    """

    events: int
    first_bad_sequence: int | None
    reason: str | None
    checkpoints: int = 0
    sources: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return self.reason is None


def verify(
    *, session: Session, batch_size: int = 5000, outside: Iterable[checkpoints.Held] = ()
) -> ChainReport:
    """Recompute every hash in order and hold the chain against its signed checkpoints.

    `outside` adds checkpoints kept elsewhere (the checkpoint file, an export); the
    ones in the database are always used. Reports the first event that does not fit.
    """
    verifier = checkpoints.ChainVerifier(session=session, chain="audit", outside=outside)
    if verifier.problem is not None:
        return ChainReport(0, *verifier.problem)
    previous: str | None = None
    expected_sequence = 1
    checked = 0
    for event in session.scalars(
        select(AuditEvent).order_by(AuditEvent.sequence).execution_options(yield_per=batch_size)
    ):
        if event.sequence != expected_sequence:
            return ChainReport(checked, expected_sequence, "event missing from the sequence")
        if event.previous_hash != previous:
            return ChainReport(checked, event.sequence, "link to the previous event broken")
        if chain_hash(previous, _payload(event)) != event.hash:
            return ChainReport(checked, event.sequence, "content changed after it was written")
        problem = verifier.record(event.sequence, event.hash)
        if problem is not None:
            return ChainReport(checked, event.sequence, problem)
        previous, expected_sequence, checked = event.hash, expected_sequence + 1, checked + 1
    end = verifier.finish(checked)
    if end is not None:
        return ChainReport(checked, *end)
    return ChainReport(checked, None, None, verifier.checkpoints, tuple(sorted(verifier.sources)))


def count(*, session: Session) -> int:
    """How many audit events exist."""
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@contextmanager
def attempt(
    sessions: sessionmaker[Session],
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
    agency_id: int | None = None,
) -> Iterator[Session]:
    """A transaction for one guarded action; if a rule refuses it, nothing it did stays,
    and the refusal itself is written to the audit log in a transaction of its own.

    Why: a rejected attempt (a second review by the same person, a referral without
    legal basis, a webhook with a bad signature) is exactly what an auditor must see.
    """
    try:
        with sessions.begin() as session:
            yield session
    except ShaheenError as exc:
        with sessions.begin() as session:
            record(
                session=session,
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=object_id,
                details={**(details or {}), "refused": str(exc)},
                outcome="rejected",
                user_id=user_id,
                agency_id=agency_id,
            )
        raise


def entries(
    *,
    session: Session,
    by: Principal,
    limit: int = 50,
    before: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    occurred_from: datetime | None = None,
    occurred_before: datetime | None = None,
) -> AuditPage:
    """The audit log, newest first, as `by` may read it: an auditor (or supervisor,
    admin) their own agency's entries; a platform administrator and the operator all.
    `before` pages back by sequence number; `occurred_from` and `occurred_before` keep
    the entries of a time range ([from, before))."""
    require(by, Action.AUDIT_READ)
    statement = select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(limit + 1)
    if not (by.is_system or by.platform_admin):
        statement = statement.where(AuditEvent.agency_id == by.agency_id)
    if before is not None:
        statement = statement.where(AuditEvent.sequence < before)
    for column, value in (
        (AuditEvent.actor, actor),
        (AuditEvent.action, action),
        (AuditEvent.object_type, object_type),
        (AuditEvent.object_id, object_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if occurred_from is not None:
        statement = statement.where(AuditEvent.occurred_at >= occurred_from)
    if occurred_before is not None:
        statement = statement.where(AuditEvent.occurred_at < occurred_before)
    found = list(session.scalars(statement))
    shown = [AuditEntry.model_validate(event) for event in found[:limit]]
    more = len(found) > limit
    return AuditPage(entries=shown, before=shown[-1].sequence if more and shown else None)
