"""Ingest over HTTP: export uploads, tips, and the collected accounts and posts.

HTTP rendering only: the importer, `tips.record_tip` and `service.py` do the work and
apply the policy. Uploads are the raw request body (the file's own bytes, with its
name in `?filename=`), not a multipart form: a collector streams a file with
`curl --data-binary @export.json`, and nothing needs a form parser. Every upload is
size-capped (read no further than the cap: 413) and type-checked from its first bytes,
never from the name or the client's `Content-Type` alone (415).
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shaheen.access.rules import Action, Principal, require
from shaheen.api.deps import CurrentUser, SessionDep, SessionsDep
from shaheen.api.errors import COMMON, problem, problem_responses
from shaheen.api.idempotency import IdempotencyKeyHeader, create_once
from shaheen.api.types import ObjectId, Text, code_path
from shaheen.audit import service as audit
from shaheen.config import get_settings
from shaheen.ingest import service, tips
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore, sniff_mime
from shaheen.ingest.models import Account, Post
from shaheen.ingest.schemas import RunResult
from shaheen.store.engine import write_scope

router = APIRouter(tags=["ingest"], responses=problem_responses(*COMMON))

#: The largest export one request uploads (bigger exports: `shaheen ingest` on the server).
MAX_INGEST_BYTES = 50 * 1024 * 1024
_NAME = r"^[A-Za-z0-9][A-Za-z0-9 _.()+-]{0,199}$"
_ZIP = b"PK\x03\x04"


class UploadRefused(Exception):
    """An upload refused before it is used: too large (413) or of the wrong type (415)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail

    def response(self, request: Request) -> JSONResponse:
        error = "UploadTooLarge" if self.status == 413 else "UnsupportedMediaType"
        return problem(self.status, self.detail, instance=request.url.path, error=error)


async def read_upload(request: Request, limit: int) -> bytes:
    """The request body, read no further than `limit` bytes (`UploadRefused` 413 past
    it; an empty body is 422's `BadInput` at the caller)."""
    declared = request.headers.get("content-length")
    too_large = UploadRefused(413, f"the upload is larger than {limit} bytes")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def upload_body(description: str, media_types: tuple[str, ...]) -> dict[str, Any]:
    """OpenAPI `requestBody` of a raw-bytes upload."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in media_types},
        }
    }


def export_kind(head: bytes, name: str) -> str | None:
    """'zip', 'text' or 'media' for what an export upload may be, from its first bytes;
    None for anything else (an executable, a PDF, …)."""
    if head.startswith(_ZIP):
        return "zip"
    mime = sniff_mime(head, name)
    if mime.startswith(("image/", "video/")) and mime != "image/svg+xml":
        return "media"
    if b"\x00" in head:
        return None  # text exports (JSON, CSV, HTML, TXT) have no NUL byte
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the head
            return None
    return "text"


# --- Uploads -------------------------------------------------------------------------------


class Counts(BaseModel):
    new: int
    updated: int
    unchanged: int


class IngestRunRead(BaseModel):
    """What importing one file of the upload did (an archive gives one per member)."""

    run_id: int | None
    source: str
    connector: str | None
    read: int
    rejected: int
    skipped: int
    warnings: int
    accounts: Counts
    posts: Counts
    media_new: int
    statuses_new: int
    error: str | None

    @classmethod
    def of(cls, result: RunResult, folder: Path) -> IngestRunRead:
        # The importer names files by their path; the client knows only its file name.
        source = result.source.replace(str(folder) + "/", "", 1)
        return cls(
            run_id=result.run_id,
            source=source,
            connector=result.connector,
            read=result.read,
            rejected=result.rejected,
            skipped=result.skipped,
            warnings=result.warnings,
            accounts=Counts(**asdict(result.accounts)),
            posts=Counts(**asdict(result.posts)),
            media_new=result.media_new,
            statuses_new=result.statuses_new,
            error=result.error,
        )


class IngestReceipt(BaseModel):
    runs: list[IngestRunRead]


def _import(sessions: SessionsDep, by: Principal, name: str, data: bytes) -> IngestReceipt:
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="shaheen-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        importer = Importer(sessions=sessions, media=MediaStore(settings.media_dir))
        results = importer.import_paths([path])
        receipt = IngestReceipt(runs=[IngestRunRead.of(r, Path(folder)) for r in results])
    with write_scope(sessions) as session:
        audit.record(
            session=session,
            actor=by.actor,
            action="ingest.upload",
            object_type="upload",
            object_id=name,
            details={
                "bytes": len(data),
                "runs": [r.run_id for r in receipt.runs],
                "failed": sum(1 for r in receipt.runs if r.error),
            },
            user_id=by.user_id,
            agency_id=by.agency_id,
        )
    return receipt


@router.post(
    "/ingest",
    response_model=IngestReceipt,
    status_code=201,
    summary="Upload an export file",
    openapi_extra=upload_body(
        "the export's bytes (JSON, CSV, HTML, TXT, a zip archive, or a media file)",
        ("application/octet-stream", "application/json", "text/csv", "application/zip"),
    ),
    responses=problem_responses(413, 415),
)
async def ingest(
    request: Request,
    by: CurrentUser,
    sessions: SessionsDep,
    filename: Annotated[
        str,
        Query(pattern=_NAME, description="the file's name (its extension helps detect the format)"),
    ],
) -> JSONResponse | IngestReceipt:
    """Import one export (or a zip archive of them) through the same importer as
    `shaheen ingest`; answers each file's counts. Up to 50 MiB."""
    require(by, Action.INGEST)
    try:
        data = await read_upload(request, MAX_INGEST_BYTES)
        if not data:
            raise UploadRefused(415, "the upload is empty: send the file's bytes as the body")
        if export_kind(data[:512], filename) is None:
            raise UploadRefused(
                415, "this is not an export: send JSON, CSV, HTML or text, a zip, or a media file"
            )
    except UploadRefused as refused:
        return refused.response(request)
    receipt = await run_in_threadpool(_import, sessions, by, filename, data)
    return JSONResponse(receipt.model_dump(mode="json"), status_code=201)


