"""`shaheen run`'s parts: the lease, job states, the watched inbox, one pass of the jobs."""

from __future__ import annotations

import json
import os
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.service import ensure_agency
from shaheen.config import load_settings
from shaheen.detect import service as detection
from shaheen.detect.classifier import TextClassifier
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import IngestRun, Post
from shaheen.knowledge import service as knowledge
from shaheen.pipeline import service
from shaheen.pipeline.inbox import Inbox
from shaheen.pipeline.run import RunOptions, Service
from shaheen.review.models import Case
from shaheen.runtime import Database
from shaheen.store.base import utcnow

TTL = timedelta(seconds=30)


def _alive(pid: int) -> bool:
    return pid != 999_999


# -- the lease -----------------------------------------------------------------------------


def test_a_second_holder_is_refused_while_the_first_lives(session: Session) -> None:
    now = utcnow()
    service.acquire(session=session, holder="a", host="h", pid=1, ttl=TTL, alive=_alive, now=now)
    with pytest.raises(service.LeaseHeld, match="process 1 on h"):
        service.acquire(
            session=session, holder="b", host="h", pid=2, ttl=TTL, alive=_alive, now=now
        )
    # The holder itself may take it again (a restart of the same process id is not one).
    service.acquire(session=session, holder="a", host="h", pid=1, ttl=TTL, alive=_alive, now=now)


def test_a_dead_holder_on_this_host_is_taken_over_at_once(session: Session) -> None:
    now = utcnow()
    service.acquire(
        session=session, holder="a", host="h", pid=999_999, ttl=TTL, alive=_alive, now=now
    )
    taken = service.acquire(
        session=session, holder="b", host="h", pid=2, ttl=TTL, alive=_alive, now=now
    )
    assert taken.holder == "b" and taken.pid == 2
    # The old holder's next batch cannot commit: its fence fails.
    with pytest.raises(service.LeaseLost):
        service.fence(session=session, holder="a", ttl=TTL)


def test_a_holder_elsewhere_is_taken_over_only_after_its_lease_expires(session: Session) -> None:
    now = utcnow()
    service.acquire(session=session, holder="a", host="far", pid=1, ttl=TTL, alive=_alive, now=now)
    with pytest.raises(service.LeaseHeld):
        service.acquire(
            session=session, holder="b", host="h", pid=2, ttl=TTL, alive=_alive, now=now + TTL / 2
        )
    later = now + TTL + timedelta(seconds=1)
    taken = service.acquire(
        session=session, holder="b", host="h", pid=2, ttl=TTL, alive=_alive, now=later
    )
    assert taken.holder == "b"
    service.release(session=session, holder="a")  # not the holder: nothing happens
    assert service.lease(session=session) is not None
    service.release(session=session, holder="b")
    assert service.lease(session=session) is None


def test_job_states_count_runs_failures_and_progress(session: Session) -> None:
    service.started(session=session, name="scan")
    service.progress(session=session, name="scan", items=50, watermark="50")
    service.progress(session=session, name="scan", items=25, watermark="75")
    service.finished(session=session, name="scan", summary="75 posts", backlog=3, lag_seconds=1.5)
    service.started(session=session, name="scan")
    service.finished(session=session, name="scan", error="OperationalError: locked")
    (job,) = service.jobs(session=session)
    assert (job.items_done, job.watermark, job.runs, job.failures) == (75, "75", 2, 1)
    assert job.last_result == "failed" and job.consecutive_failures == 1
    assert job.last_summary == "75 posts" and job.backlog == 3 and job.lag_seconds == 1.5
    service.finished(session=session, name="scan", summary="ok again", backlog=0, lag_seconds=0.0)
    (job,) = service.jobs(session=session)
    assert job.consecutive_failures == 0 and job.last_error is None and job.last_ok_at


# -- the inbox -----------------------------------------------------------------------------


def _jsonl(path: Path, posts: list[tuple[str, str, str]]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"platform": "x", "post_id": p, "account_id": a, "text": t}) + "\n"
            for p, a, t in posts
        ),
        encoding="utf-8",
    )
    old = time.time() - 10  # written a while ago: settled
    os.utime(path, (old, old))
    return path


def _inbox(sessions: sessionmaker[Session], tmp_path: Path) -> Inbox:
    def make(format_name: str | None) -> Importer:
        return Importer(
            sessions=sessions, media=MediaStore(tmp_path / "media"), format_name=format_name
        )

    return Inbox(tmp_path / "inbox", make, sessions, settle=0.0)


