"""The same detection in this process and on Ray: same findings, same stored results."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.service import ensure_agency
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.engines import LocalEngine, PostRow, RayEngine, TextPipeline, make_engine
from shaheen.detect.flows import Scanner
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.models import Indicator, Signal
from shaheen.errors import ConfigError
from shaheen.ingest.models import Account, Post
from shaheen.pipeline import flows as pipeline
from shaheen.platforms.service import get_by_code

TEXTS = [
    "Join Tehreek-e-Taliban Pakistan today, brothers. Call +92 300 0001234",
    "Police said the TTP attack in Bannu was condemned by all parties.",
    "aaj mausam bohat acha hai, cricket dekhne chalein?",
    "بلوچستان لبریشن آرمی کے ساتھ شامل ہو جاؤ",
]


@pytest.fixture(scope="module")
def ray_engine() -> Iterator[RayEngine]:
    engine = RayEngine(num_cpus=2, window=2)
    yield engine
    engine.shutdown()


def batches() -> list[list[PostRow]]:
    rows = [PostRow(i + 1, text, 1, 1, None) for i, text in enumerate(TEXTS * 3)]
    return [rows[i : i + 4] for i in range(0, len(rows), 4)]


def test_ray_gives_what_the_local_engine_gives(
    ray_engine: RayEngine, lexicon: Lexicon, model: TextClassifier
) -> None:
    pipeline = TextPipeline(lexicon, model)
    local = list(LocalEngine().map(pipeline, batches()))
    remote = list(ray_engine.map(pipeline, batches()))
    assert [rows for rows, _ in remote] == [rows for rows, _ in local]  # order kept
    for (_, ours), (_, theirs) in zip(local, remote, strict=True):
        assert theirs.languages == ours.languages
        assert theirs.indicators == ours.indicators
        assert [(f.key, f.detector, f.label, f.score) for f in theirs.findings] == [
            (f.key, f.detector, f.label, f.score) for f in ours.findings
        ]
    assert any(f.label == "propaganda" for _, result in local for f in result.findings)


def test_a_scan_on_ray_stores_the_same_as_a_local_scan(
    sessions: sessionmaker[Session], ray_engine: RayEngine, lexicon: Lexicon, model: TextClassifier
) -> None:
    def scan_with(engine: LocalEngine | RayEngine) -> tuple[list[tuple[object, ...]], ...]:
        with sessions.begin() as session:
            session.query(Signal).delete()
            session.query(Indicator).delete()
            session.query(Post).update({Post.scanned_at: None})
        scanner = Scanner(lexicon=lexicon, model=model, engine=engine, batch_size=3)
        pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="test")
        with sessions() as session:
            signals = session.execute(
                select(Signal.post_id, Signal.detector, Signal.label, Signal.score)
                .where(Signal.post_id.is_not(None))
                .order_by(Signal.post_id, Signal.detector, Signal.label)
            ).all()
            indicators = session.execute(
                select(Indicator.post_id, Indicator.kind, Indicator.value).order_by(Indicator.id)
            ).all()
        return [tuple(s) for s in signals], [tuple(i) for i in indicators]

    with sessions.begin() as session:
        agency_id = ensure_agency(
            session=session, code="CTA", name="CTA", kind=AgencyKind.COUNTER_TERRORISM
        ).id
        x = get_by_code(session=session, code="x")
        account = Account(platform_id=x.id, platform_account_id="a", handle="a")
        session.add(account)
        session.flush()
        for number, text in enumerate(TEXTS * 2):
            session.add(
                Post(
                    platform_id=x.id, platform_post_id=str(number), account_id=account.id, text=text
                )
            )
    local = scan_with(LocalEngine())
    assert local[0] and local[1]
    assert scan_with(ray_engine) == local


def test_unknown_engine() -> None:
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        make_engine("spark")