# --- Tips ---------------------------------------------------------------------------------


class TipCreate(BaseModel):
    """A lead from the public or a partner: a link, and what they said about it."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=4, max_length=1000, pattern=r"^[^\x00-\x1f\x7f\s]+$")
    note: Text = ""
    reporter_contact: str | None = Field(default=None, max_length=300, pattern=r"^[^\x00]*$")


class TipReceiptRead(BaseModel):
    id: int
    url: str
    platform: str | None
    earlier_reports: int = Field(description="tips about the same URL before this one")


@router.post(
    "/tips",
    response_model=TipReceiptRead,
    status_code=201,
    summary="Record a tip",
)
def tip(
    body: TipCreate,
    request: Request,
    by: CurrentUser,
    sessions: SessionsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Store a tip as a lead for the signed-in person's agency (audited)."""
    require(by, Action.INGEST)

    def create() -> TipReceiptRead:
        with write_scope(sessions) as session:
            receipt = tips.record_tip(
                session=session,
                url=body.url,
                note=body.note,
                reporter_contact=body.reporter_contact,
                channel="api",
                agency_id=by.agency_id,
                actor=by.actor,
            )
            return TipReceiptRead(
                id=receipt.tip.id,
                url=receipt.tip.url,
                platform=receipt.platform,
                earlier_reports=receipt.earlier_reports,
            )

    return create_once(
        request, sessions, by=by, key=idempotency_key, body=body, create=create, status_code=201
    )


# --- Accounts and posts -------------------------------------------------------------------


class AccountRead(BaseModel):
    """A collected account, as platforms' exports described it."""

    id: int
    platform: str
    platform_account_id: str
    handle: str | None
    display_name: str | None
    bio: str | None
    url: str | None
    followers: int | None
    verified: bool
    status: str
    risk_score: float | None
    first_seen_at: datetime
    last_seen_at: datetime

    @classmethod
    def of(cls, account: Account, platform: str) -> AccountRead:
        return cls(
            id=account.id,
            platform=platform,
            platform_account_id=account.platform_account_id,
            handle=account.handle,
            display_name=account.display_name,
            bio=account.bio,
            url=account.url,
            followers=account.followers,
            verified=account.verified,
            status=str(account.status),
            risk_score=account.risk_score,
            first_seen_at=account.first_seen_at,
            last_seen_at=account.last_seen_at,
        )


class PostRead(BaseModel):
    """A collected post with its account."""

    id: int
    platform: str
    platform_post_id: str
    account: AccountRead
    text: str
    language: str | None
    url: str | None
    posted_at: datetime | None
    reach: int | None
    first_seen_at: datetime

    @classmethod
    def of(cls, post: Post, account: Account, platform: str) -> PostRead:
        return cls(
            id=post.id,
            platform=platform,
            platform_post_id=post.platform_post_id,
            account=AccountRead.of(account, platform),
            text=post.text,
            language=post.language,
            url=post.url,
            posted_at=post.posted_at,
            reach=post.reach,
            first_seen_at=post.first_seen_at,
        )


PlatformAccountId = Annotated[
    str,
    PathParam(
        min_length=1,
        max_length=128,
        pattern=r"^[^\x00-\x1f\x7f/]+$",
        description="the platform's own id of the account",
    ),
]


@router.get(
    "/accounts/{platform}/{platform_account_id}",
    response_model=AccountRead,
    summary="An account by its platform id",
)
def account(
    platform: Annotated[str, code_path("platform code")],
    platform_account_id: PlatformAccountId,
    by: CurrentUser,
    session: SessionDep,
) -> AccountRead:
    found, code = service.account_for(
        session=session, by=by, platform=platform, platform_account_id=platform_account_id
    )
    return AccountRead.of(found, code)


@router.get("/posts/{post_id}", response_model=PostRead, summary="A post")
def post(post_id: ObjectId, by: CurrentUser, session: SessionDep) -> PostRead:
    found, owner, code = service.post_for(session=session, by=by, post_id=post_id)
    return PostRead.of(found, owner, code)
