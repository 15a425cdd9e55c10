"""Importing sources: the thin loop that owns transactions, one run per file.

The work itself is done by pure stages (`stages.py`: detect the format, read items,
check and normalise them, cut them into batches) and by ingest's service (storage).
What is left here is the order of things and the transactions around them.

Each file is imported in one transaction: a file-level failure (`BadSource`, an unsafe
archive) rolls back everything from that file, so nothing is half-written, and the run
row, committed separately, records why. Within the file, records are stored in batches;
if the database refuses a batch, it is retried record by record inside savepoints, so
the one bad record is reported and the good ones around it are kept.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.errors import BadInput
from shaheen.ingest import service, stages
from shaheen.ingest.connectors import registry
from shaheen.ingest.connectors.base import ConnectorOptions, Record, RecordError
from shaheen.ingest.enums import ErrorSeverity
from shaheen.ingest.media import MediaStore, upsert_media
from shaheen.ingest.rules import platform_of
from shaheen.ingest.schemas import AccountRecord
from shaheen.ingest.schemas import RunResult as RunResult
from shaheen.ingest.sources import FileSource, Source, digest, expand, is_media_name

log = logging.getLogger(__name__)

_FIRST_ANALYZE = 5_000

ProgressCallback = Callable[[str, int], None]


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
    ) -> None:
        self.sessions = sessions
        self.media = media
        self.options = options or ConnectorOptions()
        self.format_name = format_name
        self.batch_size = batch_size
        self.on_progress = on_progress
        self._authors = _AuthorMemo()
        if format_name is not None:
            registry().get(format_name)  # fail now on an unknown format, not per file

    def import_paths(self, paths: Iterable[Path]) -> list[RunResult]:
        """Import every export file under `paths`, in order."""
        results: list[RunResult] = []
        for path in paths:
            if path.is_file() and is_media_name(path.name):
                results.append(self.import_media(FileSource(path)))
                continue
            try:
                sources = list(expand(path))
            except BadInput as exc:
                results.append(self._failed_run(str(path), None, str(exc)))
                continue
            results.extend(self.import_source(source) for source in sources)
        return results

    def import_source(self, source: Source) -> RunResult:
        """Import one file: a run row, then everything or nothing of the file."""
        try:
            connector = stages.detect_format(source, self.options, self.format_name)
            sha256 = digest(source).sha256
        except BadInput as exc:
            return self._failed_run(source.name, None, str(exc))
        result = RunResult(source.name, connector.get_name())
        started = time.perf_counter()
        with self.sessions.begin() as session:
            run_id = service.start_run(
                session=session, source=source.name, connector=connector.get_name(), sha256=sha256
            ).id
        result.run_id = run_id
        try:
            with self.sessions.begin() as session:
                platform_ids = service.platform_ids(session=session)
                items = stages.checked(connector.parse(source), set(platform_ids))
                next_analyze = _FIRST_ANALYZE
                for batch in stages.batches(items, self.batch_size):
                    result.read += batch.read
                    result.skipped += batch.skipped
                    self._store(session, run_id, source, batch, platform_ids, result)
                    if result.read >= next_analyze:  # at 5k, 50k, 500k… records
                        service.refresh_statistics(session=session)
                        next_analyze *= 10
        except BadInput as exc:
            result = RunResult(source.name, connector.get_name(), run_id, error=str(exc))
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            self._finish(run_id, result, time.perf_counter() - started)
            raise
        self._finish(run_id, result, time.perf_counter() - started)
        return result

    def import_media(self, source: Source) -> RunResult:
        """Store a media file given on its own (a screenshot, a downloaded video)."""
        started = time.perf_counter()
        try:
            stored = self.media.put(source)
        except BadInput as exc:
            return self._failed_run(source.name, "media", str(exc))
        with self.sessions.begin() as session:
            run_id = service.start_run(
                session=session, source=source.name, connector="media", sha256=stored.sha256
            ).id
            _, created = upsert_media(session=session, stored=stored)
        result = RunResult(source.name, "media", run_id, read=1, media_new=int(created))
        self._finish(run_id, result, time.perf_counter() - started)
        return result

    def _store(
        self,
        session: Session,
        run_id: int,
        source: Source,
        batch: stages.Batch,
        platform_ids: dict[str, int],
        result: RunResult,
    ) -> None:
        if batch.records:
            try:
                with session.begin_nested():
                    self._store_records(session, batch.records, platform_ids, result)
            except DBAPIError:
                log.warning("batch refused by the database; retrying record by record")
                self._authors.forget()  # what it remembered of the batch was rolled back
                for record in batch.records:
                    try:
                        with session.begin_nested():
                            self._store_records(session, [record], platform_ids, result)
                    except DBAPIError as exc:
                        reason = f"refused by the database: {str(exc.orig).splitlines()[0]}"
                        batch.errors.append(
                            RecordError(record.location, reason, platform=platform_of(record))
                        )
            self._link_media(session, run_id, source, batch.records, platform_ids, result)
        if batch.errors:
            result.rejected += len(batch.errors)
            service.write_errors(
                session=session,
                run_id=run_id,
                file=source.name,
                errors=batch.errors,
                platform_ids=platform_ids,
                severity=ErrorSeverity.REJECTED,
            )
        if self.on_progress is not None:
            self.on_progress(source.name, result.read)

    def _store_records(
        self,
        session: Session,
        records: list[Record],
        platform_ids: dict[str, int],
        result: RunResult,
    ) -> None:
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
        self._authors.remember(fresh, platform_ids, stored_ids)
        posts = [r.post for r in records if r.post is not None]
        post_counts = service.upsert_posts(
            session=session, platform_ids=platform_ids, account_ids=account_ids, records=posts
        )
        result.accounts += account_counts
        result.posts += post_counts

    def _link_media(
        self,
        session: Session,
        run_id: int,
        source: Source,
        records: list[Record],
        platform_ids: dict[str, int],
        result: RunResult,
    ) -> None:
        warnings: list[RecordError] = []
        for record in records:
            if not record.media or record.post is None:
                continue
            post = record.post
            post_id = service.post_id(
                session=session,
                platform_id=platform_ids[post.platform],
                platform_post_id=post.platform_post_id,
            )
            for ref in record.media:
                attachment = source.resolve(ref.path)
                if attachment is None:
                    warnings.append(
                        RecordError(
                            record.location,
                            f"attachment {ref.path!r} is not in the export",
                            platform=post.platform,
                        )
                    )
                    continue
                try:
                    stored = self.media.put(attachment)
                except BadInput as exc:
                    warnings.append(RecordError(record.location, str(exc), platform=post.platform))
                    continue
                media, created = upsert_media(session=session, stored=stored)
                result.media_new += int(created)
                if post_id is not None:
                    service.link_media(session=session, post_id=post_id, media_id=media.id)
        if warnings:
            result.warnings += len(warnings)
            service.write_errors(
                session=session,
                run_id=run_id,
                file=source.name,
                errors=warnings,
                platform_ids=platform_ids,
                severity=ErrorSeverity.WARNING,
            )

    def _finish(self, run_id: int, result: RunResult, seconds: float) -> None:
        result.seconds = seconds
        with self.sessions.begin() as session:
            service.finish_run(session=session, run_id=run_id, result=result)

    def _failed_run(self, name: str, connector: str | None, error: str) -> RunResult:
        with self.sessions.begin() as session:
            run_id = service.start_run(
                session=session, source=name, connector=connector or "unknown"
            ).id
        result = RunResult(name, connector, run_id, error=error)
        self._finish(run_id, result, 0.0)
        return result


class _AuthorMemo:
    """The last state of each account this importer sent to the store, bounded in size.

    Exports repeat the author's details on every post. Sending an account record equal
    to the last one sent (same fields, same observation time) is provably a no-op, so
    such records skip the lookup and the comparison. The memo holds at most `limit`
    accounts (least recently seen dropped first), keeping memory constant.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._seen: OrderedDict[tuple[int, str], tuple[int, tuple[object, ...]]] = OrderedDict()

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
    ) -> tuple[list[AccountRecord], dict[tuple[int, str], int]]:
        """(accounts that must be stored, ids of those that need not be)."""
        fresh: list[AccountRecord] = []
        ids: dict[tuple[int, str], int] = {}
        for account in accounts:
            key = (platform_ids[account.platform], account.platform_account_id)
            remembered = self._seen.get(key)
            if remembered is not None and remembered[1] == self._state(account):
                ids[key] = remembered[0]
                self._seen.move_to_end(key)
            else:
                fresh.append(account)
        return fresh, ids

    def remember(
        self,
        accounts: list[AccountRecord],
        platform_ids: dict[str, int],
        ids: dict[tuple[int, str], int],
    ) -> None:
        # Duplicates inside one batch were merged by the store, so only a key's single
        # occurrence is a state the database has actually seen.
        counts: dict[tuple[int, str], int] = {}
        for account in accounts:
            key = (platform_ids[account.platform], account.platform_account_id)
            counts[key] = counts.get(key, 0) + 1
        for account in accounts:
            key = (platform_ids[account.platform], account.platform_account_id)
            if counts[key] == 1 and key in ids:
                self._seen[key] = (ids[key], self._state(account))
                self._seen.move_to_end(key)
            else:
                self._seen.pop(key, None)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)

    def forget(self) -> None:
        self._seen.clear()


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
