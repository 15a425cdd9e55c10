"""Banks in the database, matching through the persisted index, and the scan's media stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.service import ensure_agency
from shaheen.audit.models import AuditEvent
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.flows import MediaStage, Scanner
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.media import bank_flows
from shaheen.detect.media.detector import HashMatchDetector
from shaheen.detect.media.hashing import hash_file
from shaheen.detect.media.index import PDQIndex
from shaheen.detect.media.matching import Matcher
from shaheen.detect.models import Signal
from shaheen.errors import BadInput
from shaheen.ingest.media import MediaStore, upsert_media
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.ingest.sources import FileSource
from shaheen.knowledge import banks, banks_interop
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.models import HashBankEntry
from shaheen.pipeline import flows as pipeline
from shaheen.platforms.service import get_by_code
from tests.detect.media.conftest import MediaFiles


def _bank(session: Session, media_files: MediaFiles, name: str = "ttp-media") -> None:
    knowledge.load(
        session=session,
        merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
        actor="test",
    )
    bank = banks.create_bank(
        session=session, name=name, actor="test", source="GIFCT", organisation="ttp"
    )
    result = bank_flows.add_files(
        session=session,
        bank=bank,
        paths=[media_files.original, media_files.video],
        actor="test",
        tags=["logo"],
    )
    assert (result.added, result.failed) == (4, [])  # md5 + pdq, md5 + vpdq


def test_a_reupload_matches_and_an_unrelated_picture_does_not(
    session: Session, media_files: MediaFiles, tmp_path: Path
) -> None:
    _bank(session, media_files)
    matcher = Matcher.load(session, tmp_path / "index")
    files = [hash_file(p) for p in (media_files.reupload, media_files.unrelated)]
    reupload, unrelated = matcher.match(files)
    assert unrelated == []
    [match] = reupload  # the PDQ entry (its MD5 differs: it is another file)
    assert (match.bank, match.signal_type, match.organisation) == ("ttp-media", "pdq", "ttp")
    assert match.distance is not None and 0 < match.distance <= 31
    assert match.tags == "logo"


def test_the_same_file_matches_by_md5_too(
    session: Session, media_files: MediaFiles, tmp_path: Path
) -> None:
    _bank(session, media_files)
    [matches] = Matcher.load(session, tmp_path / "index").match([hash_file(media_files.original)])
    assert {(m.signal_type, m.similarity) for m in matches} == {("md5", 1.0), ("pdq", 1.0)}


def test_a_video_containing_a_banked_video_matches(
    session: Session, media_files: MediaFiles, tmp_path: Path
) -> None:
    _bank(session, media_files)
    matcher = Matcher.load(session, tmp_path / "index")
    longer, unrelated = matcher.match(
        [hash_file(media_files.longer_video), hash_file(media_files.unrelated_video)]
    )
    assert unrelated == []
    [match] = longer
    assert match.signal_type == "vpdq" and match.target_percent == 100.0
    assert match.query_percent is not None and match.query_percent < 100.0


def test_the_index_follows_the_banks_and_survives_a_restart(
    session: Session, media_files: MediaFiles, tmp_path: Path
) -> None:
    _bank(session, media_files)
    folder = tmp_path / "index"
    Matcher.load(session, folder)
    saved = PDQIndex.load(folder / "pdq")
    assert len(saved) == 1
    # a bank grows: the next load adds only what is new (watermark), and saves
    bank = banks.get_bank(session=session, name="ttp-media")
    bank_flows.add_files(
        session=session, bank=bank, paths=[media_files.unrelated], actor="t", tags=[]
    )
    Matcher.load(session, folder)
    grown = PDQIndex.load(folder / "pdq")
    assert len(grown) == 2 and grown.watermark > saved.watermark
    [found] = Matcher.load(session, folder).match([hash_file(media_files.unrelated)])
    assert {m.signal_type for m in found} == {"md5", "pdq"}
    # an entry deleted from the database stops matching
    session.execute(delete(HashBankEntry).where(HashBankEntry.bank_id == bank.id))
    [gone] = Matcher.load(session, folder).match([hash_file(media_files.original)])
    assert gone == []
    assert len(PDQIndex.load(folder / "pdq")) == 0


def test_export_then_import_gives_an_identical_bank(
    session: Session, media_files: MediaFiles, tmp_path: Path
) -> None:
    _bank(session, media_files)
    original = banks.get_bank(session=session, name="ttp-media")
    before = banks.records_in(session=session, bank=original)
    for fmt in ("stix", "csv", "txt"):
        path = tmp_path / f"export.{fmt}"
        banks_interop.write(path, before, fmt, bank_name="ttp-media")
        copy = banks.create_bank(session=session, name=f"copy-{fmt}", actor="t", organisation="ttp")
        bank_flows.add_records(
            session=session,
            bank=copy,
            records=banks_interop.read(path, fmt).records,
            actor="t",
            action="bank.import",
        )
        after = banks.records_in(session=session, bank=copy)
        if fmt == "stix":
            assert after == before
        else:  # these layouts carry the hash, its kind and (CSV) the tags
            assert [(r.signal_type, r.value) for r in after] == [
                (r.signal_type, r.value) for r in before
            ]
    actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("bank.import") == 3 and "bank.add" in actions


def test_duplicates_and_bad_files_in_one_batch(
    session: Session, media_files: MediaFiles, tmp_path: Path
) -> None:
    _bank(session, media_files)
    bank = banks.get_bank(session=session, name="ttp-media")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    result = bank_flows.add_files(
        session=session,
        bank=bank,
        paths=[media_files.original, empty, media_files.unrelated],
        actor="t",
        tags=[],
    )
    assert (result.added, result.already_there) == (2, 2)
    assert len(result.failed) == 1 and "empty.jpg: empty file" in result.failed[0]
    with pytest.raises(BadInput, match="already exists"):
        banks.create_bank(session=session, name="ttp-media", actor="t")


def test_a_bank_change_makes_every_media_item_due_again(
    session: Session, media_files: MediaFiles
) -> None:
    media = Media(sha256="a" * 64, md5="b" * 32, mime_type="image/png", size_bytes=1)
    session.add(media)
    session.flush()
    media.matched_at = media.created_at
    session.flush()
    _bank(session, media_files)
    session.refresh(media)
    assert media.matched_at is None


def test_the_scan_hashes_matches_and_raises_the_account_s_risk(
    sessions: sessionmaker[Session],
    media_files: MediaFiles,
    tmp_path: Path,
    model: TextClassifier,
    lexicon: Lexicon,
) -> None:
    store = MediaStore(tmp_path / "media")
    with sessions.begin() as session:
        _bank(session, media_files)
        agency = ensure_agency(session=session, code="CTA", name="CTA", kind=AgencyKind.CYBER_CRIME)
        x = get_by_code(session=session, code="x")
        poster_account = Account(platform_id=x.id, platform_account_id="p1", handle="quiet_one")
        bystander = Account(platform_id=x.id, platform_account_id="p2", handle="bystander")
        session.add_all([poster_account, bystander])
        session.flush()
        for account, path in ((poster_account, media_files.reupload), (bystander, None)):
            post = Post(
                platform_id=x.id,
                platform_post_id=f"post-{account.platform_account_id}",
                account_id=account.id,
                text="a picture for today",
            )
            session.add(post)
            session.flush()
            if path is not None:
                stored, _ = upsert_media(session=session, stored=store.put(FileSource(path)))
                session.add(PostMedia(post_id=post.id, media_id=stored.id))
        broken, _ = upsert_media(session=session, stored=store.put(FileSource(media_files.video)))
        store.path_for(broken.sha256).write_bytes(b"\x00" * 10)  # lost on disk since
        agency_id, poster_id, bystander_id = agency.id, poster_account.id, bystander.id

    with sessions() as matcher_session:
        matcher = Matcher.load(matcher_session, tmp_path / "index")
        scanner = Scanner(
            lexicon=lexicon, model=model, media=MediaStage(store, HashMatchDetector(matcher))
        )
        result = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="t")
    assert result.media is not None
    assert (result.media.hashed, result.media.failed) == (1, 1)
    assert result.media.signals == 1 and result.media.accounts == {poster_id}
    with sessions() as session:
        signal = session.scalars(select(Signal).where(Signal.detector == "hash_match")).one()
        assert signal.post_id is not None and signal.evidence["bank"] == "ttp-media"
        flagged = session.get(Account, poster_id)
        quiet = session.get(Account, bystander_id)
        assert flagged is not None and quiet is not None
        assert flagged.risk_score is not None and flagged.risk_score >= 0.6
        assert (quiet.risk_score or 0) < 0.3
        assert flagged.risk_explanation is not None
        assert flagged.risk_explanation["reasons"][0]["kind"] == "media_match"
        assert "ttp" in flagged.risk_explanation["organisations"]
        failed = session.scalars(select(Media).where(Media.hash_error.is_not(None))).one()
        assert "cannot decode the video" in (failed.hash_error or "")
