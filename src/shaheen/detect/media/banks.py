"""Hash banks: named lists of PDQ, vPDQ and MD5 hashes with their provenance.

Every change to a bank is audited, and clears `media.matched_at` so that the next scan
matches every stored media item against the banks again: a hash added today finds the
copies collected last month (a retro-hunt).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shaheen.agencies.models import Agency
from shaheen.audit import service as audit
from shaheen.detect.media.hashing import MediaError, MediaHashes, hash_file, vpdq_value
from shaheen.detect.media.interop import BankRecord, checked_value
from shaheen.errors import BadInput, NotFound
from shaheen.ingest.models import Media
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.knowledge.models import HashBank, HashBankEntry, Organisation
from shaheen.store.base import utcnow


def digest(value: str) -> str:
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
        organisation_id=_organisation_id(session, organisation),
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
    *, session: Session, bank: HashBank, records: Sequence[BankRecord], actor: str, action: str
) -> AddResult:
    """Add records not already in the bank (by type and value); audit and retro-hunt."""
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
        details={"bank": bank.name, "added": result.added, "already_there": result.already_there},
    )
    if result.added:
        banks_changed(session=session)
    return result


def records_of(hashes: MediaHashes, tags: Iterable[str] = ()) -> list[BankRecord]:
    """The bank records a hashed file contributes: its MD5, and its PDQ or vPDQ."""
    tags = tuple(tags)
    records = [BankRecord(SignalType.MD5, hashes.md5, tags, media_type=hashes.kind)]
    if hashes.pdq is not None:
        records.append(
            BankRecord(SignalType.PDQ, hashes.pdq, tags, hashes.pdq_quality, hashes.kind)
        )
    if hashes.frames:
        quality = round(sum(f.quality for f in hashes.frames) / len(hashes.frames))
        records.append(
            BankRecord(SignalType.VPDQ, vpdq_value(hashes.frames), tags, quality, hashes.kind)
        )
    return records


def add_files(
    *, session: Session, bank: HashBank, paths: Sequence[Path], actor: str, tags: Sequence[str]
) -> AddResult:
    """Hash each file and add its hashes; a file that cannot be hashed fails alone."""
    records: list[BankRecord] = []
    failed: list[str] = []
    for path in paths:
        try:
            records.extend(records_of(hash_file(path), tags))
        except MediaError as exc:
            failed.append(str(exc))
    result = add_records(
        session=session, bank=bank, records=records, actor=actor, action="bank.add"
    )
    result.failed = failed
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
            e.added_at,
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


def banks_changed(*, session: Session) -> None:
    """Make every stored media item due for matching again."""
    session.execute(update(Media).where(Media.matched_at.is_not(None)).values(matched_at=None))


def _organisation_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = session.scalar(select(Organisation.id).where(Organisation.slug == slug))
    if found is None:
        raise NotFound(f"no organisation {slug!r} in the knowledge base (`shaheen kb list`)")
    return found


def _agency_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    found = session.scalar(select(Agency.id).where(Agency.code == code))
    if found is None:
        raise NotFound(f"no agency {code!r} (`shaheen agency list`)")
    return found
