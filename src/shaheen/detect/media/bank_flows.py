"""Bank changes that involve media detection: files hashed into a bank, and the
retro-hunt that every addition (files or a bank file) starts.

The banks themselves are knowledge (`knowledge/banks.py`, next to their tables); what
lives here needs detection: hashing a file into bank records, and clearing
`media.matched_at` so that the next scan matches every stored media item against the
banks again. A hash added today thereby finds the copies collected last month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from shaheen.detect.media.hashing import MediaError, MediaHashes, hash_file, vpdq_value
from shaheen.ingest.models import Media
from shaheen.knowledge import banks
from shaheen.knowledge.banks import AddResult
from shaheen.knowledge.banks_interop import BankRecord
from shaheen.knowledge.enums import SignalType
from shaheen.knowledge.models import HashBank


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


def add_records(
    *,
    session: Session,
    bank: HashBank,
    records: Sequence[BankRecord],
    actor: str,
    action: str,
    details: Mapping[str, object] | None = None,
) -> AddResult:
    """`knowledge.banks.add_records`, then the retro-hunt if anything was added."""
    result = banks.add_records(
        session=session, bank=bank, records=records, actor=actor, action=action, details=details
    )
    if result.added:
        banks_changed(session=session)
    return result


def banks_changed(*, session: Session) -> None:
    """Make every stored media item due for matching again."""
    session.execute(update(Media).where(Media.matched_at.is_not(None)).values(matched_at=None))
