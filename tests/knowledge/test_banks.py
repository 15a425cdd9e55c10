"""Hash banks in the database: creation with its owners, idempotent adds, listing, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.service import ensure_agency
from shaheen.audit.models import AuditEvent
from shaheen.errors import NotFound
from shaheen.knowledge import banks
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.banks_interop import BankRecord
from shaheen.knowledge.enums import TLP, SignalType

PDQ = "e3c1a5f0" * 8
MD5 = "5d41402abc4b2a76b9719d911017c592"


def _kb(session: Session) -> None:
    knowledge.load(
        session=session,
        merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
        actor="test",
    )


def test_a_bank_knows_its_organisation_and_owning_agency(session: Session) -> None:
    _kb(session)
    agency = ensure_agency(
        session=session, code="CTD-PB", name="CTD", kind=AgencyKind.PROVINCIAL_CTD
    )
    bank = banks.create_bank(
        session=session, name="posters", actor="t", organisation="ttp", agency="CTD-PB"
    )
    assert bank.owner_agency_id == agency.id
    assert bank.organisation_id == knowledge.organisation_id(session=session, slug="ttp")


@pytest.mark.parametrize(
    ("organisation", "agency", "message"),
    [
        ("no-such-group", None, "no organisation 'no-such-group'"),
        (None, "NOPE", r"no agency 'NOPE' \(`shaheen agency list`\)"),
    ],
)
def test_unknown_owners_are_refused_by_name(
    session: Session, organisation: str | None, agency: str | None, message: str
) -> None:
    _kb(session)
    with pytest.raises(NotFound, match=message):
        banks.create_bank(
            session=session, name="posters", actor="t", organisation=organisation, agency=agency
        )


def test_adding_twice_keeps_one_entry_and_is_audited(session: Session) -> None:
    _kb(session)
    bank = banks.create_bank(session=session, name="posters", actor="t", organisation="ttp")
    records = [
        BankRecord(SignalType.PDQ, PDQ.upper(), ("logo",), 90),
        BankRecord(SignalType.MD5, MD5),
    ]
    first = banks.add_records(
        session=session, bank=bank, records=records, actor="t", action="bank.import"
    )
    again = banks.add_records(
        session=session, bank=bank, records=records, actor="t", action="bank.import"
    )
    assert (first.added, again.added, again.already_there) == (2, 0, 2)
    stored = banks.records_in(session=session, bank=bank)
    assert [(r.signal_type, r.value, r.organisation) for r in stored] == [
        (SignalType.PDQ, PDQ, "ttp"),  # canonical lower case; the bank's organisation
        (SignalType.MD5, MD5, "ttp"),
    ]
    [summary] = banks.summaries(session=session)
    assert (summary.name, summary.organisation, summary.counts) == (
        "posters",
        "ttp",
        {"pdq": 1, "md5": 1},
    )
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["bank.create", "bank.import", "bank.import"]


def test_export_is_audited_with_its_marking(session: Session, tmp_path: Path) -> None:
    bank = banks.create_bank(session=session, name="posters", actor="t", tlp=TLP.RED)
    banks.add_records(
        session=session,
        bank=bank,
        records=[BankRecord(SignalType.MD5, MD5)],
        actor="t",
        action="bank.add",
    )
    path = tmp_path / "posters.json"
    assert banks.export_bank(session=session, bank=bank, path=path, fmt=None, actor="liaison") == 1
    assert json.loads(path.read_text())["type"] == "bundle"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "bank.export")).one()
    assert event.actor == "liaison"
    assert event.details == {"bank": "posters", "file": str(path), "count": 1, "tlp": "red"}


def test_an_unknown_bank_says_how_to_create_it(session: Session) -> None:
    with pytest.raises(NotFound, match="shaheen bank create nope"):
        banks.get_bank(session=session, name="nope")
