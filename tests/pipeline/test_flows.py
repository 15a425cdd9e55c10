"""The scan across stages: detection assesses, review takes the cases, each one audited
and snapshotted; the one scanner factory honours the settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.service import ensure_agency
from shaheen.audit.models import AuditEvent
from shaheen.detect import service as detection
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.flows import Scanner
from shaheen.detect.lexicon import Lexicon
from shaheen.evidence.models import EvidenceRecord
from shaheen.evidence.service import Signer
from shaheen.ingest.models import Account, Post
from shaheen.knowledge import service as knowledge
from shaheen.pipeline import flows as pipeline
from shaheen.platforms.service import get_by_code
from shaheen.review.models import Case

PROPAGANDA = [
    "Join Tehreek-e-Taliban Pakistan today, brothers, the caravan needs you",
    "TTP mujahideen ke saath shamil ho jao, jihad ka waqt aa gaya",
    "Umar Media brings the new release of Tehreek-e-Taliban Pakistan, share it",
]
CHATTER = ["aaj mausam bohat acha hai, cricket dekhne chalein?", "happy birthday bro!"]


def _accounts(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="test",
        )
        agency = ensure_agency(session=session, code="CTA", name="CTA", kind=AgencyKind.CYBER_CRIME)
        x = get_by_code(session=session, code="x")
        for handle, texts in (("caravan_x", PROPAGANDA), ("weather_fan", CHATTER)):
            account = Account(platform_id=x.id, platform_account_id=handle, handle=handle)
            session.add(account)
            session.flush()
            for number, text in enumerate(texts):
                session.add(
                    Post(
                        platform_id=x.id,
                        platform_post_id=f"{handle}-{number}",
                        account_id=account.id,
                        text=text,
                    )
                )
        return agency.id


def test_every_case_a_scan_opens_is_audited_and_snapshotted(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier, tmp_path: Path
) -> None:
    agency_id = _accounts(sessions)
    scanner = Scanner(lexicon=lexicon, model=model, batch_size=2)
    result = pipeline.scan(
        sessions,
        scanner,
        agency_id=agency_id,
        threshold=0.6,
        actor="system",
        signer=Signer(tmp_path / "keys"),
    )
    assert result.posts == 5 and result.accounts_assessed >= 2
    assert result.cases_opened == 1
    with sessions() as session:
        cases = session.scalars(select(Case)).all()
        opened = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.open")).all()
        snapshots = session.scalar(
            select(func.count()).where(EvidenceRecord.purpose == "detection")
        )
        handle = session.scalar(select(Account.handle).where(Account.id == cases[0].account_id))
    assert handle == "caravan_x"
    assert sorted(e.object_id for e in opened) == sorted(str(c.id) for c in cases)
    assert all(e.actor == "system" for e in opened)
    assert snapshots == len(cases)

    again = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="system")
    assert again.posts == 0 and again.cases_opened == 0  # nothing new, nothing reopened


def test_one_scanner_factory_honours_the_settings(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier, tmp_path: Path
) -> None:
    with sessions.begin() as session:  # saved and recorded, as `shaheen model train` does
        detection.save_model(session=session, model=model, model_dir=tmp_path / "models")
    setup = pipeline.ScanSetup(
        model_dir=tmp_path / "models",
        media_dir=tmp_path / "media",
        index_dir=tmp_path / "index",
        match_threshold=10,
        cascade_threshold=0.42,
    )
    with pipeline.build_scanner(sessions, setup) as scanner:
        assert scanner.pipeline.classifier_detector.model.cascade_threshold == 0.42
        assert scanner.media is not None
        assert scanner.media.detector.matcher.threshold == 10


def test_an_unknown_engine_is_refused(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    from shaheen.errors import ConfigError

    setup = pipeline.ScanSetup(
        model_dir=tmp_path,
        media_dir=tmp_path,
        index_dir=tmp_path,
        match_threshold=10,
        engine="spark",
    )
    with (
        pytest.raises(ConfigError, match="unknown engine"),
        pipeline.build_scanner(sessions, setup),
    ):
        pass
