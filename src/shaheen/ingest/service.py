"""Ingest's data access: idempotent storage of accounts and posts in batches, ingest
runs and their errors, media links, and the views the CLI shows.

`(platform_id, platform_*_id)` is the identity. A batch looks up which keys exist in
one query, inserts the new rows in one multi-row statement, and updates only the rows
whose fields changed, so importing the same file twice writes nothing. A field a
source does not carry (None) never blanks a value another source filled in.
Follower counts keep their history: a new observation is stored whenever the count
differs from the last one seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, exists, func, insert, or_, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from shaheen.access.rules import Action, Principal, require
from shaheen.errors import NotFound
from shaheen.ingest.connectors._parsing import clean_text
from shaheen.ingest.connectors.base import RecordError
from shaheen.ingest.enums import ErrorSeverity, RunStatus, StatusSubject
from shaheen.ingest.models import (
    Account,
    FollowerObservation,
    IngestError,
    IngestRun,
    Post,
    PostMedia,
    StatusObservation,
)
from shaheen.ingest.schemas import (
    AccountRecord,
    AccountStatusView,
    ErrorLine,
    PostRecord,
    RunResult,
    RunRow,
    StatusRecord,
    StatusView,
    UpsertCounts,
)
from shaheen.platforms.models import Platform
from shaheen.store.base import utcnow
from shaheen.store.engine import announce_writer, on_postgresql

# Bulk writes go through Core tables: no ORM objects exist, so its per-row bookkeeping
# would be pure cost on the hot path of large imports.
_ACCOUNTS = cast(Table, Account.__table__)
_POSTS = cast(Table, Post.__table__)
# Inserts of accounts and posts announce themselves on this key: the network stage follows
# both by id and reads how far it may go under it (network.service.arrived).
ARRIVALS_LOCK_KEY = 0x5348_4152  # "SHAR"
_OBSERVATIONS = cast(Table, FollowerObservation.__table__)

_ACCOUNT_FIELDS = ("handle", "display_name", "bio", "url", "followers", "verified")
_POST_FIELDS = (
    *("text", "language", "url", "posted_at", "reach", "raw"),
    *("reply_to", "quote_of", "forward_from", "mentions"),
)

# Under SQLite's default limit of host parameters per statement, with room to spare.
_LOOKUP_CHUNK = 900

RecordT = TypeVar("RecordT", AccountRecord, PostRecord)


def _merged(records: Iterable[RecordT], key: str) -> list[RecordT]:
    """Fold duplicates of a key inside one batch: a later non-None field wins."""
    unique: dict[tuple[str, str], RecordT] = {}
    for record in records:
        identity = (record.platform, getattr(record, key))
        earlier = unique.get(identity)
        if earlier is None:
            unique[identity] = record
            continue
        for name in record.__slots__:
            value = getattr(record, name)
            if value is not None:
                setattr(earlier, name, value)
    return list(unique.values())


def _existing(
    session: Session,
    columns: Sequence[InstrumentedAttribute[Any]],
    key_columns: tuple[InstrumentedAttribute[int], InstrumentedAttribute[str]],
    keys: list[tuple[int, str]],
) -> dict[tuple[int, str], Any]:
    """Stored rows for `keys`, one `platform_id = ? AND id IN (...)` query per chunk.

    A single-column IN under an equality uses the (platform, id) unique index directly;
    row-value IN lists are planned far worse by SQLite.
    """
    platform_column, id_column = key_columns
    by_platform: dict[int, list[str]] = {}
    for platform_id, platform_key in keys:
        by_platform.setdefault(platform_id, []).append(platform_key)
    found: dict[tuple[int, str], Any] = {}
    for platform_id, ids in by_platform.items():
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            rows = session.connection().execute(
                select(id_column, *columns).where(
                    platform_column == platform_id,
                    id_column.in_(ids[start : start + _LOOKUP_CHUNK]),
                )
            )
            for row in rows:
                found[(platform_id, row[0])] = row
    return found


def upsert_accounts(
    *, session: Session, platform_ids: dict[str, int], records: Iterable[AccountRecord]
) -> tuple[UpsertCounts, dict[tuple[int, str], int]]:
    """Store accounts; return the counts and each key's account id.

    A record observed *before* the account was last seen (an older export imported
    late) never overwrites newer values: it only fills empty fields and adds its
    follower count to the history, once.
    """
    batch = _merged(records, "platform_account_id")
    keys = [(platform_ids[r.platform], r.platform_account_id) for r in batch]
    columns = [getattr(Account, name) for name in ("id", "last_seen_at", *_ACCOUNT_FIELDS)]
    existing = _existing(session, columns, (Account.platform_id, Account.platform_account_id), keys)
    counts = UpsertCounts()
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    ids: dict[tuple[int, str], int] = {}
    for key, record in zip(keys, batch, strict=True):
        seen_at = record.observed_at or now
        row = existing.get(key)
        if row is None:
            values = {f: getattr(record, f) for f in _ACCOUNT_FIELDS}
            values["verified"] = bool(record.verified)
            new_rows.append(
                {
                    "platform_id": key[0],
                    "platform_account_id": key[1],
                    "first_seen_at": seen_at,
                    "last_seen_at": seen_at,
                    **values,
                }
            )
            continue
        ids[key] = row.id
        if seen_at >= row.last_seen_at:
            changes = _changes(row, record, _ACCOUNT_FIELDS)
            if record.followers is not None and record.followers != row.followers:
                observations.append(
                    {"account_id": row.id, "followers": record.followers, "observed_at": seen_at}
                )
            if changes:
                changes["last_seen_at"] = seen_at
        else:
            changes = {
                f: v
                for f, v in _changes(row, record, _ACCOUNT_FIELDS).items()
                if getattr(row, f) is None
            }
            if record.followers is not None:
                late.append(
                    {"account_id": row.id, "followers": record.followers, "observed_at": seen_at}
                )
        if changes:
            changed_rows.append({"id": row.id, **changes})
            counts.updated += 1
        else:
            counts.unchanged += 1
    if new_rows:
        announce_writer(session, ARRIVALS_LOCK_KEY)
        inserted = session.connection().execute(
            insert(_ACCOUNTS).returning(
                Account.id,
                Account.platform_id,
                Account.platform_account_id,
                Account.followers,
                Account.first_seen_at,
                sort_by_parameter_order=True,
            ),
            new_rows,
        )
        for row in inserted:
            ids[(row.platform_id, row.platform_account_id)] = row.id
            if row.followers is not None:
                observations.append(
                    {
                        "account_id": row.id,
                        "followers": row.followers,
                        "observed_at": row.first_seen_at,
                    }
                )
        counts.new += len(new_rows)
    if changed_rows:
        changed_rows.sort(key=lambda row: row["id"])  # in id order, as upserts lock them
        session.execute(update(Account), changed_rows)
    observations.extend(_unrecorded(session, late))
    if observations:
        session.connection().execute(insert(_OBSERVATIONS), observations)
    return counts, ids


def _unrecorded(session: Session, late: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The late observations not already in the history (re-imports add nothing)."""
    if not late:
        return []
    known = set(
        session.execute(
            select(FollowerObservation.account_id, FollowerObservation.observed_at).where(
                FollowerObservation.account_id.in_({o["account_id"] for o in late})
            )
        ).all()
    )
    return [o for o in late if (o["account_id"], o["observed_at"]) not in known]


