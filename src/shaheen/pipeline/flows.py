"""Scanning and training across stages: detection → account assessment → review intake.

`scan` is incremental and restartable: detection takes posts not yet scanned, and each
batch's findings are stored in one transaction that also marks the posts scanned and
queues their accounts for assessment. The queued accounts are then assessed and
handed to intake, once however many of their posts the scan saw, a batch of accounts
a transaction that takes them off the queue. A crash loses at most one batch of work
and never double-counts: what it interrupts is still unscanned, or still queued. Media are
then hashed and matched (their own transactions), and the accounts whose media
matched are assessed and taken in the same way.

`rescore` scores every stored post again (after a new model or knowledge base: `shaheen
scan --rescore`) and closes the cases whose only reason has gone, never one a person has
decided.

`build_scanner` is the one place a scanner is put together from settings: the lexicon
of the knowledge base, the active model with the configured cascade threshold, the media
store and the banks' matcher, and the engine.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shaheen.config import Settings
from shaheen.detect import service as detection
from shaheen.detect.classifier import Example
from shaheen.detect.engines import BatchResult, PostRow, make_engine
from shaheen.detect.flows import MediaStage, Scanner, StoredBatch
from shaheen.detect.media.detector import HashMatchDetector
from shaheen.detect.media.matching import Matcher
from shaheen.evidence import service as evidence
from shaheen.ingest.media import MediaStore
from shaheen.knowledge import service as knowledge
from shaheen.pipeline.schemas import ScanResult
from shaheen.review import service as review
from shaheen.store.engine import again_if_transient, on_postgresql, write_scope

#: Seconds of post batches between two intakes of the accounts they queued.
INTAKE_EVERY = 60.0


@dataclass(frozen=True)
class ScanSetup:
    """Where a scanner finds its model, media and index, and how it decides. (Evidence
    snapshots of opened cases are `scan`'s business: it takes the signer.)"""

    model_dir: Path
    media_dir: Path
    index_dir: Path
    match_threshold: int
    cascade_threshold: float | None = None
    engine: str = "inline"
    ray_address: str | None = None
    workers: int | None = None  # local processes, or a local Ray's CPUs (default: the cores)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        engine: str = "inline",
        ray_address: str | None = None,
        workers: int | None = None,
    ) -> ScanSetup:
        return cls(
            model_dir=settings.model_dir,
            media_dir=settings.media_dir,
            index_dir=settings.index_dir,
            match_threshold=settings.match_threshold,
            cascade_threshold=settings.cascade_threshold,
            engine=engine,
            ray_address=ray_address,
            workers=workers,
        )


@contextmanager
def build_scanner(sessions: sessionmaker[Session], setup: ScanSetup) -> Iterator[Scanner]:
    """A scanner as configured; the matcher's session stays open while it is used."""
    # a wrong name fails before work; the engine's workers live as long as the scanner
    engine = make_engine(setup.engine, setup.ray_address, setup.workers)
    try:
        with sessions.begin() as session:  # the bootstrap model is recorded on first use
            lexicon = detection.lexicon_in_force(session=session)
            model = detection.active_model(
                setup.model_dir, lexicon, setup.cascade_threshold, session=session
            )
        with sessions() as matcher_session:
            matcher = Matcher.load(matcher_session, setup.index_dir, setup.match_threshold)
            media = MediaStage(MediaStore(setup.media_dir), HashMatchDetector(matcher))
            yield Scanner(lexicon=lexicon, model=model, media=media, engine=engine)
    finally:
        engine.close()  # its processes or actors (and a local Ray it started), also on a failure


