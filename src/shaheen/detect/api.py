"""Detection over HTTP: hash lookups (by value, in batches, by uploaded file) and the
signals on an account. HTTP rendering only: matching is `media/matching.py`, reading
is `service.py` and `knowledge.banks`, which apply the policy.

Lookups are what partners call most (HMA's `/m/lookup`), so they must not load the
index from disk per request: each server process keeps one `Matcher`'s indexes in
memory and brings them up to date with the banks at most once a second (a new entry
is one cheap `max(id)` query away) and fully every minute (entries removed). A match
is answered only from banks the caller may read (the rule of
`knowledge.banks.readable_bank_names`); the banks' owners and TLPs are read with that
once-a-second check, so a single-hash lookup costs no query for them, and a bank's
new TLP takes effect within a second.
"""

from __future__ import annotations

import copy
import logging
import re
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shaheen.access.rules import Action, Principal, can_read, require
from shaheen.api.deps import CurrentUser, SessionDep, SessionsDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.api.pagination import (
    DEFAULT_LIMIT,
    CursorParam,
    LimitParam,
    Page,
    decode_cursor,
    encode_cursor,
)
from shaheen.api.types import ObjectId
from shaheen.config import Settings, get_settings
from shaheen.detect import service
from shaheen.detect.media.hashing import MediaError, MediaHashes, hash_file, media_kind
from shaheen.detect.media.matching import BankMatch, Matcher
from shaheen.errors import BadInput
from shaheen.ingest.api import UploadRefused, read_upload, upload_body
from shaheen.ingest.media import sniff_mime
from shaheen.knowledge import banks
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.knowledge.models import HashBank, HashBankEntry
from shaheen.sharing import service as sharing
from shaheen.sharing.enums import SharedKind
from shaheen.store.engine import session_scope

log = logging.getLogger(__name__)

router = APIRouter(tags=["hashes"], responses=problem_responses(*COMMON))
signals_router = APIRouter(tags=["accounts"], responses=problem_responses(*COMMON))

MAX_BATCH = 100
#: The largest file `POST /lookup/file` hashes (a short video; longer ones: the CLI).
MAX_LOOKUP_FILE = 32 * 1024 * 1024
_HEX = {SignalType.PDQ: re.compile(r"[0-9a-f]{64}"), SignalType.MD5: re.compile(r"[0-9a-f]{32}")}
SIGNALS = "signals"


# --- The process's matcher ----------------------------------------------------------------


class _Bank(NamedTuple):
    id: int
    name: str
    owner: int | None
    tlp: TLP


