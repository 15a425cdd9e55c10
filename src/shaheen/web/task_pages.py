"""The desk's pages for work between agencies: the task inbox and outbox, issuing a task
(deadline, linked cases, attachments), a task's page with each side's moves (the
recipient acknowledges, answers with files and closes; the issuer accepts or reopens),
and sharing a case, bank or indicator list from its page (revoking it from `/shares`).

Rendering only: `tasks.service`, `tasks.shares` and `sharing.service` apply the policy
(who may see a task, move it, share what, under which TLP) and audit every step.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from shaheen.access.rules import Action
from shaheen.agencies import service as agencies
from shaheen.config import get_settings
from shaheen.detect.enums import INDICATOR_KINDS
from shaheen.errors import BadInput, ShaheenError
from shaheen.knowledge.enums import TLP
from shaheen.sharing import service as sharing
from shaheen.sharing.enums import SharedKind
from shaheen.store.base import MAX_ID
from shaheen.store.engine import session_scope, write_scope
from shaheen.tasks import rules as task_rules
from shaheen.tasks import service as tasks
from shaheen.tasks.attachments import AttachmentStore, StoredAttachment, store_root
from shaheen.tasks.enums import TaskKind, TaskStatus
from shaheen.tasks.shares import share_object
from shaheen.web import auth
from shaheen.web.auth import CsrfChecked, Me
from shaheen.web.i18n import _
from shaheen.web.pages import back, page, received_at, sessions

router = APIRouter()
BOXES = ("inbox", "outbox")
#: Kinds a person issues from the desk (phone-number tasks come from referred cases'
#: numbers, `shaheen task numbers`; returns from templates).
ISSUABLE = (TaskKind.GENERAL, TaskKind.REVIEW_ACCOUNTS)
Files = Annotated[list[UploadFile] | None, File()]


def _store() -> AttachmentStore:
    return AttachmentStore(store_root(get_settings().media_dir))


def _stored(files: list[UploadFile] | None) -> list[StoredAttachment]:
    """The uploaded files kept in the attachment store (an empty file input sends one
    nameless empty part: ignored)."""
    store = _store()
    kept = []
    for upload in files or []:
        if not upload.filename:
            continue
        kept.append(store.put(upload.filename, upload.file))
    return kept


def _case_ids(text: str) -> list[int]:
    found = []
    for part in text.replace(",", " ").split():
        if not part.lstrip("#").isdigit() or not 0 < int(part.lstrip("#")) <= MAX_ID:
            raise BadInput(f"{part!r} is not a case number")
        found.append(int(part.lstrip("#")))
    return found


# -- the lists --------------------------------------------------------------------------


@router.get("/tasks", response_class=HTMLResponse)
def task_list(
    request: Request, me: Me, box: str = "inbox", overdue: str = "", kind: str = ""
) -> HTMLResponse:
    """The inbox (tasks to one's agency) or the outbox (tasks it issued), a line per
    recipient; `overdue=1` keeps the parts past their deadline, `kind` one kind."""
    box = box if box in BOXES else "inbox"
    with session_scope(sessions(request)) as session:
        mine = agencies.code_of(session=session, agency_id=me.agency_id)
        rows = tasks.task_rows(session=session, by=me)
        directory = agencies.directory(session=session)
    shown = [r for r in rows if (r.issuer == mine) == (box == "outbox")]
    if box == "inbox":
        shown = [r for r in shown if r.agency == mine]
    if overdue:
        shown = [r for r in shown if r.overdue]
    if kind:
        shown = [r for r in shown if r.kind.value == kind]
    return page(
        request,
        "tasks.html",
        me,
        box=box,
        rows=shown,
        counts={
            "inbox": sum(1 for r in rows if r.agency == mine and r.issuer != mine),
            "outbox": sum(1 for r in rows if r.issuer == mine),
        },
        overdue=bool(overdue),
        kind=kind,
        recipients=[(code, name) for code, name in directory if code != mine],
        kinds=[k.value for k in ISSUABLE],
    )


@router.post("/tasks", dependencies=[CsrfChecked])
def issue(
    request: Request,
    me: Me,
    title: Annotated[str, Form()] = "",
    recipient: Annotated[list[str] | None, Form()] = None,
    due_days: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = TaskKind.GENERAL.value,
    cases: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    attachment: Files = None,
) -> Response:
    try:
        if not title.strip():
            raise BadInput(_("Give the task a title."))
        if not recipient:
            raise BadInput(_("Choose at least one agency to send the task to."))
        chosen = TaskKind(kind) if kind in {k.value for k in ISSUABLE} else TaskKind.GENERAL
        days = int(due_days) if due_days.strip().isdigit() else None
        stored = _stored(attachment)
        with write_scope(sessions(request)) as session:
            task_id = tasks.issue(
                session=session,
                by=me,
                title=title.strip(),
                recipients=recipient,
                due_at=received_at(due, get_settings().export_timezone),
                due_days=days,
                body=body,
                kind=chosen,
                case_ids=_case_ids(cases),
                attachments=stored,
            )
    except ShaheenError as exc:
        return back("/tasks?box=outbox", error=str(exc))
    return back(f"/tasks/{task_id}", done=_("Task issued."))


# -- one task ------------------------------------------------------------------------------


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task(request: Request, task_id: int, me: Me) -> HTMLResponse:
    with session_scope(sessions(request)) as session:
        view = tasks.task_view(session=session, by=me, task_id=task_id)
        mine = agencies.code_of(session=session, agency_id=me.agency_id)
    own = next((a for a in view.assignments if a.agency == mine), None)
    moves: list[str] = []
    if own is not None and Action.TASK_WORK in me.actions:
        moves = sorted(
            s.value for s in task_rules.TRANSITIONS[own.status] if s in task_rules.RECIPIENT_MOVES
        )
    return page(
        request,
        "task.html",
        me,
        view=view,
        issuer=view.issuer == mine,
        own=own,
        moves=moves,
        settle=(TaskStatus.ANSWERED, TaskStatus.CLOSED),
        zone=get_settings().export_timezone,
    )


def _step(request: Request, task_id: int, done: str, step: Any) -> Response:
    try:
        with write_scope(sessions(request)) as session:
            step(session)
    except ShaheenError as exc:
        return back(f"/tasks/{task_id}", error=str(exc))
    return back(f"/tasks/{task_id}", done=done)


@router.post("/tasks/{task_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge(request: Request, task_id: int, me: Me) -> Response:
    return _step(
        request,
        task_id,
        _("Acknowledged."),
        lambda s: tasks.acknowledge(session=s, by=me, task_id=task_id),
    )


@router.post("/tasks/{task_id}/answer", dependencies=[CsrfChecked])
def answer(
    request: Request,
    task_id: int,
    me: Me,
    text: Annotated[str, Form()] = "",
    attachment: Files = None,
) -> Response:
    try:
        stored = _stored(attachment)
    except ShaheenError as exc:
        return back(f"/tasks/{task_id}", error=str(exc))
    return _step(
        request,
        task_id,
        _("Your answer is sent."),
        lambda s: tasks.answer(session=s, by=me, task_id=task_id, text=text, attachments=stored),
    )


@router.post("/tasks/{task_id}/close", dependencies=[CsrfChecked])
def close(request: Request, task_id: int, me: Me, note: Annotated[str, Form()] = "") -> Response:
    return _step(
        request,
        task_id,
        _("Closed: the issuer is asked to accept it."),
        lambda s: tasks.close(session=s, by=me, task_id=task_id, note=note),
    )


@router.post("/tasks/{task_id}/accept", dependencies=[CsrfChecked])
def accept(
    request: Request,
    task_id: int,
    me: Me,
    agency: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    return _step(
        request,
        task_id,
        _("Accepted."),
        lambda s: tasks.accept(session=s, by=me, task_id=task_id, agency=agency, note=note),
    )


@router.post("/tasks/{task_id}/reopen", dependencies=[CsrfChecked])
def reopen(
    request: Request,
    task_id: int,
    me: Me,
    agency: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    due: Annotated[str, Form()] = "",
) -> Response:
    try:
        new_due = received_at(due, get_settings().export_timezone)
    except ShaheenError as exc:
        return back(f"/tasks/{task_id}", error=str(exc))
    return _step(
        request,
        task_id,
        _("Sent back to the recipient."),
        lambda s: tasks.reopen(
            session=s, by=me, task_id=task_id, agency=agency, note=note, due_at=new_due
        ),
    )


@router.post("/tasks/{task_id}/attach", dependencies=[CsrfChecked])
def attach(request: Request, task_id: int, me: Me, attachment: Files = None) -> Response:
    try:
        stored = _stored(attachment)
        if not stored:
            raise BadInput(_("Choose a file to attach."))
    except ShaheenError as exc:
        return back(f"/tasks/{task_id}", error=str(exc))

    def add(session: Any) -> None:
        for one in stored:
            tasks.attach(session=session, by=me, task_id=task_id, stored=one)

    return _step(request, task_id, _("File attached."), add)


@router.get("/tasks/{task_id}/attachments/{attachment_id}")
def download(request: Request, task_id: int, attachment_id: int, me: Me) -> FileResponse:
    with session_scope(sessions(request)) as session:
        view = tasks.attachment(
            session=session, by=me, task_id=task_id, attachment_id=attachment_id
        )
    return FileResponse(
        _store().path_for(view.sha256),
        media_type=view.mime_type,
        filename=view.file_name,
        # another agency's file: never shown inline, never kept by a shared cache
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
        content_disposition_type="attachment",
    )


# -- sharing ---------------------------------------------------------------------------------


@router.get("/shares", response_class=HTMLResponse)
def share_list(request: Request, me: Me) -> HTMLResponse:
    with session_scope(sessions(request)) as session:
        found = sharing.shares(session=session, by=me)
        mine = agencies.code_of(session=session, agency_id=me.agency_id)
        directory = agencies.directory(session=session)
    return page(
        request,
        "shares.html",
        me,
        shares=found,
        share_agencies=[(c, n) for c, n in directory if c != mine],
        tlps=[t.value for t in TLP],
        indicator_kinds=INDICATOR_KINDS,
    )


@router.post("/shares", dependencies=[CsrfChecked])
def share(
    request: Request,
    me: Me,
    kind: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    agency: Annotated[list[str] | None, Form()] = None,
    people: Annotated[str, Form()] = "",
    everyone: Annotated[str, Form()] = "",
    tlp: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    back_to: Annotated[str, Form()] = "/shares",
) -> Response:
    target = auth.safe_next(back_to)
    try:
        try:
            chosen = SharedKind(kind)
            marking = TLP(tlp) if tlp else None
        except ValueError:
            raise BadInput(_("Choose what to share.")) from None
        with write_scope(sessions(request)) as session:
            view = share_object(
                session=session,
                by=me,
                kind=chosen,
                key=key.strip(),
                agencies=agency or [],
                people=people.replace(",", " ").split(),
                everyone=bool(everyone),
                tlp=marking,
                note=note,
            )
    except ShaheenError as exc:
        return back(target, error=str(exc))
    return back(
        target,
        done=_("Shared with %(who)s.") % {"who": ", ".join(view.recipients) or _("every agency")},
    )


@router.post("/shares/{share_id}/revoke", dependencies=[CsrfChecked])
def revoke(request: Request, share_id: int, me: Me) -> Response:
    try:
        with write_scope(sessions(request)) as session:
            sharing.revoke(session=session, by=me, share_id=share_id)
    except ShaheenError as exc:
        return back("/shares", error=str(exc))
    return back("/shares", done=_("Share revoked: access ends now."))
