"""The media stage of a scan: hash what is new in the media store, match what is due.

Hashing is incremental (`media.hashed_at`); a file that cannot be hashed keeps its
reason in `media.hash_error` and is not tried again until it is cleared. Matching
takes items whose `matched_at` is empty: new ones, and all of them after a bank
changed. A match becomes one signal per post carrying the item and per account
showing it as profile picture, so it counts toward those accounts' risk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from shaheen.detect.base import Finding, MediaItem
from shaheen.detect.enums import SubjectKind
from shaheen.detect.media.detector import HashMatchDetector
from shaheen.detect.media.hashing import Frame, MediaError, MediaHashes, hash_file, media_kind
from shaheen.detect.media.matching import Found
from shaheen.detect.models import Signal
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.knowledge import service as knowledge
from shaheen.store import bulk
from shaheen.store.base import utcnow

BATCH = 200
_SIGNALS = cast(Table, Signal.__table__)


@dataclass
class MediaScanResult:
    hashed: int = 0
    failed: int = 0
    matched: int = 0  # items checked against the banks
    signals: int = 0
    accounts: set[int] = field(default_factory=set)  # whose evidence changed


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A stored file to hash: what a worker needs to find and name it."""

    id: int
    sha256: str
    mime_type: str


Hashed = MediaHashes | str  # the hashes, or why the file could not be hashed
Batch = TypeVar("Batch")
Outcome = TypeVar("Outcome")
#: How a stage's pure part runs over batches: in order, each batch with its outcome (an
#: engine's `map`; by default here, one batch after another).
Mapper = Callable[[Iterable[Batch]], Iterator[tuple[Batch, Outcome]]]


def hash_stored(store: MediaStore, file: MediaFile) -> Hashed:
    """A stored file's hashes, or the reason it has none (pure: runs on any worker that
    sees the media store)."""
    name = f"media {file.id} ({file.sha256[:12]}…, {file.mime_type})"
    if media_kind(file.mime_type) is None:
        return f"{name}: not an image or video"
    try:
        return hash_file(store.path_for(file.sha256), name, file.mime_type)
    except MediaError as exc:
        return str(exc)


def hash_pending(
    sessions: sessionmaker[Session],
    store: MediaStore,
    result: MediaScanResult,
    on_progress: Callable[[int], None] | None = None,
    hasher: Mapper[list[MediaFile], list[Hashed]] | None = None,
) -> None:
    """Hash every media item not hashed yet (`hasher` may hash several batches at once),
    storing each batch's hashes in its own transaction, in id order."""

    def here(batches: Iterable[list[MediaFile]]) -> Iterator[tuple[list[MediaFile], list[Hashed]]]:
        for files in batches:
            yield files, [hash_stored(store, file) for file in files]

    pending = _files(sessions)
    for files, outcomes in (hasher or here)(pending):
        with sessions.begin() as session:
            items = {
                m.id: m
                for m in session.scalars(select(Media).where(Media.id.in_([f.id for f in files])))
            }
            for file, outcome in zip(files, outcomes, strict=True):
                if file.id in items:
                    _store_hashes(items[file.id], outcome, result)
        if on_progress is not None:
            on_progress(result.hashed + result.failed)


def _files(sessions: sessionmaker[Session]) -> Iterator[list[MediaFile]]:
    """Media not hashed yet, in id order, a batch at a time (read ahead of the writes)."""
    last_id = 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(Media.id, Media.sha256, Media.mime_type)
                .where(Media.hashed_at.is_(None), Media.id > last_id)
                .order_by(Media.id)
                .limit(BATCH)
            ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        yield [MediaFile(*row) for row in rows]


def _hash_one(media: Media, store: MediaStore, result: MediaScanResult) -> None:
    """Hash one item here and keep its hashes on the row (the caller's transaction)."""
    _store_hashes(
        media, hash_stored(store, MediaFile(media.id, media.sha256, media.mime_type)), result
    )


def _store_hashes(media: Media, outcome: Hashed, result: MediaScanResult) -> None:
    media.hashed_at = utcnow()
    if isinstance(outcome, str):
        media.hash_error = outcome
        result.failed += 1
        return
    hashes = outcome
    media.hash_error = None
    media.pdq, media.pdq_quality = hashes.pdq, hashes.pdq_quality
    media.pdq_trimmed = hashes.pdq_trimmed
    media.pdq_dihedral = [*hashes.pdq_dihedral, *hashes.pdq_trimmed_dihedral] or None
    media.vpdq = [[f.pdq, f.quality, f.timestamp] for f in hashes.frames] or None
    media.width, media.height = hashes.width, hashes.height
    media.duration_ms = hashes.duration_ms
    result.hashed += 1