class _Matchers:
    """One in-memory matcher per (index folder, threshold), kept in step with the banks."""

    CHECK_SECONDS = 1.0
    FULL_SYNC_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[tuple[str, int], tuple[Matcher, int | None, float, float]] = {}
        self._banks: dict[str, tuple[list[_Bank], float]] = {}
        self._shares: dict[tuple[str, int | None, int | None], tuple[set[str], float]] = {}
        self._loading = threading.Lock()  # one index load at a time in this process
        self._reloading: set[tuple[str, int]] = set()

    def readable(self, session: Session, by: Principal) -> set[str]:
        """`banks.readable_bank_names`, from the banks and the bank shares as read within
        `CHECK_SECONDS`: a new share, a revoked one or a bank's new TLP takes effect
        within a second, and a busy integration's lookups cost a query a second, not one
        a lookup."""
        require(by, Action.BANK_READ)
        key = str(session.get_bind().engine.url)
        now = time.monotonic()
        with self._lock:
            kept = self._banks.get(key)
        if kept is None or now - kept[1] >= self.CHECK_SECONDS:
            rows = session.execute(
                select(HashBank.id, HashBank.name, HashBank.owner_agency_id, HashBank.tlp)
            )
            kept = ([_Bank(*row) for row in rows], now)
            with self._lock:
                self._banks[key] = kept
        banks_now = kept[0]
        mine = {b.name for b in banks_now if b.owner is None or can_read(by, b.owner, b.tlp)}
        unread = [b for b in banks_now if b.name not in mine]
        if not unread or by.is_system or by.agency_id is None:
            return mine
        return mine | self._shared(session, by, key, unread, now)

    def _shared(
        self, session: Session, by: Principal, key: str, unread: list[_Bank], now: float
    ) -> set[str]:
        """Those of `unread` a live share lets `by` read (`sharing.readable_keys`)."""
        who = (key, by.agency_id, by.user_id)
        with self._lock:
            kept = self._shares.get(who)
        if kept is None or now - kept[1] >= self.CHECK_SECONDS:
            marked = {str(b.id): b.tlp for b in unread}
            keys = sharing.readable_keys(
                session=session, by=by, kind=SharedKind.BANK, marked=marked
            )
            kept = ({b.name for b in unread if str(b.id) in keys}, now)
            with self._lock:
                if len(self._shares) > 10_000:  # principals seen: bounded
                    self._shares.clear()
                self._shares[who] = kept
        return kept[0]

    def get(self, session: Session, settings: Settings) -> Matcher:
        """A matcher bound to `session` (a shallow copy: the indexes are shared).

        Only a process's first lookup waits for the index to load. After that, when the
        banks have new entries (checked at most once a `CHECK_SECONDS`) or a full sync is
        due, one background thread loads the index afresh while lookups go on against
        the one in memory, and the new one replaces it when ready: a reload (a second at
        a million hashes) never stalls the requests in flight."""
        # absolute(), not resolve(): no filesystem calls on the path of every lookup
        key = (str(settings.index_dir.absolute()), settings.match_threshold)
        now = time.monotonic()
        with self._lock:
            cached = self._cached.get(key)
            due = cached is not None and now - cached[2] >= self.CHECK_SECONDS
            if cached is not None and due:  # this request checks; the others need not
                self._cached[key] = (cached[0], cached[1], now, cached[3])
        if cached is None:
            matcher = self._first_load(session, settings, key)
        else:
            matcher, stamp, _, synced = cached
            if due:
                newest = session.scalar(select(func.max(HashBankEntry.id)))
                if newest != stamp or now - synced >= self.FULL_SYNC_SECONDS:
                    self._reload_in_background(session, settings, key)
        bound = copy.copy(matcher)
        bound.session = session
        return bound

    def _first_load(self, session: Session, settings: Settings, key: tuple[str, int]) -> Matcher:
        with self._loading:  # one load at a time; a request that waited finds it done
            with self._lock:
                cached = self._cached.get(key)
            if cached is not None:
                return cached[0]
            newest = session.scalar(select(func.max(HashBankEntry.id)))
            matcher = Matcher.load(session, settings.index_dir, settings.match_threshold)
            with self._lock:
                now = time.monotonic()
                self._cached[key] = (matcher, newest, now, now)
            return matcher

    def _reload_in_background(
        self, session: Session, settings: Settings, key: tuple[str, int]
    ) -> None:
        with self._lock:
            if key in self._reloading:
                return
            self._reloading.add(key)
        engine = session.get_bind().engine

        def reload() -> None:
            try:
                with self._loading, Session(engine) as own:
                    newest = own.scalar(select(func.max(HashBankEntry.id)))
                    matcher = Matcher.load(own, settings.index_dir, settings.match_threshold)
                with self._lock:
                    now = time.monotonic()
                    self._cached[key] = (matcher, newest, now, now)
            except Exception:  # the old index keeps answering; the next check retries
                log.exception("reloading the hash index in %s failed", key[0])
            finally:
                with self._lock:
                    self._reloading.discard(key)

        threading.Thread(target=reload, name="index-reload", daemon=True).start()


_matchers = _Matchers()


def warm_up(sessions: sessionmaker[Session]) -> None:
    """Load this process's hash index now (a server starts it in a thread), so that the
    first lookup a worker answers does not wait a second or two for it; a failure is
    logged and the first lookup tries again."""
    try:
        with sessions() as session:
            _matchers.get(session, get_settings())
    except Exception:
        log.exception("loading the hash index at start-up failed")


