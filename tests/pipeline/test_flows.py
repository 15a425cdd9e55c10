"""The scan across stages: detection assesses, review takes the cases, each one audited
and snapshotted; the one scanner factory honours the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from shaheen.detect.models import Signal
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


def test_an_account_is_assessed_once_however_many_batches_its_posts_are_in(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier
) -> None:
    agency_id = _accounts(sessions)  # 5 posts of 2 accounts, a post a batch
    scanner = Scanner(lexicon=lexicon, model=model, batch_size=1)
    result = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="system")
    assert result.posts == 5
    assert result.accounts_assessed == 2  # not 5: the queue keeps an account once
    assert result.cases_opened == 1
    with sessions() as session:
        assert detection.count_due_accounts(session=session) == 0


def test_accounts_queued_by_an_interrupted_scan_are_taken_by_the_next(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier
) -> None:
    """A crash after a batch's findings were committed and before their accounts were
    assessed: the queue keeps them, and the next scan (with no post left) opens the case."""
    agency_id = _accounts(sessions)
    scanner = Scanner(lexicon=lexicon, model=model, batch_size=10)
    organisations = pipeline._organisations(sessions)
    for rows, found in scanner.detected_batches(sessions):
        with sessions.begin() as session:
            scanner.store(session, rows, found, organisations)  # and then the process dies
    with sessions() as session:
        assert detection.count_due_accounts(session=session) == 2
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    result = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="system")
    assert result.posts == 0 and result.accounts_assessed == 2 and result.cases_opened == 1
    with sessions() as session:
        assert detection.count_due_accounts(session=session) == 0


def test_a_stopped_intake_leaves_the_rest_queued(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier
) -> None:
    agency_id = _accounts(sessions)
    scanner = Scanner(lexicon=lexicon, model=model, batch_size=1)
    first = pipeline.scan(
        sessions,
        scanner,
        agency_id=agency_id,
        threshold=0.6,
        actor="system",
        stop_intake=lambda: True,  # a stopping service: one intake transaction, then out
    )
    assert first.posts == 5 and first.accounts_assessed == 1
    with sessions() as session:
        assert detection.count_due_accounts(session=session) == 1
    second = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="system")
    assert second.accounts_assessed == 1 and first.cases_opened + second.cases_opened == 1


def test_a_long_scan_takes_urgent_accounts_in_as_it_goes_and_the_rest_at_the_end(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier
) -> None:
    agency_id = _accounts(sessions)
    scanner = Scanner(lexicon=lexicon, model=model, batch_size=1)
    seen: list[tuple[int, int]] = []  # (cases, accounts queued) at each batch

    def progress(_: int) -> None:
        with sessions() as session:
            cases = session.scalar(select(func.count()).select_from(Case)) or 0
            seen.append((cases, detection.count_due_accounts(session=session)))

    result = pipeline.scan(
        sessions,
        scanner,
        agency_id=agency_id,
        threshold=0.6,
        actor="system",
        on_progress=progress,
        intake_every=0.0,  # an intake after every batch
    )
    # the propaganda account's posts come first: its case opened before the chatter's
    # batches were stored (progress is reported before each batch's intake); the
    # chatter account stays queued until the posts are done
    assert seen[0] == (0, 1) and seen[3] == (1, 1) and seen[4] == (1, 1)
    # propaganda: after each of its 3 posts; chatter: once, at the end (not after each)
    assert result.accounts_assessed == 4
    with sessions() as session:
        assert detection.count_due_accounts(session=session) == 0


def test_a_failed_batch_write_stops_the_scan_and_the_next_scan_loses_and_doubles_nothing(
    sessions: sessionmaker[Session], lexicon: Lexicon, model: TextClassifier
) -> None:
    """Batches are written by two threads on PostgreSQL: one failing mid-scan ends it with
    the error, whatever else was in flight commits or rolls back whole, and a rerun
    stores each post's findings exactly once."""
    agency_id = _accounts(sessions)
    scanner = Scanner(lexicon=lexicon, model=model, batch_size=1)
    written: list[int] = []

    def fail_third(session: Session, rows: list[Any]) -> None:
        written.append(rows[0].id)
        if len(written) == 3:
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        pipeline.scan(
            sessions,
            scanner,
            agency_id=agency_id,
            threshold=0.6,
            actor="system",
            in_batch=fail_third,
        )
    with sessions() as session:
        assert detection.count_unscanned(session=session) >= 1
    result = pipeline.scan(sessions, scanner, agency_id=agency_id, threshold=0.6, actor="system")
    with sessions() as session:
        per_post = session.execute(
            select(Signal.post_id, Signal.detector, func.count())
            .where(Signal.post_id.is_not(None))
            .group_by(Signal.post_id, Signal.detector)
        ).all()
        assert detection.count_unscanned(session=session) == 0
    assert {count for _, _, count in per_post} == {1}
    assert len({post for post, _, _ in per_post}) == 5
    assert result.cases_opened == 1