def scan(
    sessions: sessionmaker[Session],
    scanner: Scanner,
    *,
    agency_id: int,
    threshold: float,
    actor: str,
    signer: evidence.Signer | None = None,
    on_progress: Callable[[int], None] | None = None,
    in_batch: Callable[[Session, list[PostRow]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    in_intake: Callable[[Session], None] | None = None,
    stop_intake: Callable[[], bool] | None = None,
    intake_every: float = INTAKE_EVERY,
) -> ScanResult:
    """Scan every unscanned post, then pending media; open or update the cases.

    Posts are stored a batch a transaction, queueing their accounts; the queued
    accounts are assessed and taken into intake after the posts, so an account with many
    posts in the scan is assessed once, not once a batch; and every `intake_every`
    seconds meanwhile the urgent ones (a post names an organisation or reads as
    propaganda), so a long scan opens cases as it goes.

    `in_batch` runs inside each post batch's transaction, after its results are written
    and before the commit, and `in_intake` inside each intake transaction (`shaheen
    run` records its progress and checks its lease there, so both are committed with
    the work or not at all). `should_stop`, asked after each committed post batch, ends
    the posts early (a stopping service, a time budget), and `stop_intake`, asked after
    each intake transaction, ends the intake early (a stopping service): what is left
    stays for next time (unscanned, or queued)."""
    return _scan(
        sessions,
        scanner,
        _Intake(agency_id, threshold, actor, signer, _organisations(sessions)),
        on_progress,
        in_batch,
        should_stop,
        in_intake,
        stop_intake,
        intake_every,
    )


def rescore(
    sessions: sessionmaker[Session],
    scanner: Scanner,
    *,
    agency_id: int,
    threshold: float,
    actor: str,
    signer: evidence.Signer | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ScanResult:
    """Score every stored post again with the scanner's lexicon and model (they changed),
    then close the agency's cases whose only reason has gone: accounts re-scored below
    `threshold` whose case nobody has decided (`review.close_unsupported`, audited with
    the model and knowledge base that re-scored them). Cases with a decision stay as
    they are; accounts newly over the threshold get cases as in any scan."""
    with sessions.begin() as session:
        detection.mark_all_unscanned(session=session)
    intake = _Intake(agency_id, threshold, actor, signer, _organisations(sessions), set())
    result = _scan(sessions, scanner, intake, on_progress)
    reason = (
        f"re-scored with model {result.model_version} and knowledge base "
        f"{result.kb_version}: account risk below the threshold {threshold}"
    )
    with sessions.begin() as session:
        closed = review.close_unsupported(
            session=session,
            agency_id=agency_id,
            account_ids=intake.seen or set(),
            threshold=threshold,
            actor=actor,
            reason=reason,
        )
    result.cases_closed = len(closed)
    return result


def take_accounts(
    session: Session,
    scanner: Scanner,
    account_ids: list[int],
    *,
    agency_id: int,
    threshold: float,
    actor: str,
    signer: evidence.Signer | None = None,
) -> ScanResult:
    """Assess these accounts again and hand them to intake, in the caller's transaction
    (`shaheen run` catches up on media matches a crash kept from intake)."""
    organisations = knowledge.organisation_ids(session=session)
    result = ScanResult(model_version=scanner.model_version, kb_version=scanner.lexicon.version)
    _Intake(agency_id, threshold, actor, signer, organisations).take(
        session, scanner, account_ids, result
    )
    return result


def _organisations(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return knowledge.organisation_ids(session=session)  # fixed for the scan


def _scan(
    sessions: sessionmaker[Session],
    scanner: Scanner,
    intake: _Intake,
    on_progress: Callable[[int], None] | None,
    in_batch: Callable[[Session, list[PostRow]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    in_intake: Callable[[Session], None] | None = None,
    stop_intake: Callable[[], bool] | None = None,
    intake_every: float = INTAKE_EVERY,
) -> ScanResult:
    result = ScanResult(model_version=scanner.model_version, kb_version=scanner.lexicon.version)
    started = last_intake = time.perf_counter()
    stop, stop_taking = should_stop or _never, stop_intake or _never

    def write(rows: list[PostRow], found: BatchResult) -> StoredBatch:
        def once() -> StoredBatch:
            with write_scope(sessions) as session:
                stored = scanner.store(session, rows, found, intake.organisations)
                if in_batch is not None:
                    in_batch(session, rows)
            return stored

        return again_if_transient(once)

    def count(stored: StoredBatch) -> None:
        result.signals += stored.signals
        result.indicators += stored.indicators
        result.posts += stored.posts
        if on_progress is not None:
            on_progress(result.posts)

    with _Writers(_writers(sessions)) as writers:
        for rows, found in scanner.detected_batches(sessions):
            for stored in writers.submit(write, rows, found):
                count(stored)
            if stop():
                break
            if time.perf_counter() - last_intake >= intake_every:
                for stored in writers.drain():
                    count(stored)
                _take_due(sessions, scanner, intake, result, in_intake, stop_taking, True)
                last_intake = time.perf_counter()
        for stored in writers.drain():
            count(stored)
    _take_due(sessions, scanner, intake, result, in_intake, stop_taking)
    result.media = scanner.scan_media(sessions)
    if result.media is not None:
        matched = sorted(result.media.accounts)

        def take_matched(chunk: list[int]) -> ScanResult:
            with write_scope(sessions) as session:
                return _take(session, scanner, intake, chunk, in_intake)

        for start in range(0, len(matched), scanner.batch_size):
            chunk = matched[start : start + scanner.batch_size]
            result.add_intake(again_if_transient(partial(take_matched, chunk)))
    result.seconds = time.perf_counter() - started
    return result


def _take(
    session: Session,
    scanner: Scanner,
    intake: _Intake,
    account_ids: list[int],
    in_intake: Callable[[Session], None] | None,
) -> ScanResult:
    """Assess these accounts and hand them to intake in the caller's transaction: what
    it did, for the caller to count once that commits."""
    taking = ScanResult(model_version=scanner.model_version, kb_version=scanner.lexicon.version)
    if in_intake is not None:
        in_intake(session)
    intake.take(session, scanner, account_ids, taking)
    return taking


def _writers(sessions: sessionmaker[Session]) -> int:
    """Batches written at once: two on PostgreSQL, where each has its own connection and
    server process, and the database's work on one overlaps the driver's on the other;
    one on SQLite, which has one writer at a time anyway."""
    with sessions() as session:
        return 2 if on_postgresql(session) else 1


class _Writers:
    """Writes batches on `count` threads, handing their results back in submission
    order; with one, each write runs at once, in the caller's thread.

    Each batch is its own transaction, so batches may commit out of order: a crash
    leaves an earlier batch unscanned while a later one is stored, and the next scan
    takes it (posts are found by `scanned_at`, not by a high-water mark)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pool = ThreadPoolExecutor(count, "scan-writer") if count > 1 else None
        self.in_flight: deque[Future[StoredBatch]] = deque()

    def submit(
        self, write: Callable[[list[PostRow], BatchResult], StoredBatch], *args: Any
    ) -> Iterator[StoredBatch]:
        """Start writing one batch; the batches finished meanwhile, oldest first."""
        if self.pool is None:
            yield write(*args)
            return
        self.in_flight.append(self.pool.submit(write, *args))
        while len(self.in_flight) >= self.count:
            yield self.in_flight.popleft().result()  # a failed write raises here

    def drain(self) -> Iterator[StoredBatch]:
        while self.in_flight:
            yield self.in_flight.popleft().result()

    def __enter__(self) -> _Writers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:  # what is in flight finishes (or fails) before we go on
            self.pool.shutdown(wait=True)


def _never() -> bool:
    return False


def _take_due(
    sessions: sessionmaker[Session],
    scanner: Scanner,
    intake: _Intake,
    result: ScanResult,
    in_intake: Callable[[Session], None] | None,
    stop: Callable[[], bool],
    urgent_only: bool = False,
) -> None:
    """Assess the accounts the stored findings queued (or only the urgent ones: a post
    names an organisation or reads as propaganda), and hand them to intake: a batch of
    accounts a transaction, which takes them off the queue (what a stop or a crash
    leaves is still queued, and taken next time)."""

    def one_batch() -> bool:
        with write_scope(sessions) as session:  # SQLite: the write lock first, then read
            due = detection.due_accounts(
                session=session, limit=scanner.batch_size, urgent_only=urgent_only
            )
            if not due:
                return False
            taking = _take(session, scanner, intake, due, in_intake)
            detection.assessed(session=session, account_ids=due)
        result.add_intake(taking)  # counted once it is committed, not for a try undone
        return True

    while again_if_transient(one_batch):
        if stop():
            return


@dataclass(frozen=True)
class _Intake:
    """Assess accounts (detection), hand them to review, snapshot the cases opened."""

    agency_id: int
    threshold: float
    actor: str
    signer: evidence.Signer | None
    organisations: dict[str, int]
    seen: set[int] | None = None  # a re-score collects the accounts it assessed

    def take(
        self, session: Session, scanner: Scanner, account_ids: list[int], result: ScanResult
    ) -> None:
        if self.seen is not None:
            self.seen.update(account_ids)
        assessed = scanner.assess(session, account_ids, self.organisations)
        result.signals += assessed.signals
        result.accounts_assessed += len(assessed.assessments)
        taken = review.intake(
            session=session,
            agency_id=self.agency_id,
            assessments=assessed.assessments,
            threshold=self.threshold,
            actor=self.actor,
        )
        result.cases_opened += len(taken.opened)
        if self.signer is not None:  # a signed snapshot of what was seen when it opened
            for case_id, account_id in taken.opened.items():
                evidence.capture(
                    session=session,
                    signer=self.signer,
                    purpose="detection",
                    account_id=account_id,
                    case_id=case_id,
                )


def reviewed_examples(session: Session) -> list[Example]:
    """Training examples from reviewers' decisions (see `review.service.training_labels`)."""
    return [
        Example(post.text, post.label, post.language)
        for post in review.training_labels(session=session)
    ]
