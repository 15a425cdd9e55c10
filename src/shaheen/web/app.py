"""The HTTP service: today the endpoint platforms answer referrals on; the web UI joins it.

`POST /webhooks/{platform}` takes a platform's answer to a referral, signed with that
platform's own secret over `timestamp + "." + body` (`X-Shaheen-Timestamp`,
`X-Shaheen-Signature: sha256=…`), and hands it to `referral.flows.receive_answer`, where
the rules live. Refusals are RFC 9457 problem details (`application/problem+json`) with
a stable `reason`: a bad, missing or stale signature is 401, an unknown platform or
reference 404, a replayed delivery, an out-of-date answer or a move the rules forbid
409, a body over `SHAHEEN_WEBHOOK_MAX_BODY_BYTES` 413 (read no further than that), an
unreadable body or field 422 naming the field. Nothing changes on a refusal; refusals are
counted, and summarised in the audit log per platform and window.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shaheen import __version__
from shaheen.errors import BadInput, ConfigError, IllegalTransition, NotFound, ShaheenError
from shaheen.referral import flows as referral_flows
from shaheen.referral.channels import BadSignature

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[ShaheenError], int], ...] = (
    (referral_flows.BodyTooLarge, 413),
    (BadSignature, 401),
    (NotFound, 404),
    (IllegalTransition, 409),
    (BadInput, 422),
)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem detail."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _refusal(error: ShaheenError) -> JSONResponse:
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 403)
    extra: dict[str, Any] = {"reason": referral_flows.reason_of(error)}
    if isinstance(error, referral_flows.UnreadableAnswer) and error.field:
        extra["field"] = error.field
    return problem(status, "answer refused", str(error), **extra)


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


def create_app(sessions: sessionmaker[Session], policy: referral_flows.WebhookPolicy) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # refusals of the last window would otherwise wait for the next refusal
        await run_in_threadpool(referral_flows.summarise_refusals, sessions, policy=policy)

    app = FastAPI(title="Shaheen", version=__version__, lifespan=lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post("/webhooks/{platform}")
    async def platform_answer(platform: str, request: Request) -> JSONResponse:
        try:
            body = await _bounded_body(request, policy.max_body)
        except _TooLarge:
            error = referral_flows.BodyTooLarge(f"the body is larger than {policy.max_body} bytes")
            await run_in_threadpool(
                lambda: referral_flows.refuse_answer(
                    sessions, platform_code=platform, reason=error.reason, policy=policy
                )
            )
            return _refusal(error)
        try:
            referral_id = await run_in_threadpool(
                lambda: referral_flows.receive_answer(
                    sessions,
                    platform_code=platform,
                    body=body,
                    headers=dict(request.headers.items()),
                    policy=policy,
                )
            )
        except ConfigError as exc:  # our own secret file is unusable: say so in our log only
            log.error("webhook answer from %s not checked: %s", platform, exc)
            return problem(503, "webhook not available", "the receiver is misconfigured")
        except ShaheenError as exc:
            return _refusal(exc)
        return JSONResponse({"referral": referral_id, "recorded": True})

    return app
