"""The audit log over HTTP, newest first, as the policy lets the caller read it
(`service.entries`: an agency's auditors, supervisors and administrators their own
agency's entries; platform administrators all). The cursor is the sequence number to
continue below."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from shaheen.api.deps import CurrentUser, SessionDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.api.pagination import (
    DEFAULT_LIMIT,
    CursorParam,
    LimitParam,
    Page,
    decode_cursor,
    encode_cursor,
)
from shaheen.api.types import text_query
from shaheen.audit import service
from shaheen.audit.schemas import AuditEntry
from shaheen.errors import BadInput

router = APIRouter(tags=["audit"], responses=problem_responses(*COMMON))
AUDIT = "audit"


@router.get("/audit", response_model=Page[AuditEntry], summary="The audit log")
def entries(
    by: CurrentUser,
    session: SessionDep,
    actor: Annotated[str | None, text_query("who acted")] = None,
    action: Annotated[str | None, text_query("e.g. case.decide")] = None,
    object_type: Annotated[str | None, text_query("e.g. case")] = None,
    object_id: Annotated[str | None, text_query("the object's id")] = None,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Page[AuditEntry]:
    before = decode_cursor(AUDIT, cursor)
    if before is not None and (not isinstance(before, int) or isinstance(before, bool)):
        raise BadInput("the cursor is not one this listing gave out: start again")
    page = service.entries(
        session=session,
        by=by,
        limit=limit,
        before=before,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
    )
    next_cursor = encode_cursor(AUDIT, page.before) if page.before is not None else None
    return Page[AuditEntry](items=page.entries, next_cursor=next_cursor)
