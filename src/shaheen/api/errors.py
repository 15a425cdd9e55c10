"""One handler from `ShaheenError` to HTTP: RFC 9457 problem details.

Services raise the domain's errors and know nothing of HTTP; routes never build error
responses themselves. The mapping:

* `Unauthenticated` 401, with `WWW-Authenticate: Bearer`: no or bad credentials;
* `Forbidden`, `SafeguardViolation` 403: the policy or a safeguard refuses;
* `NotFound` 404: absent, or another agency's (the policy hides that it exists);
* `IllegalTransition` 409: the object's state does not allow the move;
* `BadInput` 422, as are requests that fail validation;
* `ConfigError`, `DatabaseUnavailable`, `SchemaOutOfDate` 503: the server, not the
  request, is at fault and the client may retry later; the detail goes to our log only
  (it names files and hosts);
* any other `ShaheenError` 500.

Every problem carries `type` (`about:blank`: the status says it all), `title` (the
status phrase), `status`, `detail` (the error's message, written for users), `instance`
(the path), `error` (the error's class, stable for programs) and `request_id`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from shaheen.api.context import current_request_id
from shaheen.errors import (
    BadInput,
    ConfigError,
    DatabaseUnavailable,
    Forbidden,
    IllegalTransition,
    NotFound,
    RateLimited,
    SafeguardViolation,
    SchemaOutOfDate,
    ShaheenError,
    Unauthenticated,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

#: First match wins, so subclasses come before their bases.
STATUS: tuple[tuple[type[ShaheenError], int], ...] = (
    (Unauthenticated, 401),
    (RateLimited, 429),
    (Forbidden, 403),
    (SafeguardViolation, 403),
    (NotFound, 404),
    (IllegalTransition, 409),
    (BadInput, 422),
    (ConfigError, 503),
    (DatabaseUnavailable, 503),
    (SchemaOutOfDate, 503),
)
#: Server-side faults: the client learns only that the service is unavailable.
_PRIVATE = (ConfigError, DatabaseUnavailable, SchemaOutOfDate)


class Problem(BaseModel):
    """An RFC 9457 problem detail, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    error: str | None = None
    request_id: str | None = None


class RequestTooLarge(Exception):
    """Raised by `middleware.BodyLimit` while a route reads a body past the cap. Not a
    `ShaheenError`: it is the transport's refusal, answered 413 wherever it surfaces."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the request body is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


def too_large(max_bytes: int, instance: str | None = None) -> JSONResponse:
    return problem(
        413,
        f"the request body is larger than {max_bytes} bytes",
        instance=instance,
        error="BodyTooLarge",
    )


def status_of(error: ShaheenError) -> int:
    return next((code for kind, code in STATUS if isinstance(error, kind)), 500)


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    error: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response with the request's id."""
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        error=error,
        request_id=current_request_id(),
        **extra,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def shaheen_problem(request: Request, exc: ShaheenError) -> JSONResponse:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        given = request.headers.get("authorization")
        headers["WWW-Authenticate"] = (
            'Bearer realm="shaheen", error="invalid_token"' if given else 'Bearer realm="shaheen"'
        )
    retry_after = getattr(exc, "retry_after", None)  # rate limits say when to come back
    if isinstance(retry_after, int | float):
        headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    detail = str(exc)
    if isinstance(exc, _PRIVATE):
        log.error("%s %s: %s", request.method, request.url.path, exc)
        detail = "the service is not available: its operator must fix its configuration"
    elif status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    return problem(
        status, detail, instance=request.url.path, error=type(exc).__name__, headers=headers
    )


def _validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
    return problem(
        422, detail, instance=request.url.path, error="RequestValidationError", errors=errors
    )


def _http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Starlette's own refusals (no such route, method not allowed) in the same shape.
    if isinstance(exc.__cause__, RequestTooLarge):  # FastAPI wraps body read errors in 400
        return too_large(exc.__cause__.max_bytes, request.url.path)
    return problem(
        exc.status_code,
        str(exc.detail),
        instance=request.url.path,
        headers=exc.headers,
    )


def install(app: FastAPI) -> None:
    """Register the handlers: every refusal of the app is problem+json."""

    async def on_shaheen(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ShaheenError)
        return shaheen_problem(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_problem(request, exc)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return _http_problem(request, exc)

    app.add_exception_handler(ShaheenError, on_shaheen)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting problem+json answers."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


#: What every authenticated route may answer besides its success.
COMMON: Sequence[int] = (401, 403, 404, 422)