def test_the_inbox_takes_settled_files_and_leaves_half_written_ones(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    inbox = _inbox(sessions, tmp_path)
    root = inbox.root
    _jsonl(root / "a.jsonl", [("1", "u1", "hello"), ("2", "u1", "again")])
    _jsonl(root / "b.jsonl.part", [("3", "u2", "being written")])
    first = inbox.look()  # the first look of a process looks twice
    assert first.done == 1
    assert [p.name for p in (root / "done").iterdir()] == ["a.jsonl"]
    assert (root / "b.jsonl.part").exists()
    (root / "b.jsonl.part").rename(root / "b.jsonl")  # the writer is done
    second = inbox.look()  # first seen now: waits for a second look
    assert second.files == 0 and second.waiting == 1
    third = inbox.look()
    assert third.done == 1 and not (root / "b.jsonl").exists()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 3


def test_a_file_being_written_waits_for_its_size_to_settle(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    inbox = _inbox(sessions, tmp_path)
    inbox.look()  # the first pass: nothing there
    path = inbox.root / "slow.jsonl"
    path.write_text(json.dumps({"platform": "x", "post_id": "9", "account_id": "u"}) + "\n")
    assert inbox.look().files == 0  # seen once
    with path.open("a", encoding="utf-8") as stream:  # the writer goes on
        stream.write(json.dumps({"platform": "x", "post_id": "10", "account_id": "u"}) + "\n")
    assert inbox.look().files == 0  # changed since: still not taken
    assert inbox.look().done == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 2


def test_a_file_imported_before_a_crash_is_moved_not_imported_again(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    inbox = _inbox(sessions, tmp_path)
    source = _jsonl(tmp_path / "a.jsonl", [("1", "u1", "hello")])
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(source, "posts.jsonl")
    for name in ("a.jsonl", "export.zip"):
        (inbox.root / name).write_bytes((tmp_path / name).read_bytes())
        old = time.time() - 10
        os.utime(inbox.root / name, (old, old))
    assert inbox.look().done == 2
    # The process died after the imports and before the moves: the files are back.
    for name in ("a.jsonl", "export.zip"):
        (inbox.root / "done" / name).rename(inbox.root / name)
    with sessions() as session:
        runs = session.scalar(select(func.count()).select_from(IngestRun))
    again = _inbox(sessions, tmp_path).look()  # the next process
    assert again.done == 2 and again.results == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(IngestRun)) == runs
    assert sorted(p.name for p in (inbox.root / "done").iterdir()) == ["a.jsonl", "export.zip"]
    # The same bytes dropped again later: a second name in done/, still one import.
    (inbox.root / "a.jsonl").write_bytes((tmp_path / "a.jsonl").read_bytes())
    os.utime(inbox.root / "a.jsonl", (time.time() - 10, time.time() - 10))
    assert _inbox(sessions, tmp_path).look().results == []
    assert (inbox.root / "done" / "a.1.jsonl").exists()


def test_a_refused_file_goes_to_failed(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    inbox = _inbox(sessions, tmp_path)
    bad = inbox.root / "garbage.json"
    bad.write_text("{ not json")
    old = time.time() - 10
    os.utime(bad, (old, old))
    assert inbox.look().failed == 1
    assert (inbox.root / "failed" / "garbage.json").exists()


# -- one pass of every job -----------------------------------------------------------------

PROPAGANDA = [
    "Join Tehreek-e-Taliban Pakistan today, brothers, the caravan needs you",
    "TTP mujahideen ke saath shamil ho jao, jihad ka waqt aa gaya",
    "Umar Media brings the new release of Tehreek-e-Taliban Pakistan, share it",
]


def test_one_pass_ingests_scans_and_opens_cases(
    sessions: sessionmaker[Session], model: TextClassifier, tmp_path: Path
) -> None:
    with sessions.begin() as session:
        ensure_agency(session=session, code="CTA", name="CTA", kind=AgencyKind.CYBER_CRIME)
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="test",
        )
        detection.save_model(session=session, model=model, model_dir=tmp_path / "models")
    settings = load_settings(
        model_dir=tmp_path / "models",
        media_dir=tmp_path / "media",
        index_dir=tmp_path / "index",
        keys_dir=tmp_path / "keys",
        outbox_dir=tmp_path / "outbox",
    )
    options = RunOptions(
        inbox=tmp_path / "inbox",
        settle=0.0,
        report_dir=tmp_path / "reports",
        report_format="json",
    )
    engine = sessions.kw["bind"]
    run = Service(Database(engine, sessions), settings, options)
    posts = [(f"p{i}", "caravan", text) for i, text in enumerate(PROPAGANDA)]
    posts += [("q1", "weather", "aaj mausam bohat acha hai")]
    (tmp_path / "inbox").mkdir()
    _jsonl(tmp_path / "inbox" / "drop.jsonl", posts)
    run.start()
    try:
        with pytest.raises(service.LeaseHeld):
            Service(Database(engine, sessions), settings, options).start()
        errors = run.run_once()
        assert errors == dict.fromkeys(errors)  # every job succeeded
        assert run.run_once() == errors  # and again, doing nothing twice
    finally:
        run.close()
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Post.scanned_at.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        jobs = {job.name: job for job in service.jobs(session=session)}
        assert service.lease(session=session) is None  # released on close
    assert jobs["scan"].items_done == 4 and jobs["ingest"].items_done == 1
    assert jobs["reports"].watermark is not None
    assert list((tmp_path / "reports").iterdir())
