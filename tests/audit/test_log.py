"""Reading the audit log: auditors read their own agency's entries, never another's."""

from __future__ import annotations

import pytest

from shaheen.access.rules import system
from shaheen.audit import service
from shaheen.errors import Forbidden, NotFound, Unauthenticated
from shaheen.review import service as review
from tests.review.conftest import Desk, desk

__all__ = ["desk"]


def test_auditors_read_their_own_agency(desk: Desk) -> None:
    case_id = desk.case()
    review.claim(desk.sessions, case_id=case_id, by=desk.as_("rev1"))
    with pytest.raises(NotFound):  # the outsider's claim: refused, audited in their agency
        review.claim(desk.sessions, case_id=case_id, by=desk.as_("outsider"))
    with desk.sessions() as session:
        own = service.entries(session=session, by=desk.as_("auditor"))
        everything = service.entries(session=session, by=system())
        claims = service.entries(session=session, by=desk.as_("auditor"), action="case.claim")
        with pytest.raises(Forbidden, match=r"may not audit\.read"):
            service.entries(session=session, by=desk.as_("rev1"))
        with pytest.raises(Unauthenticated):
            service.entries(session=session, by=None)  # type: ignore[arg-type]
        first = service.entries(session=session, by=system(), limit=1)
        older = service.entries(session=session, by=system(), limit=1, before=first.before)
    assert {entry.agency_id for entry in own.entries} == {desk.agency_id}
    assert any(entry.agency_id != desk.agency_id for entry in everything.entries)
    assert [(e.actor, e.outcome) for e in claims.entries] == [("rev1", "ok")]
    assert first.before is not None and older.entries[0].sequence < first.entries[0].sequence