def upsert_posts(
    *,
    session: Session,
    platform_ids: dict[str, int],
    account_ids: dict[tuple[int, str], int],
    records: Iterable[PostRecord],
) -> UpsertCounts:
    """Store posts whose accounts are in `account_ids`; return the counts."""
    batch = _merged(records, "platform_post_id")
    keys = [(platform_ids[r.platform], r.platform_post_id) for r in batch]
    columns = [getattr(Post, name) for name in ("id", *_POST_FIELDS)]
    existing = _existing(session, columns, (Post.platform_id, Post.platform_post_id), keys)
    counts = UpsertCounts()
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for key, record in zip(keys, batch, strict=True):
        row = existing.get(key)
        if row is None:
            account_id = account_ids[(key[0], record.platform_account_id)]
            new_rows.append(
                {
                    "platform_id": key[0],
                    "platform_post_id": key[1],
                    "account_id": account_id,
                    "first_seen_at": now,
                    **{f: getattr(record, f) for f in _POST_FIELDS},
                }
            )
            continue
        changes = _changes(row, record, _POST_FIELDS)
        if changes:
            # A changed text must be scanned again.
            extra = {"scanned_at": None} if "text" in changes else {}
            changed_rows.append({"id": row.id, "changed_at": now, **changes, **extra})
            counts.updated += 1
        else:
            counts.unchanged += 1
    if new_rows:
        # A Core insert of the table skips the ORM's per-row bookkeeping (no objects exist).
        announce_writer(session, ARRIVALS_LOCK_KEY)
        session.connection().execute(insert(_POSTS), new_rows)
        counts.new += len(new_rows)
    if changed_rows:
        # in id order, as a scan locks posts: two transactions never wait for each other
        changed_rows.sort(key=lambda row: row["id"])
        session.execute(update(Post), changed_rows)
    return counts


