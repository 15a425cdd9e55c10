"""The same scan in this process, over local processes and on Ray: the same findings,
hashes and matches, and the same stored results on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.service import ensure_agency
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.engines import (
    Engine,
    InlineEngine,
    PostRow,
    ProcessEngine,
    RayEngine,
    TextPipeline,
    Workload,
    make_engine,
)
from shaheen.detect.flows import MediaStage, Scanner
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.media import bank_flows
from shaheen.detect.media.detector import HashMatchDetector
from shaheen.detect.media.matching import Matcher
from shaheen.detect.models import Indicator, Signal
from shaheen.errors import ConfigError
from shaheen.ingest.media import MediaStore, upsert_media
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.ingest.sources import FileSource
from shaheen.knowledge import banks
from shaheen.knowledge import service as knowledge
from shaheen.pipeline import flows as pipeline
from shaheen.platforms.service import get_by_code
from shaheen.review.models import Case
from tests.detect.media.conftest import MediaFiles, media_files  # noqa: F401 (fixture)

TEXTS = [
    "Join Tehreek-e-Taliban Pakistan today, brothers. Call +92 300 0001234",
    "Police said the TTP attack in Bannu was condemned by all parties.",
    "aaj mausam bohat acha hai, cricket dekhne chalein?",
    "بلوچستان لبریشن آرمی کے ساتھ شامل ہو جاؤ",
]


@pytest.fixture(scope="module")
def ray_engine() -> Iterator[RayEngine]:
    engine = RayEngine(num_cpus=2, window=2)  # a local Ray instance, quick to start
    yield engine
    engine.shutdown()


@pytest.fixture(scope="module")
def process_engine() -> Iterator[ProcessEngine]:
    engine = ProcessEngine(workers=2, window=3)
    yield engine
    engine.close()


@pytest.fixture(params=["local", "ray"])
def parallel(
    request: pytest.FixtureRequest, process_engine: ProcessEngine, ray_engine: RayEngine
) -> Engine:
    return process_engine if request.param == "local" else ray_engine


def batches() -> list[list[PostRow]]:
    rows = [PostRow(i + 1, text, 1, 1, None) for i, text in enumerate(TEXTS * 3)]
    return [rows[i : i + 4] for i in range(0, len(rows), 4)]


def test_the_parallel_engines_give_what_inline_gives(
    parallel: Engine, lexicon: Lexicon, model: TextClassifier
) -> None:
    workload = Workload(TextPipeline(lexicon, model))
    inline = list(InlineEngine().map(workload, "text", batches()))
    remote = list(parallel.map(workload, "text", batches()))
    assert [rows for rows, _ in remote] == [rows for rows, _ in inline]  # order kept
    for (_, ours), (_, theirs) in zip(inline, remote, strict=True):
        assert theirs.languages == ours.languages
        assert theirs.indicators == ours.indicators
        assert [(f.key, f.detector, f.label, f.score) for f in theirs.findings] == [
            (f.key, f.detector, f.label, f.score) for f in ours.findings
        ]
    assert any(f.label == "propaganda" for _, result in inline for f in result.findings)
    # the workers keep the workload: a second pass over the same one starts none anew
    again = list(parallel.map(workload, "text", batches()[:1]))
    assert again[0][0] == inline[0][0]


def _world(sessions: sessionmaker[Session], files: MediaFiles, store: MediaStore) -> int:
    """Posts in four languages over two accounts, media on posts and as a profile picture
    (a re-upload of a banked poster, an unrelated one, a video containing a banked one, a
    file lost on disk), and a bank with the poster and the video."""
    with sessions.begin() as session:
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="test",
        )
        bank = banks.create_bank(
            session=session, name="ttp-media", actor="test", source="GIFCT", organisation="ttp"
        )
        bank_flows.add_files(
            session=session,
            bank=bank,
            paths=[files.original, files.video],
            actor="test",
            tags=["logo"],
        )
        agency_id = ensure_agency(
            session=session, code="CTA", name="CTA", kind=AgencyKind.COUNTER_TERRORISM
        ).id
        x = get_by_code(session=session, code="x")
        loud = Account(platform_id=x.id, platform_account_id="a", handle="caravan_x")
        quiet = Account(platform_id=x.id, platform_account_id="b", handle="quiet_one")
        session.add_all([loud, quiet])
        session.flush()
        attached = [files.reupload, files.unrelated, files.longer_video, files.unrelated_video]
        for number, text in enumerate(TEXTS * 3):
            account = loud if number % 2 == 0 else quiet
            post = Post(
                platform_id=x.id, platform_post_id=str(number), account_id=account.id, text=text
            )
            session.add(post)
            session.flush()
            if number < len(attached):
                media, _ = upsert_media(
                    session=session, stored=store.put(FileSource(attached[number]))
                )
                session.add(PostMedia(post_id=post.id, media_id=media.id))
        profile, _ = upsert_media(session=session, stored=store.put(FileSource(files.original)))
        quiet.profile_image_media_id = profile.id
        lost, _ = upsert_media(session=session, stored=store.put(FileSource(files.video)))
        store.path_for(lost.sha256).write_bytes(b"\x00" * 10)  # gone bad on disk since
        return agency_id


def _stored(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    def clean(evidence: dict[str, Any] | None) -> str:
        # an account's reasons tied on score come in the order the database reads their
        # signals (on PostgreSQL, not the order they were written): compared as a set
        evidence = dict(evidence or {})
        if "reasons" in evidence:
            evidence["reasons"] = sorted(repr(reason) for reason in evidence["reasons"])
        return repr(sorted(evidence.items()))

    with sessions() as session:
        return {
            "signals": sorted(
                (
                    s.post_id or 0,
                    s.media_id or 0,
                    s.account_id,
                    s.detector,
                    s.label,
                    s.score,
                    clean(s.evidence),
                )
                for s in session.scalars(select(Signal))
            ),
            "indicators": [
                tuple(row)
                for row in session.execute(
                    select(Indicator.post_id, Indicator.kind, Indicator.value).order_by(
                        Indicator.post_id, Indicator.kind, Indicator.value
                    )
                )
            ],
            "media": [
                (m.id, m.pdq, m.pdq_quality, m.pdq_dihedral, m.vpdq, m.hash_error, m.width)
                for m in session.scalars(select(Media).order_by(Media.id))
            ],
            "posts": [
                tuple(row)
                for row in session.execute(
                    select(Post.id, Post.language, Post.scanned_at.is_not(None)).order_by(Post.id)
                )
            ],
            "accounts": [
                tuple(row)
                for row in session.execute(
                    select(Account.id, Account.risk_score).order_by(Account.id)
                )
            ],
            "cases": [tuple(row) for row in session.execute(select(Case.account_id, Case.status))],
        }


def test_a_scan_stores_the_same_on_every_engine(
    sessions: sessionmaker[Session],
    parallel: Engine,
    media_files: MediaFiles,  # noqa: F811
    lexicon: Lexicon,
    model: TextClassifier,
    tmp_path: Path,
) -> None:
    store = MediaStore(tmp_path / "media")
    agency_id = _world(sessions, media_files, store)

    def scan_with(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
        with sessions.begin() as session:  # as though nothing had been scanned
            session.query(Signal).delete()
            session.query(Indicator).delete()
            session.execute(update(Post).values(scanned_at=None, language=None))
            session.execute(update(Account).values(risk_score=None, risk_explanation=None))
            session.execute(
                update(Media).values(
                    hashed_at=None, matched_at=None, hash_error=None, pdq=None, vpdq=None
                )
            )
        with sessions() as matcher_session:
            matcher = Matcher.load(matcher_session, tmp_path / "index")
            scanner = Scanner(
                lexicon=lexicon,
                model=model,
                engine=engine,
                batch_size=3,
                media=MediaStage(store, HashMatchDetector(matcher)),
            )
            result = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="t")
        assert result.media is not None and result.media.hashed == 5
        return _stored(sessions)

    inline = scan_with(InlineEngine())
    # the world is rich enough to tell: text and media signals, a failed file, a case
    details = {row[3] for row in inline["signals"]}
    assert {"lexicon", "hash_match", "account_risk"} <= details
    assert sum(1 for m in inline["media"] if m[5] is not None) == 1
    assert inline["indicators"] and inline["cases"]
    theirs = scan_with(parallel)
    for key, ours in inline.items():
        assert theirs[key] == ours, key


def test_make_engine_names_the_three_and_refuses_others() -> None:
    assert isinstance(make_engine("inline"), InlineEngine)
    local = make_engine("local", workers=3)
    assert isinstance(local, ProcessEngine) and local.workers == 3
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        make_engine("spark")
