"""Importing sources: the thin loop that owns transactions, one run per file.

The work itself is done by pure stages (`stages.py`: detect the format, read items,
check and normalise them, cut them into batches) and by ingest's service (storage).
What is left here is the order of things and the transactions around them.

Transactions are short: one per batch (2,000 records by default), opened to write
(`write_scope`: on SQLite the write lock is taken at BEGIN and waited for), so two
imports, or an import and a tip, take turns instead of failing with "database is
locked". Attachments are copied into the media store before the batch's transaction
opens, so no lock is held while files are copied. If the database refuses a batch, it
is tried once more (a concurrent import may have added the same account), then record
by record inside savepoints: the one bad record is reported, the good ones kept.

A file-level fault (truncated JSON, an archive member past its limits) stops that file
only: the records stored before it stay (they were good), the run is marked failed
with the reason and how many were kept, and the next file goes on. Nothing a file holds
ends the import with a traceback: an unexpected exception is that file's failure.

Every run records its process (pid, host) and a heartbeat per batch; an import starting
marks `interrupted` only the running runs whose process is gone or whose heartbeat is
over two minutes old, never another live import's.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.errors import BadInput
from shaheen.ingest import service, stages
from shaheen.ingest.connectors import registry
from shaheen.ingest.connectors.base import Connector, ConnectorOptions, Record, RecordError
from shaheen.ingest.enums import ErrorSeverity
from shaheen.ingest.media import MediaStore, StoredFile, upsert_media
from shaheen.ingest.rules import platform_of
from shaheen.ingest.schemas import AccountRecord, UpsertCounts
from shaheen.ingest.schemas import RunResult as RunResult
from shaheen.ingest.sources import (
    ArchiveLimits,
    FileSource,
    Source,
    Unreadable,
    digest,
    expand,
    is_media_name,
)
from shaheen.store.engine import again_if_transient, write_scope

log = logging.getLogger(__name__)

_FIRST_ANALYZE = 5_000

ProgressCallback = Callable[[str, int], None]

_Key = tuple[int, str]


class Importer:
    """Imports files, folders and zip archives with one connector per file."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        media: MediaStore,
        options: ConnectorOptions | None = None,
        format_name: str | None = None,
        batch_size: int = 2000,
        on_progress: ProgressCallback | None = None,
        limits: ArchiveLimits | None = None,
    ) -> None:
        self.sessions = sessions
        self.media = media
        self.options = options or ConnectorOptions()
        self.format_name = format_name
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.limits = limits or ArchiveLimits()
        self.host = socket.gethostname()
        self._authors = _AuthorMemo()
        if format_name is not None:
            registry().get(format_name)  # fail now on an unknown format, not per file

    def import_paths(self, paths: Iterable[Path]) -> list[RunResult]:
        """Import every export file under `paths`, in order; never raises for a file."""
        self._interrupt_stale_runs()
        results: list[RunResult] = []
        for path in paths:
            if path.is_file() and is_media_name(path.name):
                results.append(self.import_media(FileSource(path)))
                continue
            try:
                for found in expand(path, self.limits):
                    if isinstance(found, Unreadable):
                        results.append(self._failed_run(found.name, None, found.reason))
                    else:
                        results.append(self.import_source(found))
            except BadInput as exc:
                results.append(self._failed_run(str(path), None, str(exc)))
        return results

    def import_source(self, source: Source) -> RunResult:
        """Import one file: a run row, then its records batch by batch."""
        try:
            # The digest reads the whole file first: a corrupt archive member, or one past
            # the archive's limits, fails here, before any of its records is stored.
            sha256 = digest(source).sha256
            connector = stages.detect_format(source, self.options, self.format_name)
        except BadInput as exc:
            return self._failed_run(source.name, None, str(exc))
        except Exception as exc:  # whatever a hostile file does, it costs only itself
            # The traceback is for developers (SHAHEEN_LOG_LEVEL=DEBUG); the user gets one line.
            log.debug("reading %s failed", source.name, exc_info=True)
            return self._failed_run(source.name, None, _unexpected(exc))
        started = time.perf_counter()
        with write_scope(self.sessions) as session:
            run_id = service.start_run(
                session=session,
                source=source.name,
                connector=connector.get_name(),
                sha256=sha256,
                pid=os.getpid(),
                host=self.host,
            ).id
        result = RunResult(source.name, connector.get_name(), run_id)
        try:
            self._import(run_id, connector, source, result)
        except BadInput as exc:
            result.error = str(exc)
        except Exception as exc:  # a bug met on this file must not stop the next one
            log.debug("importing %s failed", source.name, exc_info=True)
            result.error = _unexpected(exc)
        if result.error:
            result.kept_before_error = result.read - result.rejected - result.skipped
        self._finish(run_id, result, time.perf_counter() - started)
        return result

    def import_media(self, source: Source) -> RunResult:
        """Store a media file given on its own (a screenshot, a downloaded video)."""
        started = time.perf_counter()
        try:
            stored = self.media.put(source)
        except BadInput as exc:
            return self._failed_run(source.name, "media", str(exc))
        with write_scope(self.sessions) as session:
            run_id = service.start_run(
                session=session,
                source=source.name,
                connector="media",
                sha256=stored.sha256,
                pid=os.getpid(),
                host=self.host,
            ).id
            _, created = upsert_media(session=session, stored=stored)
        result = RunResult(source.name, "media", run_id, read=1, media_new=int(created))
        self._finish(run_id, result, time.perf_counter() - started)
        return result

    def _interrupt_stale_runs(self) -> None:
        with write_scope(self.sessions) as session:
            stopped = service.interrupt_stale_runs(
                session=session, host=self.host, alive=_process_alive
            )
        if stopped:
            log.warning("marked runs %s interrupted", ", ".join(map(str, stopped)))

    def _import(self, run_id: int, connector: Connector, source: Source, result: RunResult) -> None:
        with self.sessions() as session:
            platform_ids = service.platform_ids(session=session)
        items = stages.checked(connector.parse(source), set(platform_ids))
        next_analyze = _FIRST_ANALYZE
        for batch in stages.batches(items, self.batch_size):
            result.read += batch.read
            result.skipped += batch.skipped
            self._store(run_id, source, batch, platform_ids, result)
            if self.on_progress is not None:
                self.on_progress(source.name, result.read)
            if result.read >= next_analyze:  # at 5k, 50k, 500k… records
                with write_scope(self.sessions) as session:
                    service.refresh_statistics(session=session)
                next_analyze *= 10

    def _store(
        self,
        run_id: int,
        source: Source,
        batch: stages.Batch,
        platform_ids: dict[str, int],
        result: RunResult,
    ) -> None:
        """One batch in one short write transaction, with the run's heartbeat."""
        attachments, warnings = self._copy_attachments(source, batch.records)
        warnings = batch.warnings + warnings
        lessons: list[_Lesson] = []
        counts = _Counts()
        with write_scope(self.sessions) as session:
            refused = self._store_records(session, batch.records, platform_ids, counts, lessons)
            kept = [(record, file) for index, record, file in attachments if index not in refused]
            counts.media_new += self._link_media(session, kept, platform_ids)
            errors = batch.errors + list(refused.values())
            for severity, found in (
                (ErrorSeverity.REJECTED, errors),
                (ErrorSeverity.WARNING, warnings),
            ):
                service.write_errors(
                    session=session,
                    run_id=run_id,
                    file=source.name,
                    errors=found,
                    platform_ids=platform_ids,
                    severity=severity,
                )
            service.heartbeat(session=session, run_id=run_id)
        # Committed: only now may the memo trust what these transactions stored.
        for lesson in lessons:
            self._authors.learn(lesson)
        result.accounts += counts.accounts
        result.posts += counts.posts
        result.media_new += counts.media_new
        result.statuses_new += counts.statuses_new
        result.rejected += len(errors)
        result.warnings += len(warnings)
        if batch.fault is not None:
            raise BadInput(batch.fault)

    def _store_records(
        self,
        session: Session,
        records: list[Record],
        platform_ids: dict[str, int],
        counts: _Counts,
        lessons: list[_Lesson],
    ) -> dict[int, RecordError]:
        """Store a batch; on refusal, once more whole, then record by record. Returns the
        records the database refused (by position), with why."""
        if not records:
            return {}
        for attempt in (1, 2):
            try:
                trial, lesson = self._trial(session, records, platform_ids)
                counts.add(trial)
                lessons.append(lesson)
                return {}
            except DBAPIError as exc:
                _fatal_if_unavailable(exc)
                log.warning("batch refused by the database (attempt %d): %s", attempt, exc.orig)
        refused: dict[int, RecordError] = {}
        for index, record in enumerate(records):
            try:
                # a deadlock's victim (a scan locks the same posts in another order) is
                # not the record's fault: it runs again
                trial, lesson = again_if_transient(
                    partial(self._trial, session, [record], platform_ids)
                )
                counts.add(trial)
                lessons.append(lesson)
            except DBAPIError as exc:
                _fatal_if_unavailable(exc)
                reason = f"refused by the database: {str(exc.orig).splitlines()[0]}"
                refused[index] = RecordError(record.location, reason, platform=platform_of(record))
        return refused

    def _trial(
        self, session: Session, records: list[Record], platform_ids: dict[str, int]
    ) -> tuple[_Counts, _Lesson]:
        """Store records in a savepoint: what they counted, and what the memo may learn
        once the transaction commits."""
        trial = _Counts()
        with session.begin_nested():
            lesson = self._store_unit(session, records, platform_ids, trial)
        return trial, lesson

    def _store_unit(
        self,
        session: Session,
        records: list[Record],
        platform_ids: dict[str, int],
        counts: _Counts,
    ) -> _Lesson:
        accounts: list[AccountRecord] = [a for r in records for a in r.accounts]
        known = {(a.platform, a.platform_account_id) for a in accounts}
        for record in records:
            post = record.post
            if post is not None and (post.platform, post.platform_account_id) not in known:
                accounts.append(AccountRecord(post.platform, post.platform_account_id))
                known.add((post.platform, post.platform_account_id))
        fresh, account_ids = self._authors.split(accounts, platform_ids)
        account_counts, stored_ids = service.upsert_accounts(
            session=session, platform_ids=platform_ids, records=fresh
        )
        account_counts.unchanged += len(accounts) - len(fresh)
        account_ids.update(stored_ids)
        posts = [r.post for r in records if r.post is not None]
        counts.posts += service.upsert_posts(
            session=session, platform_ids=platform_ids, account_ids=account_ids, records=posts
        )
        counts.accounts += account_counts
        counts.statuses_new += service.store_statuses(
            session=session,
            platform_ids=platform_ids,
            run_id=None,
            records=[status for r in records for status in r.statuses],
        )
        return self._authors.lesson(fresh, platform_ids, stored_ids)

    def _copy_attachments(
        self, source: Source, records: list[Record]
    ) -> tuple[list[tuple[int, Record, StoredFile]], list[RecordError]]:
        """Copy each record's attachments into the media store, outside any transaction:
        (position, record, stored file) for each, and a warning for each one missing."""
        copied: list[tuple[int, Record, StoredFile]] = []
        warnings: list[RecordError] = []
        for index, record in enumerate(records):
            if record.post is None:
                continue
            for ref in record.media:
                attachment = source.resolve(ref.path)
                if attachment is None:
                    reason = f"attachment {ref.path!r} is not in the export"
                    warnings.append(
                        RecordError(record.location, reason, platform=platform_of(record))
                    )
                    continue
                try:
                    copied.append((index, record, self.media.put(attachment)))
                except BadInput as exc:
                    warnings.append(
                        RecordError(record.location, str(exc), platform=platform_of(record))
                    )
        return copied, warnings

    def _link_media(
        self,
        session: Session,
        attachments: list[tuple[Record, StoredFile]],
        platform_ids: dict[str, int],
    ) -> int:
        """Media rows for copied attachments, linked to their posts; how many rows are new."""
        created_count = 0
        for record, stored in attachments:
            assert record.post is not None  # only posts' attachments are copied
            media, created = upsert_media(session=session, stored=stored)
            created_count += int(created)
            post_id = service.post_id(
                session=session,
                platform_id=platform_ids[record.post.platform],
                platform_post_id=record.post.platform_post_id,
            )
            if post_id is not None:
                service.link_media(session=session, post_id=post_id, media_id=media.id)
        return created_count

    def _finish(self, run_id: int, result: RunResult, seconds: float) -> None:
        result.seconds = seconds
        with write_scope(self.sessions) as session:
            service.finish_run(session=session, run_id=run_id, result=result)

    def _failed_run(self, name: str, connector: str | None, error: str) -> RunResult:
        with write_scope(self.sessions) as session:
            run_id = service.start_run(
                session=session,
                source=name,
                connector=connector or "unknown",
                pid=os.getpid(),
                host=self.host,
            ).id
        result = RunResult(name, connector, run_id, error=error)
        self._finish(run_id, result, 0.0)
        return result


