"""Two scans storing the same posts' findings at once (`shaheen scan` beside `shaheen
run`, or `--rescore`): the posts keep one set of findings, not one per scan.

Each replaces the posts' signals and indicators by deleting then inserting; on
PostgreSQL the second scan's delete could run before the first committed and miss its
rows: its insert then met the first's indicators' unique key and the scan died.
SQLite has one writer at a time, so there the scans take turns
anyway; the sequential half of the test runs on both.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.detect import service
from shaheen.detect.base import Finding
from shaheen.detect.engines import BatchResult, PostRow
from shaheen.detect.enums import SubjectKind
from shaheen.detect.models import Indicator, Signal
from shaheen.ingest import service as ingest
from shaheen.ingest.schemas import PostRecord
from shaheen.store.engine import on_postgresql, write_scope
from tests.network.test_arrivals import import_one


def store(
    sessions: sessionmaker[Session],
    rows: list[PostRow],
    written: threading.Event | None = None,
    release: threading.Event | None = None,
) -> None:
    """One scan's batch: a signal and an indicator a post; optionally held open after
    writing, before its commit."""
    found = BatchResult(
        findings=[
            Finding("lexicon", "1", SubjectKind.POST, row.id, "propaganda", 0.9) for row in rows
        ],
        indicators=[(row.id, "phone", "+923001234567") for row in rows],
    )
    with write_scope(sessions) as session:
        service.store_post_findings(
            session=session, rows=rows, found=found, detectors=["lexicon"], organisations={}
        )
        if written is not None and release is not None:
            written.set()
            assert release.wait(30)


def stored(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        signals = session.scalar(select(func.count()).select_from(Signal)) or 0
        indicators = session.scalar(select(func.count()).select_from(Indicator)) or 0
        return signals, indicators


def test_two_scans_of_the_same_post_leave_one_set_of_findings(
    sessions: sessionmaker[Session],
) -> None:
    with write_scope(sessions) as session:
        import_one(session, "scanned-twice")
    with sessions() as session:  # both scans read the post before either stores
        rows = service.unscanned_posts(session=session, after_id=0, limit=10)
        concurrent = on_postgresql(session)
    assert len(rows) == 1
    if not concurrent:
        store(sessions, rows)
        store(sessions, rows)
        assert stored(sessions) == (1, 1)
        return
    written, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def scan(*held: threading.Event) -> None:
        try:
            store(sessions, rows, *held)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    first = threading.Thread(target=scan, args=(written, release))
    first.start()
    assert written.wait(30)
    second = threading.Thread(target=scan)
    second.start()
    second.join(1.0)
    assert second.is_alive(), "the second scan must wait for the first to commit"
    release.set()
    first.join(30)
    second.join(30)
    assert failures == []  # before: the second died on the indicators' unique key
    assert stored(sessions) == (1, 1)


def test_a_post_whose_text_changed_while_it_was_scanned_stays_due(
    sessions: sessionmaker[Session],
) -> None:
    with write_scope(sessions) as session:
        import_one(session, "edited")
    with sessions() as session:
        rows = service.unscanned_posts(session=session, after_id=0, limit=10)
    with write_scope(sessions) as session:  # re-imported with a new text meanwhile
        platforms = ingest.platform_ids(session=session)
        edited = PostRecord("x", "post-edited", "account-edited", text="a new text")
        accounts = {(platforms["x"], "account-edited"): rows[0].account_id}
        counts = ingest.upsert_posts(
            session=session, platform_ids=platforms, account_ids=accounts, records=[edited]
        )
        assert counts.updated == 1
    store(sessions, rows)  # the findings of the old text
    assert stored(sessions) == (0, 0)
    with sessions() as session:
        [still] = service.unscanned_posts(session=session, after_id=0, limit=10)
        assert still.text == "a new text"