# --- Shapes ------------------------------------------------------------------------------


class MatchRead(BaseModel):
    """One bank entry a hash or file matched, and how closely."""

    entry_id: int
    bank: str
    signal_type: str
    organisation: str | None
    label: str
    tags: str
    distance: int | None = Field(description="PDQ bits apart (None: an exact MD5)")
    similarity: float
    query_percent: float | None = None
    target_percent: float | None = None
    transform: str | None = None

    @classmethod
    def of(cls, match: BankMatch) -> MatchRead:
        return cls(**asdict(match), similarity=match.similarity)


class LookupResult(BaseModel):
    signal_type: SignalType
    value: str
    matches: list[MatchRead]


class LookupBatch(BaseModel):
    """Up to 100 hashes of one signal type."""

    model_config = ConfigDict(extra="forbid")

    signal_type: Literal["pdq", "md5"] = "pdq"
    values: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_BATCH
    )


class LookupBatchResult(BaseModel):
    results: list[LookupResult]


class FileLookupResult(BaseModel):
    """The hashes of an uploaded file and the bank entries it matches."""

    kind: str
    mime_type: str
    size_bytes: int
    md5: str
    sha256: str
    pdq: str | None
    pdq_quality: int | None
    frames: int
    matches: list[MatchRead]


# --- Lookups -----------------------------------------------------------------------------


def _checked(signal_type: SignalType, value: str) -> str:
    pattern = _HEX.get(signal_type)
    if pattern is None:
        raise BadInput(f"look up {signal_type.value} hashes by file: POST /lookup/file")
    value = value.strip().lower()
    if not pattern.fullmatch(value):
        size = 64 if signal_type is SignalType.PDQ else 32
        raise BadInput(f"a {signal_type.value} hash is {size} hexadecimal characters")
    return value


def _threshold(settings: Settings, threshold: int | None) -> int:
    if threshold is None:
        return settings.match_threshold
    if not 0 <= threshold <= settings.match_threshold:
        raise BadInput(f"threshold: 0 to {settings.match_threshold} (the index is exact to it)")
    return threshold


def _md5_only(value: str) -> MediaHashes:
    # A file known by its MD5 alone: `Matcher.match` then compares that digest only.
    return MediaHashes(value, "image", "", 0, value, "")


def _visible(readable: set[str], matches: list[BankMatch]) -> list[MatchRead]:
    return [MatchRead.of(m) for m in matches if m.bank in readable]


def lookup_values(
    session: Session,
    by: Principal,
    signal_type: SignalType,
    values: list[str],
    threshold: int | None = None,
) -> list[LookupResult]:
    """Each hash's matches in the banks `by` may read, closest first."""
    readable = _matchers.readable(session, by)  # bank.read, first
    settings = get_settings()
    limit = _threshold(settings, threshold)
    checked = [_checked(signal_type, v) for v in values]
    matcher = _matchers.get(session, settings)
    if signal_type is SignalType.PDQ:
        found = [
            [m for m in matcher.lookup(value) if (m.distance or 0) <= limit] for value in checked
        ]
    else:
        found = matcher.match([_md5_only(value) for value in checked])
    return [
        LookupResult(signal_type=signal_type, value=value, matches=_visible(readable, matches))
        for value, matches in zip(checked, found, strict=True)
    ]


@router.get("/lookup", response_model=LookupResult, summary="Look up one hash")
def lookup(
    by: CurrentUser,
    session: SessionDep,
    value: Annotated[str, Query(min_length=1, max_length=64, description="the hash, hex")],
    signal_type: Annotated[Literal["pdq", "md5"], Query(description="pdq or md5")] = "pdq",
    threshold: Annotated[int | None, Query(ge=0, le=256, description="PDQ bits apart")] = None,
) -> LookupResult:
    """The bank entries a hash matches: PDQ within the threshold (default the
    instance's), MD5 exactly; closest first."""
    [result] = lookup_values(session, by, SignalType(signal_type), [value], threshold)
    return result


