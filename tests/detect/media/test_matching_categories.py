"""A partner's known false positives (NEGATIVE_CLASS entries) are kept but never matched."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from shaheen.detect.media import bank_flows
from shaheen.detect.media.hashing import hash_file
from shaheen.detect.media.matching import Matcher
from shaheen.knowledge import banks
from shaheen.knowledge.banks_interop import BankRecord
from shaheen.knowledge.enums import EntryCategory
from tests.detect.media.conftest import MediaFiles


def _records(path: Path, category: EntryCategory) -> list[BankRecord]:
    return [
        BankRecord(r.signal_type, r.value, r.tags, r.quality, r.media_type, category=category)
        for r in bank_flows.records_of(hash_file(path))
    ]


def test_negative_entries_never_match_and_positives_still_do(
    session: Session, media_files: MediaFiles, tmp_path: Path
) -> None:
    benign = banks.create_bank(session=session, name="known-news", actor="t")
    negatives = [
        *_records(media_files.original, EntryCategory.NEGATIVE_CLASS),  # md5 + pdq
        *_records(media_files.video, EntryCategory.NEGATIVE_CLASS),  # md5 + vpdq
    ]
    bank_flows.add_records(
        session=session, bank=benign, records=negatives, actor="t", action="bank.import"
    )
    seeds = banks.create_bank(session=session, name="leads", actor="t")
    bank_flows.add_records(
        session=session,
        bank=seeds,
        records=_records(media_files.unrelated, EntryCategory.INVESTIGATION_SEED),
        actor="t",
        action="bank.import",
    )
    files = [
        hash_file(p)
        for p in (
            media_files.original,
            media_files.reupload,
            media_files.video,
            media_files.unrelated,
        )
    ]
    original, reupload, video, unrelated = Matcher.load(session, tmp_path / "index").match(files)
    assert original == [] and reupload == [] and video == []  # exact copies included
    assert {(m.bank, m.signal_type) for m in unrelated} == {("leads", "md5"), ("leads", "pdq")}

    # the same poster banked as a positive elsewhere matches that entry, and only it
    ttp = banks.create_bank(session=session, name="ttp", actor="t")
    bank_flows.add_records(
        session=session,
        bank=ttp,
        records=_records(media_files.original, EntryCategory.POSITIVE_CLASS),
        actor="t",
        action="bank.import",
    )
    original, reupload = Matcher.load(session, tmp_path / "index").match(files[:2])
    assert {(m.bank, m.signal_type) for m in original} == {("ttp", "md5"), ("ttp", "pdq")}
    assert [(m.bank, m.signal_type) for m in reupload] == [("ttp", "pdq")]
