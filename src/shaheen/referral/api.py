"""Referrals over HTTP, and the endpoint platforms answer on.

`/api/v1`: a referral, creating one from a referred case, sending it, recording a
platform's answer by hand, and a platform's board. HTTP rendering only: the services
apply the policy and the status rules.

`POST /webhooks/{platform}` takes a platform's answer to a referral, signed with that
platform's own secret over `timestamp + "." + body` (`X-Shaheen-Timestamp`,
`X-Shaheen-Signature: sha256=…`), and hands it to `flows.receive_answer`, where the
rules live. Refusals are RFC 9457 problem details with a stable `reason`: a bad,
missing or stale signature is 401, an unknown platform or reference 404, a replayed
delivery, an out-of-date answer or a move the rules forbid 409, a body over
`SHAHEEN_WEBHOOK_MAX_BODY_BYTES` 413 (read no further than that), an unreadable body or
field 422 naming the field. Nothing changes on a refusal; refusals are counted, and
summarised in the audit log per platform and window.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shaheen.access.rules import Principal
from shaheen.api.deps import CurrentUser, SessionDep, SessionsDep
from shaheen.api.errors import COMMON, PROBLEM_JSON, problem, problem_responses
from shaheen.api.idempotency import IdempotencyKeyHeader, create_once
from shaheen.api.types import Code, ObjectId, Text, code_path
from shaheen.config import get_settings
from shaheen.errors import BadInput, ConfigError, IllegalTransition, NotFound, ShaheenError
from shaheen.evidence.service import Signer
from shaheen.referral import flows, service
from shaheen.referral.channels import BadSignature, WebhookSecrets
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.schemas import Board, ReferralView
from shaheen.store.engine import session_scope

log = logging.getLogger(__name__)

router = APIRouter(tags=["referrals"], responses=problem_responses(*COMMON))
webhooks = APIRouter(tags=["webhooks"])


class AnswerCreate(BaseModel):
    """A platform's answer, recorded by hand (a liaison officer read it in an e-mail)."""

    model_config = ConfigDict(extra="forbid")

    status: ReferralStatus
    platform_reference: Code | None = None
    note: Text = ""
    at: AwareDatetime | None = Field(
        default=None,
        description="when the platform answered (default: now); the event's `recorded_at` "
        "is when it was recorded here",
    )


def _view(sessions: sessionmaker[Session], by: Principal, referral_id: int) -> ReferralView:
    with session_scope(sessions) as session:
        return service.referral_view(session=session, by=by, referral_id=referral_id)


def _channel_settings() -> flows.ChannelSettings:
    settings = get_settings()
    return flows.ChannelSettings(
        settings.outbox_dir,
        WebhookSecrets(settings.keys_dir),
        window=float(settings.webhook_replay_window_seconds),
    )


def _signer() -> Signer:
    return Signer(get_settings().keys_dir)


@router.get("/referrals/{referral_id}", response_model=ReferralView, summary="A referral")
def referral(referral_id: ObjectId, by: CurrentUser, session: SessionDep) -> ReferralView:
    """The referral, its items and every status change."""
    return service.referral_view(session=session, by=by, referral_id=referral_id)