@router.post("/lookup", response_model=LookupBatchResult, summary="Look up up to 100 hashes")
def lookup_batch(
    body: LookupBatch,
    by: CurrentUser,
    session: SessionDep,
    threshold: Annotated[int | None, Query(ge=0, le=256, description="PDQ bits apart")] = None,
) -> LookupBatchResult:
    """Each hash's matches, in the order given."""
    results = lookup_values(session, by, SignalType(body.signal_type), body.values, threshold)
    return LookupBatchResult(results=results)


def _hash_and_match(
    sessions: SessionsDep, by: Principal, data: bytes, mime: str
) -> FileLookupResult:
    settings = get_settings()
    with session_scope(sessions) as session:
        readable = banks.readable_bank_names(session=session, by=by)
    with tempfile.TemporaryDirectory(prefix="shaheen-lookup-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        hashes: MediaHashes = hash_file(path, name="the upload", mime_type=mime)
    with session_scope(sessions) as session:
        [found] = _matchers.get(session, settings).match([hashes])
        matches = _visible(readable, found)
    return FileLookupResult(
        kind=hashes.kind,
        mime_type=hashes.mime_type,
        size_bytes=hashes.size_bytes,
        md5=hashes.md5,
        sha256=hashes.sha256,
        pdq=hashes.pdq,
        pdq_quality=hashes.pdq_quality,
        frames=len(hashes.frames),
        matches=matches,
    )


@router.post(
    "/lookup/file",
    response_model=FileLookupResult,
    summary="Hash an image or video and look it up",
    openapi_extra=upload_body(
        "the image's or video's bytes", ("image/jpeg", "image/png", "video/mp4")
    ),
    responses=problem_responses(413, 415),
)
async def lookup_file(
    request: Request, by: CurrentUser, sessions: SessionsDep
) -> JSONResponse | FileLookupResult:
    """Hash the uploaded file (MD5, PDQ with its altered forms, vPDQ) and match it
    against every bank the caller may read. Up to 32 MiB; the file is not kept."""
    try:
        data = await read_upload(request, MAX_LOOKUP_FILE)
        mime = sniff_mime(data[:64], "")
        if not data or media_kind(mime) is None:
            raise UploadRefused(415, "send an image or a video (its bytes as the body)")
    except UploadRefused as refused:
        return refused.response(request)
    try:
        return await run_in_threadpool(_hash_and_match, sessions, by, data, mime)
    except MediaError as exc:  # a corrupt image, a bomb, a video without frames
        raise BadInput(str(exc)) from None


# --- Signals -----------------------------------------------------------------------------


class SignalRead(BaseModel):
    """One detector's finding, with the evidence that explains its score."""

    id: int
    detector: str
    detector_version: str
    subject: str
    post_id: int | None
    media_id: int | None
    organisation: str | None
    label: str
    score: float
    evidence: dict[str, Any]
    created_at: datetime


@signals_router.get(
    "/accounts/{account_id:int}/signals",
    response_model=Page[SignalRead],
    summary="An account's signals",
)
def account_signals(
    account_id: ObjectId,
    by: CurrentUser,
    session: SessionDep,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Page[SignalRead]:
    """Every signal on the account, its posts and their media, oldest first."""
    after = decode_cursor(SIGNALS, cursor)
    if after is not None and not isinstance(after, int):
        raise BadInput("the cursor is not one this listing gave out: start again without it")
    rows, slugs = service.account_signals(
        session=session, by=by, account_id=account_id, after=after or 0, limit=limit + 1
    )
    items = [
        SignalRead(
            id=s.id,
            detector=s.detector,
            detector_version=s.detector_version,
            subject=str(s.subject),
            post_id=s.post_id,
            media_id=s.media_id,
            organisation=slugs.get(s.organisation_id) if s.organisation_id else None,
            label=s.label,
            score=s.score,
            evidence=s.evidence or {},
            created_at=s.created_at,
        )
        for s in rows[:limit]
    ]
    more = len(rows) > limit
    return Page[SignalRead](
        items=items, next_cursor=encode_cursor(SIGNALS, items[-1].id) if more else None
    )
