"""Shares and tasks over HTTP. HTTP rendering only: the services apply the policy and
the rules, and their schemas are the responses.

Attachments are uploaded as the raw request body (`POST /tasks/{id}/attachments?
filename=…`, up to the attachment limit): the issuer's go with the task, a recipient's
with its answer.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shaheen.access.rules import Action, Principal, require
from shaheen.agencies.enums import AgencyKind
from shaheen.api.deps import CurrentUser, SessionDep, SessionsDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.api.types import Code, ObjectId, ShortText, Text
from shaheen.config import get_settings
from shaheen.errors import BadInput
from shaheen.ingest.api import UploadRefused, read_upload, upload_body
from shaheen.knowledge.enums import TLP
from shaheen.sharing import service as sharing
from shaheen.sharing.enums import SharedKind
from shaheen.sharing.schemas import ShareList, ShareView
from shaheen.store.base import MAX_ID
from shaheen.store.engine import session_scope
from shaheen.tasks import service
from shaheen.tasks.attachments import DEFAULT_MAX_BYTES, AttachmentStore, store_root
from shaheen.tasks.enums import NumberOutcome, TaskKind
from shaheen.tasks.schemas import AttachmentView, NumberOutcomeCounts, TaskRow, TaskView
from shaheen.tasks.shares import share_object

router = APIRouter(tags=["sharing and tasks"], responses=problem_responses(*COMMON))
_NAME = r"^[^/\\\x00-\x1f]{1,255}$"


class ShareCreate(BaseModel):
    """What to share (one's own agency's), with whom."""

    model_config = ConfigDict(extra="forbid")

    kind: SharedKind
    key: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.+-]+$")] = Field(
        description="a case id, a bank's name, or an indicator kind (phone, url…)"
    )
    agencies: list[Code] = Field(default_factory=list, max_length=50)
    people: list[Code] = Field(default_factory=list, max_length=50)
    everyone: bool = False
    tlp: TLP | None = Field(default=None, description="an indicator list's marking")
    note: Text = ""


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: ShortText
    recipients: list[Code] = Field(min_length=1, max_length=50)
    due_at: AwareDatetime | None = None
    due_days: int | None = Field(default=None, ge=1, le=366)
    body: Text = ""
    kind: TaskKind = TaskKind.GENERAL
    cases: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=100, description="cases to link (and share)"
    )


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = ""


class Settle(BaseModel):
    """The issuer's verdict on one recipient's part."""

    model_config = ConfigDict(extra="forbid")

    agency: Code
    note: Text = ""
    due_at: AwareDatetime | None = Field(default=None, description="reopen: a new deadline")


class Outcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, Field(pattern=r"^\+?[0-9]{4,20}$")]
    outcome: NumberOutcome
    reason: Text = ""


# --- shares -------------------------------------------------------------------------------------


@router.get("/shares", response_model=ShareList, summary="Shares with and by your agency")
def shares(by: CurrentUser, session: SessionDep) -> ShareList:
    return sharing.shares(session=session, by=by)


@router.post("/shares", status_code=201, response_model=ShareView, summary="Share an object")
def share(body: ShareCreate, by: CurrentUser, session: SessionDep) -> ShareView:
    """Share one of your agency's cases, banks or indicator lists, as far as its TLP
    allows (RED to named people only; AMBER to named agencies; GREEN to every agency)."""
    return share_object(
        session=session,
        by=by,
        kind=body.kind,
        key=body.key,
        agencies=body.agencies,
        people=body.people,
        everyone=body.everyone,
        tlp=body.tlp,
        note=body.note,
    )


@router.delete("/shares/{share_id}", status_code=204, summary="Revoke a share (at once)")
def revoke(share_id: ObjectId, by: CurrentUser, session: SessionDep) -> Response:
    sharing.revoke(session=session, by=by, share_id=share_id)
    return Response(status_code=204)


# --- tasks --------------------------------------------------------------------------------------


@router.get("/tasks", response_model=list[TaskRow], summary="Tasks issued or received")
def tasks(by: CurrentUser, session: SessionDep) -> list[TaskRow]:
    """A line per recipient of every task your agency issued or received."""
    return service.task_rows(session=session, by=by)


@router.post("/tasks", status_code=201, response_model=TaskView, summary="Issue a task")
def issue(body: TaskCreate, by: CurrentUser, session: SessionDep) -> TaskView:
    task_id = service.issue(
        session=session,
        by=by,
        title=body.title,
        recipients=body.recipients,
        due_at=body.due_at,
        due_days=body.due_days,
        body=body.body,
        kind=body.kind,
        case_ids=body.cases,
    )
    return service.task_view(session=session, by=by, task_id=task_id)


@router.get("/tasks/overdue", response_model=list[TaskRow], summary="The supervisors' list")
def overdue(by: CurrentUser, session: SessionDep) -> list[TaskRow]:
    """Parts of your agency's tasks escalated to its supervisors, still unanswered."""
    return service.supervisors_list(session=session, by=by)