def _changes(
    row: Any, record: AccountRecord | PostRecord, fields: tuple[str, ...]
) -> dict[str, Any]:
    """The fields whose new value is known (not None) and differs from the stored one."""
    changes: dict[str, Any] = {}
    for name in fields:
        value = getattr(record, name)
        if value is not None and value != getattr(row, name):
            changes[name] = value
    return changes


def fill_links(*, session: Session, after: int, limit: int = 5_000) -> tuple[int, int]:
    """Fill the link fields of stored posts (id over `after`, a batch) from their raw
    records, as the connectors now read them; posts stored before the fields existed get
    them this way. Returns the last id read (0 when done) and how many were filled."""
    from shaheen.ingest.connectors.links import from_raw

    codes = {pid: code for code, pid in platform_ids(session=session).items()}
    rows = session.execute(
        select(Post.id, Post.platform_id, Post.raw)
        .where(Post.id > after, Post.raw.is_not(None))
        .order_by(Post.id)
        .limit(limit)
    ).all()
    changes = []
    for post_id, platform_id, raw in rows:
        links = from_raw(codes.get(platform_id, ""), None, raw)
        if not links.empty:
            changes.append(
                {
                    "id": post_id,
                    "reply_to": links.reply_to,
                    "quote_of": links.quote_of,
                    "forward_from": links.forward_from,
                    "mentions": links.mentions or None,
                }
            )
    if changes:
        session.execute(update(Post), changes)
    return (rows[-1][0] if rows else 0), len(changes)


def refresh_statistics(*, session: Session) -> None:
    """Bring the planner's row counts up to date during a large import (PostgreSQL).

    A table filled inside one long transaction still looks empty to PostgreSQL's
    planner, which then answers the key lookups by scanning the whole table: quadratic
    time. ANALYZE inside the transaction counts its own new rows. SQLite plans these
    lookups on the unique index anyway.
    """
    if on_postgresql(session):
        session.execute(text("ANALYZE accounts, posts, follower_observations"))


def follower_history(*, session: Session, account_id: int) -> list[FollowerObservation]:
    """An account's follower counts over time, oldest first."""
    return list(
        session.scalars(
            select(FollowerObservation)
            .where(FollowerObservation.account_id == account_id)
            .order_by(FollowerObservation.observed_at, FollowerObservation.id)
        )
    )


def count_accounts(*, session: Session) -> int:
    """How many accounts are stored."""
    return session.scalar(select(func.count()).select_from(Account)) or 0


def platform_ids(*, session: Session) -> dict[str, int]:
    """Each platform code's row id."""
    return {code: pid for code, pid in session.execute(select(Platform.code, Platform.id))}


def post_id(*, session: Session, platform_id: int, platform_post_id: str) -> int | None:
    """The stored post with this identity, or None."""
    return session.scalar(
        select(Post.id).where(
            Post.platform_id == platform_id, Post.platform_post_id == platform_post_id
        )
    )


def link_media(*, session: Session, post_id: int, media_id: int) -> bool:
    """Attach a media item to a post once; True if the link is new."""
    linked = session.scalar(
        select(exists().where(PostMedia.post_id == post_id, PostMedia.media_id == media_id))
    )
    if linked:
        return False
    session.execute(insert(PostMedia).values(post_id=post_id, media_id=media_id))
    return True


def write_errors(
    *,
    session: Session,
    run_id: int,
    file: str,
    errors: Sequence[RecordError],
    platform_ids: dict[str, int],
    severity: ErrorSeverity,
) -> None:
    """Store record errors (or warnings) of one run, in one statement."""
    if not errors:
        return
    session.execute(
        insert(IngestError),
        [
            {
                "run_id": run_id,
                "file": file[:1000],
                "location": error.location[:100],
                "severity": severity,
                "reason": clean_text(error.reason),
                "excerpt": clean_text(error.excerpt),
                "platform_id": platform_ids.get(error.platform or ""),
                "created_at": utcnow(),
            }
            for error in errors
        ],
    )


