"""The importer on real-shaped and hostile files, on both databases: nothing good is lost,
nothing crashes, every refusal is named; archives, status observations, the author memo,
run liveness and concurrent writers."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.ingest import service, tips
from shaheen.ingest.connectors.base import ConnectorOptions, Item
from shaheen.ingest.enums import AccountStatus, ErrorSeverity, ObservedStatus, RunStatus
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, IngestError, IngestRun, Post, StatusObservation, Tip
from shaheen.ingest.schemas import PostRecord, UpsertCounts
from shaheen.ingest.sources import ArchiveLimits, Source
from shaheen.store.base import utcnow
from shaheen.store.engine import make_engine, session_factory, write_scope
from tests.ingest.connectors.contract import DATA


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _errors(sessions: sessionmaker[Session], run_id: int | None) -> list[IngestError]:
    with sessions() as session:
        return list(
            session.scalars(
                select(IngestError).where(IngestError.run_id == run_id).order_by(IngestError.id)
            )
        )


def test_bad_values_cost_only_their_records(
    importer: Importer, sessions: sessionmaker[Session]
) -> None:
    (result,) = importer.import_paths([DATA / "generic" / "values.jsonl"])
    assert result.error is None
    assert (result.read, result.rejected) == (11, 6)
    assert result.posts.new == 4 and result.posts.updated == 1  # the duplicate line's values
    rows = _errors(sessions, result.run_id)
    warnings = [r for r in rows if r.severity is ErrorSeverity.WARNING]
    assert [w.location for w in warnings] == ["line 6", "line 7"]
    assert "duplicate post id '1794000000000000002'" in warnings[0].reason
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in warnings[1].reason
    with sessions() as session:
        handle = session.scalar(
            select(Account.handle).where(Account.platform_account_id == "930003")
        )
    assert handle == "moc.\u202eevil"  # kept as written


def test_a_truncated_file_keeps_the_records_before_the_fault(
    importer: Importer, sessions: sessionmaker[Session]
) -> None:
    (result,) = importer.import_paths([DATA / "telegram" / "truncated.json"])
    assert result.error is not None and "truncated" in result.error
    assert result.kept_before_error == _count(sessions, Post) == 1
    with sessions() as session:
        run = session.get(IngestRun, result.run_id)
    assert run is not None and run.status is RunStatus.FAILED
    rejected = [e for e in _errors(sessions, result.run_id) if e.severity is ErrorSeverity.REJECTED]
    assert [e.location for e in rejected] == ["file"]


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def _line(post_id: int) -> bytes:
    return f'{{"platform":"x","post_id":"{post_id}","account_id":"z","text":"t"}}\n'.encode()


def test_a_zip_inside_a_zip_is_read_and_deeper_ones_are_named(
    importer: Importer, tmp_path: Path
) -> None:
    deepest = _zip({"c.jsonl": _line(3)})
    inner = _zip({"b.jsonl": _line(2), "deeper.zip": deepest})
    archive = tmp_path / "outer.zip"
    archive.write_bytes(_zip({"a.jsonl": _line(1), "inner.zip": inner}))
    results = importer.import_paths([archive])
    by_name = {r.source.rsplit("!", 1)[-1]: r for r in results}
    assert by_name["a.jsonl"].posts.new == 1 and by_name["b.jsonl"].posts.new == 1
    assert by_name["b.jsonl"].source.endswith("outer.zip!inner.zip!b.jsonl")
    assert by_name["deeper.zip"].error == (
        f"{archive}!inner.zip!deeper.zip: a zip nested more than one level; unzip it first"
    )


def test_a_corrupt_member_fails_alone(importer: Importer, tmp_path: Path) -> None:
    data = bytearray(_zip({"good.jsonl": _line(1), "bad.jsonl": _line(2) * 50}))
    position = data.find(b"bad.jsonl") + len(b"bad.jsonl") + 5  # inside its compressed data
    data[position : position + 8] = b"\xff" * 8
    archive = tmp_path / "damaged.zip"
    archive.write_bytes(bytes(data))
    good, bad = importer.import_paths([archive])
    assert good.error is None and good.posts.new == 1
    assert bad.error is not None and "corrupt archive member" in bad.error


def test_archive_limits_count_decompressed_bytes(
    sessions: sessionmaker[Session], media_store: MediaStore, tmp_path: Path
) -> None:
    limits = ArchiveLimits(total_bytes=2600, ratio=50, ratio_from=1000)
    importer = Importer(sessions=sessions, media=media_store, limits=limits)
    archive = tmp_path / "limits.zip"
    archive.write_bytes(
        _zip(
            {
                "small.jsonl": _line(1),
                "bomb.jsonl": _line(2) + b" " * 200_000,  # compresses over 50:1
                "plain.jsonl": b"".join(_line(10 + i) for i in range(40)),  # 2,400 bytes
                "after.jsonl": b"".join(_line(100 + i) for i in range(5)),
            },
            zipfile.ZIP_DEFLATED,
        )
    )
    small, bomb, plain, after = importer.import_paths([archive])
    assert small.error is None
    assert bomb.error is not None and "refused as a zip bomb" in bomb.error
    assert plain.error is None  # within the budget
    assert after.error is not None and "more than 2,600 bytes decompressed" in after.error


def test_status_observations_are_kept_once_and_shown_on_the_account(
    importer: Importer, sessions: sessionmaker[Session]
) -> None:
    paths = [DATA / "x" / "users_lookup.jsonl", DATA / "x" / "flatten.jsonl"]
    first = importer.import_paths(paths)
    assert [r.statuses_new for r in first] == [5, 1]
    again = importer.import_paths(paths)
    assert sum(r.statuses_new for r in again) == 0
    assert _count(sessions, StatusObservation) == 6
    with sessions() as session:
        view = service.account_status_view(
            session=session, platform="x", platform_account_id="920002"
        )
        statuses = {a.status for a in session.scalars(select(Account))}
        flat = service.account_status_view(
            session=session, platform="x", platform_account_id="910001"
        )
    assert view is not None
    assert [(s.status, s.reason) for s in view.statuses] == [
        (ObservedStatus.WITHHELD, "withheld in PK")
    ]
    assert flat is not None and [s.subject_key for s in flat.statuses] == ["1791000000000000012"]
    assert statuses == {AccountStatus.ACTIVE}  # observations never move an account's status


def test_a_refused_record_does_not_make_the_importer_forget_its_author(
    sessions: sessionmaker[Session],
    media_store: MediaStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = service.upsert_posts

    def refusing(**kwargs: object) -> UpsertCounts:
        records = list(kwargs["records"])  # type: ignore[call-overload]
        if any(isinstance(r, PostRecord) and r.text == "poison" for r in records):
            raise DBAPIError("INSERT", {}, Exception("value refused"))
        kwargs["records"] = records
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "upsert_posts", refusing)
    path = tmp_path / "author.jsonl"
    texts = ["poison"] + [f"fine {i}" for i in range(9)]
    path.write_text(
        "".join(
            f'{{"platform":"x","post_id":"{i}","account_id":"a","account_name":"A","text":"{t}"}}\n'
            for i, t in enumerate(texts)
        )
    )
    importer = Importer(sessions=sessions, media=media_store, batch_size=50)
    (result,) = importer.import_paths([path])
    assert (result.posts.new, result.rejected) == (9, 1)
    assert _count(sessions, Post) == 9


def test_stale_runs_are_interrupted_only_when_provably_dead(
    importer: Importer, sessions: sessionmaker[Session]
) -> None:
    old = utcnow() - timedelta(minutes=5)
    dead_pid = _dead_pid()
    with write_scope(sessions) as session:
        cases = {
            "dead here": (dead_pid, importer.host, utcnow()),
            "alive here": (os.getpid(), importer.host, utcnow()),
            "silent elsewhere": (1, "other-host", old),
            "alive elsewhere": (1, "other-host", utcnow()),
        }
        for name, (pid, host, heartbeat) in cases.items():
            session.add(
                IngestRun(
                    source=name,
                    connector="generic_jsonl",
                    pid=pid,
                    host=host,
                    heartbeat_at=heartbeat,
                )
            )
    importer.import_paths([DATA / "generic" / "posts.jsonl"])
    with sessions() as session:
        status = dict(
            session.execute(
                select(IngestRun.source, IngestRun.status).where(IngestRun.source.in_(cases))
            ).all()
        )
    assert status == {
        "dead here": RunStatus.INTERRUPTED,
        "alive here": RunStatus.RUNNING,
        "silent elsewhere": RunStatus.INTERRUPTED,
        "alive elsewhere": RunStatus.RUNNING,
    }


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_two_imports_and_a_tip_at_once_never_fail(
    importer_engine: object, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    files = []
    for n in range(2):
        path = tmp_path / f"writer{n}.jsonl"
        path.write_bytes(b"".join(_line(n * 10_000 + i) for i in range(600)))
        files.append(path)
    failures: list[BaseException] = []
    results = []

    def run_import(path: Path) -> None:
        engine = make_engine(url)
        try:
            own = Importer(
                sessions=session_factory(engine),
                media=MediaStore(tmp_path / "media"),
                options=ConnectorOptions(timezone="UTC"),
                batch_size=20,
            )
            results.extend(own.import_paths([path]))
        except BaseException as exc:  # reported below, with the thread's cause
            failures.append(exc)
        finally:
            engine.dispose()

    def add_tips() -> None:
        engine = make_engine(url)
        try:
            for i in range(15):
                with write_scope(session_factory(engine)) as session:
                    tips.record_tip(session=session, url=f"https://t.me/fictional/{i}", actor="t")
        except BaseException as exc:
            failures.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run_import, args=(path,)) for path in files]
    threads.append(threading.Thread(target=add_tips))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [r.error for r in results] == [None, None]
    assert _count(sessions, Post) == 1200 and _count(sessions, Tip) == 15


def test_a_connector_bug_costs_only_its_file(
    importer: Importer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shaheen.ingest.connectors.generic import GenericJsonlConnector

    real = GenericJsonlConnector.parse

    def breaking(self: GenericJsonlConnector, source: Source) -> Iterator[Item]:
        for number, item in enumerate(real(self, source)):
            if number == 2 and source.name.endswith("first.jsonl"):
                raise RuntimeError("plugin bug")
            yield item

    monkeypatch.setattr(GenericJsonlConnector, "parse", breaking)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_bytes(b"".join(_line(i) for i in range(5)))
    second.write_bytes(b"".join(_line(100 + i) for i in range(5)))
    broken, fine = importer.import_paths([first, second])
    assert broken.error is not None and "reading stopped (RuntimeError: plugin bug)" in broken.error
    assert broken.kept_before_error == 2
    assert fine.error is None and fine.posts.new == 5