@router.get("/tasks/{task_id}", response_model=TaskView, summary="A task")
def task(task_id: ObjectId, by: CurrentUser, session: SessionDep) -> TaskView:
    return service.task_view(session=session, by=by, task_id=task_id)


@router.post("/tasks/{task_id}/acknowledge", response_model=TaskView, summary="Acknowledge")
def acknowledge(task_id: ObjectId, by: CurrentUser, session: SessionDep) -> TaskView:
    service.acknowledge(session=session, by=by, task_id=task_id)
    return service.task_view(session=session, by=by, task_id=task_id)


@router.post("/tasks/{task_id}/answers", response_model=TaskView, summary="Answer")
def answer(task_id: ObjectId, body: Answer, by: CurrentUser, session: SessionDep) -> TaskView:
    service.answer(session=session, by=by, task_id=task_id, text=body.text)
    return service.task_view(session=session, by=by, task_id=task_id)


@router.post("/tasks/{task_id}/close", response_model=TaskView, summary="Close (recipient)")
def close(task_id: ObjectId, body: Note, by: CurrentUser, session: SessionDep) -> TaskView:
    service.close(session=session, by=by, task_id=task_id, note=body.note)
    return service.task_view(session=session, by=by, task_id=task_id)


@router.post("/tasks/{task_id}/accept", response_model=TaskView, summary="Accept (issuer)")
def accept(task_id: ObjectId, body: Settle, by: CurrentUser, session: SessionDep) -> TaskView:
    service.accept(session=session, by=by, task_id=task_id, agency=body.agency, note=body.note)
    return service.task_view(session=session, by=by, task_id=task_id)


@router.post("/tasks/{task_id}/reopen", response_model=TaskView, summary="Reopen (issuer)")
def reopen(task_id: ObjectId, body: Settle, by: CurrentUser, session: SessionDep) -> TaskView:
    service.reopen(
        session=session,
        by=by,
        task_id=task_id,
        agency=body.agency,
        note=body.note,
        due_at=body.due_at,
    )
    return service.task_view(session=session, by=by, task_id=task_id)


@router.post("/tasks/{task_id}/outcomes", response_model=TaskView, summary="A number's outcome")
def record_outcome(
    task_id: ObjectId, body: Outcome, by: CurrentUser, session: SessionDep
) -> TaskView:
    """The regulator's outcome for one phone number of its task."""
    service.record_outcome(
        session=session,
        by=by,
        task_id=task_id,
        number=body.number,
        outcome=body.outcome,
        reason=body.reason,
    )
    return service.task_view(session=session, by=by, task_id=task_id)


@router.get(
    "/sims", response_model=NumberOutcomeCounts, summary="Phone numbers sent and their outcomes"
)
def sims(by: CurrentUser, session: SessionDep) -> NumberOutcomeCounts:
    """What became of the numbers your agency sent to regulators (a regulator: of the
    numbers it was sent)."""
    require(by, Action.TASK_READ)
    if by.agency_kind is AgencyKind.REGULATOR:
        return service.number_outcomes(session=session, regulator_agency_id=by.agency_id)
    return service.number_outcomes(session=session, issuer_agency_id=by.agency_id)


def _store() -> AttachmentStore:
    return AttachmentStore(store_root(get_settings().media_dir))


def _attach(
    sessions: sessionmaker[Session], by: Principal, task_id: int, name: str, data: bytes
) -> AttachmentView:
    stored = _store().put(name, io.BytesIO(data))
    with session_scope(sessions) as session:
        attachment_id = service.attach(session=session, by=by, task_id=task_id, stored=stored)
        return service.attachment(
            session=session, by=by, task_id=task_id, attachment_id=attachment_id
        )


@router.post(
    "/tasks/{task_id}/attachments",
    status_code=201,
    response_model=AttachmentView,
    openapi_extra=upload_body("the file's bytes", ("application/octet-stream",)),
    responses=problem_responses(413),
    summary="Attach a file",
)
async def attach(
    request: Request,
    task_id: ObjectId,
    by: CurrentUser,
    sessions: SessionsDep,
    filename: Annotated[str, Query(pattern=_NAME, description="the file's name")],
) -> JSONResponse:
    try:
        data = await read_upload(request, DEFAULT_MAX_BYTES)
    except UploadRefused as refused:
        return refused.response(request)
    if not data:
        raise BadInput("the upload is empty: send the file's bytes as the body")
    view = await run_in_threadpool(_attach, sessions, by, task_id, filename, data)
    return JSONResponse(view.model_dump(mode="json"), status_code=201)


@router.get(
    "/tasks/{task_id}/attachments/{attachment_id}",
    response_class=FileResponse,
    summary="Download an attachment",
)
def download(
    task_id: ObjectId, attachment_id: ObjectId, by: CurrentUser, session: SessionDep
) -> FileResponse:
    view = service.attachment(session=session, by=by, task_id=task_id, attachment_id=attachment_id)
    return FileResponse(
        _store().path_for(view.sha256),
        media_type=view.mime_type,
        filename=view.file_name,
        headers={"X-Content-Type-Options": "nosniff"},
    )