def match_pending(
    sessions: sessionmaker[Session],
    detector: HashMatchDetector,
    result: MediaScanResult,
    on_progress: Callable[[int], None] | None = None,
    searcher: Mapper[list[MediaItem], list[Found]] | None = None,
) -> None:
    """Match every hashed item that is due; store signals; note the accounts touched. The
    index searches may run elsewhere (`searcher`); MD5, the entries' details and the
    writes stay here, a batch per transaction."""

    def here(batches: Iterable[list[MediaItem]]) -> Iterator[tuple[list[MediaItem], list[Found]]]:
        for items in batches:
            yield items, detector.matcher.index.search([item.hashes for item in items])

    for items, found in (searcher or here)(_due(sessions)):
        with sessions.begin() as session:
            findings = detector.findings(items, found)
            ids = [item.key for item in items]
            # replaced: the accounts whose earlier matches may now be gone are touched too
            before = session.scalars(
                delete(Signal)
                .where(
                    bulk.among(session, Signal.media_id, ids),
                    Signal.detector == detector.get_name(),
                )
                .returning(Signal.account_id)
                .execution_options(synchronize_session=False)
            )
            result.accounts.update(a for a in before if a is not None)
            rows = _signal_rows(session, findings)
            bulk.insert_rows(session, _SIGNALS, rows)
            session.execute(
                update(Media)
                .where(bulk.among(session, Media.id, ids))
                .values(matched_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        result.matched += len(items)
        result.signals += len(rows)
        result.accounts.update(row["account_id"] for row in rows)
        if on_progress is not None:
            on_progress(result.matched)


def _due(sessions: sessionmaker[Session]) -> Iterator[list[MediaItem]]:
    """Hashed items due for matching, in id order, a batch at a time with their hashes."""
    last_id = 0
    while True:
        with sessions() as session:
            items = session.scalars(
                select(Media)
                .where(
                    Media.matched_at.is_(None),
                    Media.hashed_at.is_not(None),
                    Media.hash_error.is_(None),
                    Media.id > last_id,
                )
                .order_by(Media.id)
                .limit(BATCH)
            ).all()
            if not items:
                return
            last_id = items[-1].id
            batch = [MediaItem(m.id, stored_hashes(m)) for m in items]
        yield batch


def stored_hashes(media: Media) -> MediaHashes:
    """The hashes kept on a media row, in the form the matcher takes."""
    frames = [Frame(str(f[0]), int(f[1]), float(f[2])) for f in media.vpdq or []]
    turned = [str(h) for h in media.pdq_dihedral or []]
    return MediaHashes(
        name=f"media {media.id}",
        kind=media_kind(media.mime_type) or "image",
        mime_type=media.mime_type,
        size_bytes=media.size_bytes,
        md5=media.md5,
        sha256=media.sha256,
        pdq=media.pdq,
        pdq_quality=media.pdq_quality,
        pdq_dihedral=turned[:7],
        pdq_trimmed=media.pdq_trimmed,
        pdq_trimmed_dihedral=turned[7:],
        frames=frames,
    )


def _signal_rows(session: Session, findings: list[Finding]) -> list[dict[str, Any]]:
    """One row per finding and per post or profile that shows the item."""
    media_ids = sorted({f.key for f in findings})
    if not media_ids:
        return []
    carriers: dict[int, list[tuple[int | None, int, int, str]]] = {m: [] for m in media_ids}
    profile: int | None
    for media_id, post_id, account_id, platform_id in session.execute(
        select(PostMedia.media_id, Post.id, Post.account_id, Post.platform_id)
        .join(Post, Post.id == PostMedia.post_id)
        .where(PostMedia.media_id.in_(media_ids))
    ):
        carriers[media_id].append((post_id, account_id, platform_id, "post"))
    for profile, account_id, platform_id in session.execute(
        select(Account.profile_image_media_id, Account.id, Account.platform_id).where(
            Account.profile_image_media_id.in_(media_ids)
        )
    ):
        if profile is not None:
            carriers[profile].append((None, account_id, platform_id, "profile_image"))
    organisations = knowledge.organisation_ids(session=session)
    now = utcnow()
    return [
        {
            "detector": finding.detector,
            "detector_version": finding.version,
            "subject": SubjectKind.MEDIA,
            "platform_id": platform_id,
            "account_id": account_id,
            "post_id": post_id,
            "media_id": finding.key,
            "organisation_id": organisations.get(finding.organisation or ""),
            "label": finding.label,
            "score": finding.score,
            "evidence": {**finding.evidence, "shown_as": shown_as},
            "created_at": now,
        }
        for finding in findings
        for post_id, account_id, platform_id, shown_as in carriers[finding.key]
    ]