@router.post(
    "/cases/{case_id}/referrals",
    status_code=201,
    response_model=ReferralView,
    responses=problem_responses(409),
    summary="Draft a referral from a referred case",
)
def create(
    request: Request,
    case_id: ObjectId,
    by: CurrentUser,
    sessions: SessionsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """With a signed evidence snapshot of what was online when the unit decided."""

    def draft() -> ReferralView:
        referral_id = service.create_from_case(sessions, case_id=case_id, by=by, signer=_signer())
        return _view(sessions, by, referral_id)

    return create_once(request, sessions, by=by, key=idempotency_key, body=None, create=draft)


@router.post(
    "/referrals/{referral_id}/send",
    response_model=ReferralView,
    responses=problem_responses(409, 502),
    summary="Send a referral through its platform's channel",
)
def send(referral_id: ObjectId, by: CurrentUser, sessions: SessionsDep) -> ReferralView:
    flows.send(
        sessions,
        referral_id=referral_id,
        by=by,
        settings=_channel_settings(),
        signer=_signer(),
    )
    return _view(sessions, by, referral_id)


@router.post(
    "/referrals/{referral_id}/events",
    status_code=201,
    response_model=ReferralView,
    responses=problem_responses(409),
    summary="Record a platform's answer",
)
def record(
    request: Request,
    referral_id: ObjectId,
    body: AnswerCreate,
    by: CurrentUser,
    sessions: SessionsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Moves the rules forbid are refused (409) and audited."""

    def answer() -> ReferralView:
        service.record_status(
            sessions,
            referral_id=referral_id,
            status=body.status,
            source=EventSource.MANUAL,
            by=by,
            platform_reference=body.platform_reference,
            note=body.note,
            at=body.at,
        )
        return _view(sessions, by, referral_id)

    return create_once(request, sessions, by=by, key=idempotency_key, body=body, create=answer)


@router.get(
    "/platforms/{code}/board",
    response_model=Board,
    summary="A platform's referrals by status",
)
def board(
    code: Annotated[str, code_path("platform code")], by: CurrentUser, session: SessionDep
) -> Board:
    return service.board(session=session, by=by, platform_code=code)


# -- the platforms' webhook ---------------------------------------------------------------

_STATUS: tuple[tuple[type[ShaheenError], int], ...] = (
    (flows.BodyTooLarge, 413),
    (BadSignature, 401),
    (NotFound, 404),
    (IllegalTransition, 409),
    (BadInput, 422),
)


class PlatformAnswer(BaseModel):
    """The body a platform signs and posts (documentation: the route reads raw bytes,
    since the signature covers them exactly as sent)."""

    delivery: str
    reference: str
    status: ReferralStatus
    at: datetime | None = None


class WebhookReceipt(BaseModel):
    referral: int
    recorded: bool


def _refusal(error: ShaheenError) -> JSONResponse:
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 403)
    extra: dict[str, Any] = {"reason": flows.reason_of(error)}
    if isinstance(error, flows.UnreadableAnswer) and error.field:
        extra["field"] = error.field
    return problem(status, str(error), error=type(error).__name__, **extra)


class _TooLarge(Exception):
    pass


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The body, read no further than `limit` + 1 bytes (enough to know it is too big)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _answer_schema() -> dict[str, Any]:
    schema = PlatformAnswer.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema["properties"]["status"] = {
        "type": "string",
        "enum": [s.value for s in ReferralStatus],
    }
    return schema


@webhooks.post(
    "/webhooks/{platform}",
    response_model=WebhookReceipt,
    summary="A platform's signed answer to a referral",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _answer_schema()}},
        }
    },
    responses={
        **problem_responses(401, 404, 409, 413, 422, 503),
        403: {
            "description": "Refused",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    },
)
async def platform_answer(
    platform: str,
    request: Request,
    sessions: SessionsDep,
    x_shaheen_timestamp: Annotated[
        str | None, Header(description="seconds since the epoch, signed with the body")
    ] = None,
    x_shaheen_signature: Annotated[
        str | None,
        Header(description='"sha256=" + HMAC-SHA256(secret, timestamp + "." + body), hex'),
    ] = None,
) -> JSONResponse:
    policy: flows.WebhookPolicy = request.app.state.webhook_policy
    try:
        body = await _bounded_body(request, policy.max_body)
    except _TooLarge:
        error = flows.BodyTooLarge(f"the body is larger than {policy.max_body} bytes")
        await run_in_threadpool(
            lambda: flows.refuse_answer(
                sessions, platform_code=platform, reason=error.reason, policy=policy
            )
        )
        return _refusal(error)
    try:
        referral_id = await run_in_threadpool(
            lambda: flows.receive_answer(
                sessions,
                platform_code=platform,
                body=body,
                headers=dict(request.headers.items()),
                policy=policy,
            )
        )
    except ConfigError as exc:  # our own secret file is unusable: say so in our log only
        log.error("webhook answer from %s not checked: %s", platform, exc)
        return problem(503, "the receiver is misconfigured", error="ConfigError")
    except ShaheenError as exc:
        return _refusal(exc)
    return JSONResponse({"referral": referral_id, "recorded": True})
