"""The importer: every format end to end, idempotent, loss-free (see also test_hostile_files)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.ingest import flows, service
from shaheen.ingest.enums import ErrorSeverity, RunStatus
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import (
    Account,
    FollowerObservation,
    IngestError,
    IngestRun,
    Media,
    Post,
    PostMedia,
)
from shaheen.ingest.schemas import PostRecord, UpsertCounts
from tests.ingest.connectors.contract import DATA


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _copy(tmp_path: Path, *relative: str) -> Path:
    target = tmp_path / "export"
    for item in relative:
        source = DATA / item
        destination = target / item
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination)
    return target


def test_every_fixture_format_imports_and_reimport_adds_nothing(
    importer: Importer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = _copy(
        tmp_path,
        "x",
        "telegram/channel_export",
        "telegram/full_export.json",
        "crowdtangle/facebook.csv",
        "crowdtangle/instagram.csv",
        "tiktok",
        "youtube",
        "whatsapp/android",
        "samples",
    )
    first = importer.import_paths([folder])
    by_file = {Path(r.source).name: r for r in first}
    assert all(r.error is None for r in first), [r.error for r in first if r.error]
    assert by_file["result.json"].connector == "telegram_export"
    assert by_file["result.json"].posts.new == 4
    assert by_file["result.json"].skipped == 1 and by_file["result.json"].rejected == 1
    assert by_file["damaged.jsonl"].rejected == 4 and by_file["damaged.jsonl"].posts.new == 2
    assert by_file["facebook.csv"].rejected == 2
    posts, accounts = _count(sessions, Post), _count(sessions, Account)
    assert posts == sum(r.posts.new for r in first)

    second = importer.import_paths([folder])
    assert sum(r.posts.new + r.posts.updated for r in second) == 0
    assert sum(r.accounts.new + r.accounts.updated for r in second) == 0
    assert (_count(sessions, Post), _count(sessions, Account)) == (posts, accounts)
    assert sum(r.media_new for r in second) == 0


def test_errors_are_stored_with_file_location_and_reason(
    importer: Importer, sessions: sessionmaker[Session]
) -> None:
    (result,) = importer.import_paths([DATA / "x" / "damaged.jsonl"])
    with sessions() as session:
        rows = session.scalars(
            select(IngestError).where(IngestError.run_id == result.run_id).order_by(IngestError.id)
        ).all()
        run = session.get(IngestRun, result.run_id)
    assert run is not None and run.status is RunStatus.COMPLETED
    assert (run.records_read, run.records_new, run.records_rejected) == (6, 2, 4)
    assert [r.location for r in rows] == ["line 2", "line 3, data[0]", "line 4, data[0]", "line 6"]
    assert all(r.file.endswith("damaged.jsonl") and r.reason for r in rows)
    assert rows[0].excerpt.startswith('{"data"')


def test_media_are_stored_once_by_content_and_linked(
    importer: Importer,
    sessions: sessionmaker[Session],
    media_store: MediaStore,
    tmp_path: Path,
) -> None:
    folder = _copy(tmp_path, "telegram/channel_export", "whatsapp/android")
    results = importer.import_paths([folder])
    assert sum(r.media_new for r in results) == 1  # the same picture in both exports
    with sessions() as session:
        media = session.scalars(select(Media)).one()
        links = session.scalar(select(func.count()).select_from(PostMedia))
        warnings = session.scalars(
            select(IngestError).where(IngestError.severity == ErrorSeverity.WARNING)
        ).all()
    assert media.mime_type == "image/png"  # read from the bytes, not the .jpg name
    assert media_store.path_for(media.sha256).read_bytes()[:4] == b"\x89PNG"
    assert links == 2
    assert [w.reason for w in warnings] == [
        "attachment 'files/missing_video.mp4' is not in the export"
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.json", "the file is empty"),
        ("latin1.jsonl", "not UTF-8 text (line 1 looks like a legacy code page)"),
    ],
)
def test_unusable_files_are_failed_runs_with_a_clear_reason(
    importer: Importer, name: str, message: str
) -> None:
    (result,) = importer.import_paths([DATA / name])
    assert result.error is not None and message in result.error
    assert name in result.error


def test_a_zip_export_with_its_media(
    importer: Importer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    archive = tmp_path / "telegram.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        root = DATA / "telegram" / "channel_export"
        for path in root.rglob("*"):
            if path.is_file():
                bundle.write(path, f"ChatExport/{path.relative_to(root)}")
    (result,) = importer.import_paths([archive])
    assert result.source.endswith("telegram.zip!ChatExport/result.json")
    assert result.posts.new == 4 and result.media_new == 1


def test_a_zip_reaching_outside_itself_is_refused_whole(
    importer: Importer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(DATA / "x" / "page.json", "page.json")
        bundle.writestr("../../escape.json", "{}")
    (result,) = importer.import_paths([archive])
    assert result.error is not None and "points outside the archive" in result.error
    assert _count(sessions, Post) == 0


def test_a_zip_bomb_is_refused(importer: Importer, tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("huge.jsonl", b"\n" * (64 * 1024 * 1024))
    (result,) = importer.import_paths([archive])
    assert result.error is not None and "zip bomb" in result.error


def test_follower_history_grows_across_imports(
    importer: Importer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text('{"platform":"x","post_id":"1","account_id":"a","account_followers":10}\n')
    importer.import_paths([first])
    second = tmp_path / "b.jsonl"
    second.write_text('{"platform":"x","post_id":"1","account_id":"a","account_followers":25}\n')
    (result,) = importer.import_paths([second])
    assert result.accounts.updated == 1 and result.posts.unchanged == 1
    with sessions() as session:
        counts = session.scalars(
            select(FollowerObservation.followers).order_by(FollowerObservation.id)
        ).all()
    assert counts == [10, 25]


def test_a_record_the_database_refuses_costs_only_itself(
    importer: Importer,
    sessions: sessionmaker[Session],
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
    path = tmp_path / "p.jsonl"
    path.write_text(
        "".join(
            f'{{"platform":"x","post_id":"{i}","account_id":"a","text":"{text}"}}\n'
            for i, text in enumerate(["fine", "poison", "fine too", "also fine"])
        )
    )
    (result,) = importer.import_paths([path])
    assert result.posts.new == 3 and result.rejected == 1
    with sessions() as session:
        error = session.scalars(select(IngestError)).one()
    assert error.location == "line 2" and "refused by the database" in error.reason


def test_watch_imports_a_dropped_file_once(
    importer: Importer, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA / "x" / "page.json", inbox / "page.json")
    results = list(flows.watch(inbox, importer, rounds=3, sleep=lambda _: None))
    assert [r.posts.new for r in results] == [3]
    again = list(flows.watch(inbox, importer, rounds=3, sleep=lambda _: None))
    assert again == []  # the same bytes were imported before


def test_an_unknown_format_name_fails_at_once(
    sessions: sessionmaker[Session], media_store: MediaStore
) -> None:
    from shaheen.errors import BadInput

    with pytest.raises(BadInput, match="unknown format 'myspace_dump'"):
        Importer(sessions=sessions, media=media_store, format_name="myspace_dump")


def test_a_media_file_given_directly_is_stored_once(
    importer: Importer, sessions: sessionmaker[Session], media_store: MediaStore
) -> None:
    picture = DATA / "telegram" / "channel_export" / "photos" / "photo_1@01-10-2026_08-00-00.jpg"
    (first,) = importer.import_paths([picture])
    (again,) = importer.import_paths([picture])
    assert (first.connector, first.media_new, first.error) == ("media", 1, None)
    assert again.media_new == 0
    with sessions() as session:
        media = session.scalars(select(Media)).one()
        runs = session.scalars(select(IngestRun.connector)).all()
    assert media.mime_type == "image/png" and media_store.path_for(media.sha256).exists()
    assert runs == ["media", "media"]
