"""Hash banks: named lists of PDQ, vPDQ and MD5 hashes with their provenance.

The banks' data access, next to their tables (`knowledge/models.py`): create, look up,
add records, list, export. Every change is audited. Bank files in and out (TXT, CSV,
STIX 2.1) are `banks_interop.py`.

Adding entries here does not touch the media store: the retro-hunt that makes every
stored item due for matching again belongs to detection, which owns matching state.
Callers add through `detect.media.bank_flows` (files hashed, bank files imported),
which starts it; a hash added today then finds the copies collected last month.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shaheen.agencies import service as agencies
from shaheen.audit import service as audit
from shaheen.errors import BadInput, NotFound
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.banks_interop import BankRecord, checked_value, write
from shaheen.knowledge.enums import TLP
from shaheen.knowledge.models import HashBank, HashBankEntry, Organisation
from shaheen.store.base import utcnow


def digest(value: str) -> str:
    """The SHA-256 of a hash value: entries are unique per bank by (type, digest), since
    a vPDQ value is too long for a unique index on every database."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class AddResult:
    added: int = 0
    already_there: int = 0
    failed: list[str] = field(default_factory=list)  # one line per file that failed


@dataclass(frozen=True)
class BankSummary:
    name: str
    source: str
    label: str
    tlp: str
    organisation: str | None
    counts: dict[str, int]
    created_by: str


def create_bank(
    *,
    session: Session,
    name: str,
    actor: str,
    source: str = "local",
    label: str = "",
    tlp: TLP = TLP.AMBER,
    organisation: str | None = None,
    agency: str | None = None,
) -> HashBank:
    """A new, empty bank; its name must be free."""
    if session.scalar(select(HashBank.id).where(HashBank.name == name)) is not None:
        raise BadInput(f"a bank named {name!r} already exists")
    bank = HashBank(
        name=name,
        source=source,
        label=label,
        tlp=tlp,
        organisation_id=knowledge.organisation_id(session=session, slug=organisation),
        owner_agency_id=_agency_id(session, agency),
        created_by=actor,
    )
    session.add(bank)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="bank.create",
        object_type="hash_bank",
        object_id=bank.id,
        details={"name": name, "source": source, "tlp": tlp.value, "organisation": organisation},
    )
    return bank


def get_bank(*, session: Session, name: str) -> HashBank:
    bank = session.scalar(select(HashBank).where(HashBank.name == name))
    if bank is None:
        raise NotFound(f"no bank named {name!r}; create it with `shaheen bank create {name}`")
    return bank


def add_records(
    *,
    session: Session,
    bank: HashBank,
    records: Sequence[BankRecord],
    actor: str,
    action: str,
    details: Mapping[str, object] | None = None,
) -> AddResult:
    """Add records not already in the bank (by type and value), audited (with `details`,
    e.g. how many records of an imported file were left out).

    An entry keeps the category it was added with: a hash already in the bank is not
    changed by a later file. Only the bank changes: callers start the retro-hunt
    (`detect.media.bank_flows`).
    """
    result = AddResult()
    existing = {
        (signal_type, value_digest)
        for signal_type, value_digest in session.execute(
            select(HashBankEntry.signal_type, HashBankEntry.digest).where(
                HashBankEntry.bank_id == bank.id
            )
        )
    }
    organisations = dict(session.execute(select(Organisation.slug, Organisation.id)).all())
    for record in records:
        key = (record.signal_type, digest(record.value))
        if key in existing:
            result.already_there += 1
            continue
        existing.add(key)
        session.add(
            HashBankEntry(
                bank_id=bank.id,
                signal_type=record.signal_type,
                value=checked_value(record.signal_type, record.value),
                digest=key[1],
                quality=record.quality,
                media_type=record.media_type,
                organisation_id=organisations.get(record.organisation or "", bank.organisation_id),
                tags=" ".join(record.tags)[:500],
                category=record.category,
                added_by=actor,
                added_at=record.added_at or utcnow(),
            )
        )
        result.added += 1
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=action,
        object_type="hash_bank",
        object_id=bank.id,
        details={
            "bank": bank.name,
            "added": result.added,
            "already_there": result.already_there,
            **(details or {}),
        },
    )
    return result


def records_in(*, session: Session, bank: HashBank) -> list[BankRecord]:
    """The bank's entries as records, oldest first."""
    slugs = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    entries = session.scalars(
        select(HashBankEntry).where(HashBankEntry.bank_id == bank.id).order_by(HashBankEntry.id)
    )
    return [
        BankRecord(
            e.signal_type,
            e.value,
            tuple(e.tags.split()),
            e.quality,
            e.media_type,
            slugs.get(e.organisation_id) if e.organisation_id else None,
            added_at=e.added_at,
            category=e.category,
        )
        for e in entries
    ]


def summaries(*, session: Session) -> list[BankSummary]:
    counts: dict[int, dict[str, int]] = {}
    for bank_id, signal_type, count in session.execute(
        select(HashBankEntry.bank_id, HashBankEntry.signal_type, func.count()).group_by(
            HashBankEntry.bank_id, HashBankEntry.signal_type
        )
    ):
        counts.setdefault(bank_id, {})[str(signal_type)] = count
    slugs = dict(session.execute(select(Organisation.id, Organisation.slug)).all())
    return [
        BankSummary(
            bank.name,
            bank.source,
            bank.label,
            bank.tlp.value,
            slugs.get(bank.organisation_id) if bank.organisation_id else None,
            counts.get(bank.id, {}),
            bank.created_by,
        )
        for bank in session.scalars(select(HashBank).order_by(HashBank.name))
    ]


def export_bank(
    *, session: Session, bank: HashBank, path: Path, fmt: str | None, actor: str
) -> int:
    """Write the bank to `path` (TXT, CSV or STIX 2.1, by `fmt` or the name); audited, as
    every copy of a TLP-marked list leaving the unit should be. Return how many hashes."""
    count = write(
        path,
        records_in(session=session, bank=bank),
        fmt,
        bank_name=bank.name,
        source=bank.source,
        tlp=bank.tlp,
    )
    audit.record(
        session=session,
        actor=actor,
        action="bank.export",
        object_type="hash_bank",
        object_id=bank.id,
        details={"bank": bank.name, "file": str(path), "count": count, "tlp": bank.tlp.value},
    )
    return count


def _agency_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    agency = agencies.get_by_code(session=session, code=code)
    if agency is None:
        raise NotFound(f"no agency {code!r} (`shaheen agency list`)")
    return agency.id
