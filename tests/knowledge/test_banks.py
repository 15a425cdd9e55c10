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
from shaheen.knowledge.banks_interop import BankRecord, read
from shaheen.knowledge.enums import TLP, EntryCategory, SignalType
from shaheen.knowledge.models import HashBankEntry

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
    done = banks.export_bank(session=session, bank=bank, path=path, fmt=None, actor="liaison")
    assert (done.count, done.tlp, done.downgraded) == (1, TLP.RED, False)
    assert json.loads(path.read_text())["type"] == "bundle"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "bank.export")).one()
    assert event.actor == "liaison"
    assert event.details == {"bank": "posters", "file": str(path), "count": 1, "tlp": "red"}


def test_an_unknown_bank_says_how_to_create_it(session: Session) -> None:
    with pytest.raises(NotFound, match="shaheen bank create nope"):
        banks.get_bank(session=session, name="nope")


DATA = Path(__file__).resolve().parents[1] / "data" / "banks"


def test_each_hash_list_variant_is_stored_with_its_category(
    session: Session, tmp_path: Path
) -> None:
    bank = banks.create_bank(session=session, name="partner", actor="t", source="fusion centre")
    added = []
    for name, signal_type in (
        ("pdq_bare.txt", SignalType.PDQ),
        ("dataset.csv", None),
        ("partner_bundle.json", None),
    ):
        parsed = read(DATA / name, signal_type=signal_type)
        result = banks.add_records(
            session=session,
            bank=bank,
            records=parsed.records,
            actor="t",
            action="bank.import",
            details={"rejected": len(parsed.rejected), "skipped": len(parsed.skipped)},
        )
        added.append((result.added, result.already_there))
    # the same posters recur across the three files: each hash is stored once, and keeps
    # the category of the file that brought it first
    assert added == [(4, 0), (1, 3), (3, 2)]
    categories = dict(
        session.execute(
            select(HashBankEntry.value, HashBankEntry.category).where(
                HashBankEntry.bank_id == bank.id
            )
        ).all()
    )
    assert len(categories) == 8
    assert categories["1a02499daca26312356e47fff8039632"] is EntryCategory.POSITIVE_CLASS
    assert categories["a39c1c9e3bf0d263a4665a7af9c255f5"] is EntryCategory.POSITIVE_CLASS
    assert categories["8b35394be5a8ebd7ce6a02675686211a61305eb01ce1f9cfed9a52b8db90da3c"] is (
        EntryCategory.POSITIVE_CLASS  # first came bare from the TXT list
    )
    audit_details = session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "bank.import")
    ).all()
    assert [(d["rejected"], d["skipped"]) for d in audit_details] == [(1, 0), (3, 0), (1, 7)]


def test_a_negative_entry_keeps_its_category_through_export_and_import(
    session: Session, tmp_path: Path
) -> None:
    bank = banks.create_bank(session=session, name="collab", actor="t")
    banks.add_records(
        session=session,
        bank=bank,
        records=read(DATA / "dataset.csv").records,
        actor="t",
        action="bank.import",
    )
    stored = banks.records_in(session=session, bank=bank)
    assert [r.category for r in stored] == [
        EntryCategory.POSITIVE_CLASS,
        EntryCategory.NEGATIVE_CLASS,
        EntryCategory.INVESTIGATION_SEED,
        EntryCategory.POSITIVE_CLASS,
    ]
    for suffix in ("csv", "json"):
        path = tmp_path / f"collab.{suffix}"
        banks.export_bank(session=session, bank=bank, path=path, fmt=None, actor="t")
        copy = banks.create_bank(session=session, name=f"copy-{suffix}", actor="t")
        banks.add_records(
            session=session, bank=copy, records=read(path).records, actor="t", action="bank.import"
        )
        assert banks.records_in(session=session, bank=copy) == stored
    txt = tmp_path / "collab.txt"
    assert banks.export_bank(session=session, bank=bank, path=txt, fmt=None, actor="t").count == 2
