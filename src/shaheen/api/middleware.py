"""Plain ASGI middleware (no `BaseHTTPMiddleware`: it buffers, and costs per request):

* `RequestId`: takes a well-formed `X-Request-ID` from the caller (a proxy's or
  client's, up to 128 characters of `A-Za-z0-9._-`) or makes one, sets it for the log
  records of the request, returns it in the response, and logs one line per request:
  method, path (never the query string or headers: tokens must not reach the logs),
  status and time taken.
* `BodyLimit`: refuses a body over the cap with 413 problem+json: at once when
  `Content-Length` says so, else as soon as the streamed body passes it, so no route
  ever reads more than the cap. Routes may set smaller caps of their own (the webhook).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shaheen.api.context import reset_request_id, set_request_id
from shaheen.api.errors import RequestTooLarge, too_large

log = logging.getLogger("shaheen.api.access")

REQUEST_ID_HEADER = "x-request-id"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,128}")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                return None
    return None


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, REQUEST_ID_HEADER.encode())
        request_id = given if given and _WELL_FORMED.fullmatch(given) else uuid.uuid4().hex
        token = set_request_id(request_id)
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s %.1f ms",
                scope.get("method", ""),
                scope.get("path", ""),
                status[0] if status else "-",
                (time.perf_counter() - started) * 1000,
            )
            reset_request_id(token)


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started: list[bool] = []

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise RequestTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(True)
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except RequestTooLarge:
            if started:  # pragma: no cover - a route answered before reading its body
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = too_large(self.max_bytes, str(scope.get("path", "")))
        await response(scope, receive, send)
