"""The audit chain shows any change, removal or reordering of past events."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from shaheen.audit import service
from shaheen.audit.models import AuditEvent


def _three_events(session: Session) -> list[AuditEvent]:
    return [
        service.record(
            session=session,
            actor="cli:test",
            action=f"act{i}",
            object_type="case",
            object_id=i,
            details={"n": i, "note": "نوٹ"},
        )
        for i in range(1, 4)
    ]


def test_events_chain_to_their_predecessor(session: Session) -> None:
    first, second, third = _three_events(session)
    assert first.previous_hash is None
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    assert [e.sequence for e in (first, second, third)] == [1, 2, 3]
    report = service.verify(session=session)
    assert report.intact and report.events == 3


def test_an_edited_event_is_detected(session: Session) -> None:
    _three_events(session)
    session.execute(update(AuditEvent).where(AuditEvent.sequence == 2).values(details={"n": 99}))
    session.expire_all()
    report = service.verify(session=session)
    assert not report.intact
    assert report.first_bad_sequence == 2
    assert report.reason == "content changed after it was written"


def test_a_deleted_event_is_detected(session: Session) -> None:
    _three_events(session)
    session.execute(delete(AuditEvent).where(AuditEvent.sequence == 2))
    session.expire_all()
    report = service.verify(session=session)
    assert report.first_bad_sequence == 2
    assert report.reason == "event missing from the sequence"


def test_a_rehashed_forgery_still_breaks_the_next_link(session: Session) -> None:
    _three_events(session)
    forged = "0" * 64
    session.execute(update(AuditEvent).where(AuditEvent.sequence == 2).values(hash=forged))
    session.expire_all()
    report = service.verify(session=session)
    assert report.first_bad_sequence == 2