@dataclass
class _Counts:
    """What one storing attempt did; added to the run's result only once committed."""

    accounts: UpsertCounts = field(default_factory=UpsertCounts)
    posts: UpsertCounts = field(default_factory=UpsertCounts)
    media_new: int = 0
    statuses_new: int = 0

    def add(self, other: _Counts) -> None:
        self.accounts += other.accounts
        self.posts += other.posts
        self.media_new += other.media_new
        self.statuses_new += other.statuses_new


def _unexpected(exc: Exception) -> str:
    return f"could not be read ({type(exc).__name__}: {exc}); SHAHEEN_LOG_LEVEL=DEBUG shows where"


def _fatal_if_unavailable(exc: DBAPIError) -> None:
    """A lock or connection failure is the database's fault, not the record's: it stops
    the file (records are not refused one by one for it)."""
    message = str(exc.orig).lower()
    if exc.connection_invalidated or (
        isinstance(exc, OperationalError) and ("locked" in message or "busy" in message)
    ):
        raise BadInput(f"the database is unavailable: {str(exc.orig).splitlines()[0]}") from exc


def _process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


#: What a lesson teaches the memo: each key's account id and state, or None to forget it.
_Lesson = list[tuple[_Key, tuple[int, tuple[object, ...]] | None]]


class _AuthorMemo:
    """The last state of each account this importer stored, bounded in size.

    Exports repeat the author's details on every post. Sending an account record equal
    to the last one stored (same fields, same observation time) is provably a no-op, so
    such records skip the lookup and the comparison. The memo holds at most `limit`
    accounts (least recently seen dropped first), keeping memory constant.

    It learns only what a committed transaction stored (`lesson`, then `learn` after
    the commit): an account written inside a savepoint or transaction that was rolled
    back must never be remembered, or every later post of that author would point at a
    row that does not exist and be refused with it.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._seen: OrderedDict[_Key, tuple[int, tuple[object, ...]]] = OrderedDict()

    @staticmethod
    def _state(account: AccountRecord) -> tuple[object, ...]:
        return (
            account.handle,
            account.display_name,
            account.bio,
            account.url,
            account.followers,
            account.verified,
            account.observed_at,
        )

    def split(
        self, accounts: list[AccountRecord], platform_ids: dict[str, int]
    ) -> tuple[list[AccountRecord], dict[_Key, int]]:
        """(accounts that must be stored, ids of those that need not be)."""
        fresh: list[AccountRecord] = []
        ids: dict[_Key, int] = {}
        for account in accounts:
            key = (platform_ids[account.platform], account.platform_account_id)
            remembered = self._seen.get(key)
            if remembered is not None and remembered[1] == self._state(account):
                ids[key] = remembered[0]
                self._seen.move_to_end(key)
            else:
                fresh.append(account)
        return fresh, ids

    def lesson(
        self,
        accounts: list[AccountRecord],
        platform_ids: dict[str, int],
        ids: dict[_Key, int],
    ) -> _Lesson:
        """What storing `accounts` taught, to be learnt once it is committed."""
        # Duplicates inside one batch were merged by the store, so only a key's single
        # occurrence is a state the database has actually seen.
        counts: dict[_Key, int] = {}
        for account in accounts:
            key = (platform_ids[account.platform], account.platform_account_id)
            counts[key] = counts.get(key, 0) + 1
        taught: _Lesson = []
        for account in accounts:
            key = (platform_ids[account.platform], account.platform_account_id)
            if counts[key] == 1 and key in ids:
                taught.append((key, (ids[key], self._state(account))))
            else:
                taught.append((key, None))
        return taught

    def learn(self, lesson: _Lesson) -> None:
        for key, value in lesson:
            if value is None:
                self._seen.pop(key, None)
            else:
                self._seen[key] = value
                self._seen.move_to_end(key)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)


def watch(
    directory: Path,
    importer: Importer,
    *,
    interval: float = 5.0,
    rounds: int | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[RunResult]:
    """Import files dropped into `directory` once their size stops changing.

    A file is taken when two polls see the same size and modification time, so a copy
    still in progress is not read half-way. Files whose exact bytes were imported before
    (this run or an earlier one) are passed over. `rounds` bounds the polls (tests).
    """
    sizes: dict[Path, tuple[int, float]] = {}
    done: set[tuple[Path, int, float]] = set()
    round_number = 0
    while rounds is None or round_number < rounds:
        round_number += 1
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in path.relative_to(directory).parts):
                continue
            stat = path.stat()
            signature = (stat.st_size, stat.st_mtime)
            if (path, *signature) in done:
                continue
            if sizes.get(path) != signature:
                sizes[path] = signature
                continue
            done.add((path, *signature))
            if _seen_before(importer, path):
                continue
            for result in importer.import_paths([path]):
                if on_result is not None:
                    on_result(result)
                yield result
        if rounds is None or round_number < rounds:
            sleep(interval)


def _seen_before(importer: Importer, path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return False  # members are checked one by one as they are imported
    sha256 = digest(FileSource(path)).sha256
    with importer.sessions() as session:
        return service.already_imported(session=session, sha256=sha256)
