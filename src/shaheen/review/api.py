"""Review over HTTP: the queue, a case, claims, assignments, decisions and the evidence
bundle. HTTP rendering only: `service.py` applies the policy and the rules, and its
schemas are the responses."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from shaheen.agencies import service as agencies
from shaheen.api.deps import CurrentUser, SessionDep, SessionsDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.api.idempotency import IdempotencyKeyHeader, create_once
from shaheen.api.pagination import (
    DEFAULT_LIMIT,
    CursorParam,
    LimitParam,
    Page,
    decode_cursor,
    encode_cursor,
)
from shaheen.api.types import Code, ObjectId, ShortText, Text, code_query
from shaheen.config import get_settings
from shaheen.errors import BadInput
from shaheen.ingest.media import MediaStore
from shaheen.review import service
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.review.rules import Proposed
from shaheen.review.schemas import CaseView, QueueRow

router = APIRouter(tags=["cases"], responses=problem_responses(*COMMON))
QUEUE = "queue"


class DecisionCreate(BaseModel):
    """A reviewer's decision. Refer needs an organisation and a legal basis."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    reason_code: Code = Field(description="see the README's review section")
    organisation: Code | None = Field(default=None, description="knowledge-base slug")
    legal_basis: Code | None = Field(default=None, description="see `GET` legal bases")
    note: Text = ""


class DecisionOutcome(BaseModel):
    """What a decision did to its case."""

    decision: int
    case: int
    status: CaseStatus
    second_review_reasons: list[str]


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: ShortText = Field(description="the reviewer's username")


def _position(cursor: str | None) -> service.QueuePosition | None:
    value = decode_cursor(QUEUE, cursor)
    if value is None:
        return None
    try:
        priority, opened_at, case_id = value
        return service.QueuePosition(
            float(priority), datetime.fromisoformat(opened_at), int(case_id)
        )
    except (TypeError, ValueError):
        raise BadInput("the cursor is not one this listing gave out: start again") from None


@router.get("/cases", response_model=Page[QueueRow], summary="The review queue")
def cases(
    by: CurrentUser,
    session: SessionDep,
    platform: Annotated[str | None, code_query("platform code")] = None,
    organisation: Annotated[str | None, code_query("knowledge-base slug")] = None,
    language: Annotated[str | None, code_query("language code")] = None,
    status: CaseStatus | None = None,
    agency: Annotated[str | None, code_query("agency code (default: your own)")] = None,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Page[QueueRow]:
    """Open cases (or those of `status`), highest priority (risk × reach) first."""
    after = _position(cursor)
    agency_id = agencies.require_by_code(session=session, code=agency).id if agency else None
    page = service.queue(
        session=session,
        by=by,
        agency_id=agency_id,
        where=service.QueueFilter(platform, organisation, language, status),
        limit=limit,
        after=after,
    )
    last = page.rows[-1] if page.rows else None
    next_cursor = (
        encode_cursor(QUEUE, [last.priority, last.opened_at.isoformat(), last.case_id])
        if page.next_offset is not None and last is not None
        else None
    )
    return Page[QueueRow](items=page.rows, next_cursor=next_cursor)


@router.get("/cases/{case_id}", response_model=CaseView, summary="A case page")
def case(case_id: ObjectId, by: CurrentUser, session: SessionDep) -> CaseView:
    """The account, its posts, the signals with their evidence and the decisions
    (every view is in the audit log)."""
    return service.case_view(session=session, by=by, case_id=case_id)


@router.post(
    "/cases/{case_id}/claim",
    status_code=204,
    responses=problem_responses(409),
    summary="Claim a case",
)
def claim(case_id: ObjectId, by: CurrentUser, sessions: SessionsDep) -> Response:
    service.claim(sessions, case_id=case_id, by=by)
    return Response(status_code=204)


@router.post(
    "/cases/{case_id}/assign",
    status_code=204,
    responses=problem_responses(409),
    summary="Give a case to a reviewer (supervisors)",
)
def assign(case_id: ObjectId, body: Assignment, by: CurrentUser, sessions: SessionsDep) -> Response:
    service.assign(sessions, case_id=case_id, by=by, to=body.to)
    return Response(status_code=204)


@router.post(
    "/cases/{case_id}/decisions",
    status_code=201,
    response_model=DecisionOutcome,
    responses=problem_responses(409),
    summary="Decide a case",
)
def decide(
    request: Request,
    case_id: ObjectId,
    body: DecisionCreate,
    by: CurrentUser,
    sessions: SessionsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Refusals (a missing legal basis, a second review by the same person, …) change
    nothing and are in the audit log."""

    def create() -> DecisionOutcome:
        outcome = service.decide(
            sessions,
            case_id=case_id,
            by=by,
            proposed=Proposed(body.verdict, body.reason_code, body.organisation, body.legal_basis),
            note=body.note,
            policy=service.policy_in_force(),
        )
        return DecisionOutcome(
            decision=outcome.decision_id,
            case=case_id,
            status=outcome.status,
            second_review_reasons=outcome.second_review_reasons,
        )

    return create_once(request, sessions, by=by, key=idempotency_key, body=body, create=create)


@router.get(
    "/cases/{case_id}/evidence",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the signed bundle"}},
    summary="The case's evidence bundle (zip)",
)
def evidence(case_id: ObjectId, by: CurrentUser, session: SessionDep) -> FileResponse:
    """The signed evidence bundle for a court (supervisors and liaison officers of the
    case's agency; the export is in the audit log)."""

    def export(target: Path) -> None:
        service.export_evidence(
            session=session,
            by=by,
            case_id=case_id,
            output=target,
            media=MediaStore(get_settings().media_dir),
        )

    return evidence_download(case_id, export)


def evidence_download(case_id: int, export: Callable[[Path], None]) -> FileResponse:
    """The zip `export` writes, sent from a temporary folder removed once it is sent (or
    at once if the export fails): the API's and the web desk's download alike."""
    folder = Path(tempfile.mkdtemp(prefix="shaheen-evidence-"))
    target = folder / f"case-{case_id}-evidence.zip"
    try:
        export(target)
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(
        target,
        media_type="application/zip",
        filename=target.name,
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink(missing_ok=True)
    folder.rmdir()