def start_run(
    *,
    session: Session,
    source: str,
    connector: str,
    sha256: str | None = None,
    pid: int | None = None,
    host: str | None = None,
) -> IngestRun:
    """A new run row, `running` until `finish_run`, with who runs it and a first heartbeat."""
    now = utcnow()
    run = IngestRun(
        source=source[:1000],
        connector=connector,
        source_sha256=sha256,
        pid=pid,
        host=host[:255] if host else None,
        started_at=now,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def heartbeat(*, session: Session, run_id: int) -> None:
    """The run is alive: its process committed another batch."""
    session.execute(update(IngestRun).where(IngestRun.id == run_id).values(heartbeat_at=utcnow()))


#: A running run whose heartbeat is older than this is taken for dead.
STALE_AFTER = timedelta(minutes=2)


def interrupt_stale_runs(
    *,
    session: Session,
    host: str,
    alive: Callable[[int], bool],
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> list[int]:
    """Mark `running` runs `interrupted` when they are provably dead; return their ids.

    Dead means: on this host, its process is gone (`alive(pid)` is False); or, anywhere,
    no heartbeat for `stale_after`. A run of another live import is never touched, so
    two imports at once do not interrupt each other.
    """
    now = now or utcnow()
    stopped: list[int] = []
    for run in session.scalars(select(IngestRun).where(IngestRun.status == RunStatus.RUNNING)):
        last = run.heartbeat_at or run.started_at
        gone = run.host == host and run.pid is not None and not alive(run.pid)
        if not gone and now - last <= stale_after:
            continue
        run.status, run.finished_at = RunStatus.INTERRUPTED, now
        run.error = (
            f"interrupted: process {run.pid} on {run.host} is gone"
            if gone
            else f"interrupted: no heartbeat since {last:%Y-%m-%d %H:%M:%S} UTC"
        )
        stopped.append(run.id)
    session.flush()
    return stopped


def finish_run(*, session: Session, run_id: int, result: RunResult) -> None:
    """Write a run's counts and outcome; a file-level error becomes an error row too."""
    run = session.get(IngestRun, run_id)
    assert run is not None
    run.records_read, run.records_rejected = result.read, result.rejected
    run.records_skipped, run.warnings = result.skipped, result.warnings
    run.records_new, run.records_updated = result.posts.new, result.posts.updated
    run.accounts_new, run.accounts_updated = result.accounts.new, result.accounts.updated
    run.media_new, run.finished_at = result.media_new, utcnow()
    run.heartbeat_at = run.finished_at
    run.status = RunStatus.FAILED if result.error else RunStatus.COMPLETED
    if result.error:
        run.error = result.error
        session.add(
            IngestError(
                run_id=run_id, file=result.source[:1000], location="file", reason=result.error
            )
        )
    session.flush()


def already_imported(*, session: Session, sha256: str) -> bool:
    """True if a completed run imported a file with these exact bytes."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    IngestRun.source_sha256 == sha256, IngestRun.status == RunStatus.COMPLETED
                )
            )
        )
    )


def recent_runs(*, session: Session, limit: int = 20) -> list[RunRow]:
    """The latest runs, newest first."""
    rows = session.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit))
    return [RunRow.model_validate(run) for run in rows]


def latest_run_id(*, session: Session) -> int | None:
    """The newest run's id, or None before the first import."""
    return session.scalar(select(IngestRun.id).order_by(IngestRun.id.desc()))


def run_errors(
    *, session: Session, run_ids: Sequence[int], limit: int = 50, records_only: bool = False
) -> list[ErrorLine]:
    """The errors of `run_ids` in the order they were found; `records_only` leaves out
    the file-level ones (a failed file is reported with its run)."""
    query = select(IngestError).where(IngestError.run_id.in_(run_ids))
    if records_only:
        query = query.where(IngestError.location != "file")
    rows = session.scalars(query.order_by(IngestError.id).limit(limit))
    return [ErrorLine.model_validate(row) for row in rows]


def store_statuses(
    *,
    session: Session,
    platform_ids: dict[str, int],
    run_id: int | None,
    records: Sequence[StatusRecord],
) -> int:
    """Keep status observations once each; return how many were new.

    The same observation (subject, status, reason, time) imported again adds nothing.
    Observations never change an account's status or a referral: they are evidence for
    the reviewer, shown with the account.
    """
    if not records:
        return 0
    keys = {(platform_ids[r.platform], r.key) for r in records}
    known: set[tuple[Any, ...]] = set()
    for platform_id in {k[0] for k in keys}:
        subjects = [k[1] for k in keys if k[0] == platform_id]
        for start in range(0, len(subjects), _LOOKUP_CHUNK):
            rows = session.execute(
                select(
                    StatusObservation.platform_id,
                    StatusObservation.subject,
                    StatusObservation.subject_key,
                    StatusObservation.status,
                    StatusObservation.reason,
                    StatusObservation.observed_at,
                ).where(
                    StatusObservation.platform_id == platform_id,
                    StatusObservation.subject_key.in_(subjects[start : start + _LOOKUP_CHUNK]),
                )
            )
            known.update(tuple(row) for row in rows)
    rows_to_add: list[dict[str, Any]] = []
    for record in records:
        identity = (
            platform_ids[record.platform],
            record.subject,
            record.key,
            record.status,
            record.reason,
            record.observed_at,
        )
        if identity in known:
            continue
        known.add(identity)
        rows_to_add.append(
            {
                "platform_id": identity[0],
                "subject": record.subject,
                "subject_key": record.key,
                "by_handle": record.by_handle,
                "status": record.status,
                "reason": record.reason,
                "observed_at": record.observed_at,
                "run_id": run_id,
                "recorded_at": utcnow(),
            }
        )
    if rows_to_add:
        session.execute(insert(StatusObservation), rows_to_add)
    return len(rows_to_add)


def account_statuses(*, session: Session, account_id: int) -> list[StatusView]:
    """What exports said about an account and its posts, newest first.

    Matches the account by id and by handle (a users lookup by username names it so),
    and its posts by their ids.
    """
    account = session.get(Account, account_id)
    if account is None:
        return []
    post_keys = select(Post.platform_post_id).where(Post.account_id == account_id)
    about_account = (StatusObservation.subject == StatusSubject.ACCOUNT) & or_(
        (StatusObservation.subject_key == account.platform_account_id)
        & StatusObservation.by_handle.is_(False),
        (StatusObservation.subject_key == (account.handle or "").lower())
        & StatusObservation.by_handle.is_(True),
    )
    about_posts = (StatusObservation.subject == StatusSubject.POST) & (
        StatusObservation.subject_key.in_(post_keys)
    )
    rows = session.scalars(
        select(StatusObservation)
        .where(
            StatusObservation.platform_id == account.platform_id, or_(about_account, about_posts)
        )
        .order_by(StatusObservation.observed_at.desc().nulls_last(), StatusObservation.id.desc())
    )
    return [StatusView.model_validate(row) for row in rows]


def account_status_view(
    *, session: Session, platform: str, platform_account_id: str
) -> AccountStatusView | None:
    """An account with the status observations exports made of it, or None."""
    row = session.execute(
        select(Account, Platform.code)
        .join(Platform, Platform.id == Account.platform_id)
        .where(Platform.code == platform, Account.platform_account_id == platform_account_id)
    ).first()
    if row is None:
        return None
    account, code = row
    return AccountStatusView(
        id=account.id,
        platform=code,
        platform_account_id=account.platform_account_id,
        handle=account.handle,
        display_name=account.display_name,
        followers=account.followers,
        statuses=account_statuses(session=session, account_id=account.id),
    )


# --- Reading accounts and posts for a principal (the API) --------------------------------
# Collected accounts and posts are the instance's, not one agency's: whoever may read
# cases (`case.read`) may read them, as `shaheen risk` and `tip list` already do.


def account_for(
    *, session: Session, by: Principal, platform: str, platform_account_id: str
) -> tuple[Account, str]:
    """The account `platform_account_id` of `platform`, and the platform's code."""
    require(by, Action.CASE_READ)
    row = session.execute(
        select(Account, Platform.code)
        .join(Platform, Platform.id == Account.platform_id)
        .where(Platform.code == platform, Account.platform_account_id == platform_account_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no {platform} account {platform_account_id!r}")
    return row[0], row[1]


def post_for(*, session: Session, by: Principal, post_id: int) -> tuple[Post, Account, str]:
    """The post, its account and its platform's code."""
    require(by, Action.CASE_READ)
    row = session.execute(
        select(Post, Account, Platform.code)
        .join(Account, Account.id == Post.account_id)
        .join(Platform, Platform.id == Post.platform_id)
        .where(Post.id == post_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no post {post_id}")
    return row[0], row[1], row[2]
