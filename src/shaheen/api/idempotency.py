"""`Idempotency-Key` on creates: the same key and request answer the same response.

How (after the IETF draft "The Idempotency-Key HTTP Header Field"):

1. In a short transaction of its own, the key is claimed for the caller: a row with the
   request's SHA-256 and no response yet. The unique `(owner, key)` makes two
   concurrent requests with one key race for the row; the loser is told 409.
2. The create runs in its own transactions (the services own them, so that a refusal
   keeps its audit entry).
3. Success stores the status and body under the key; a refusal deletes the claim, so
   the client may correct the request and retry with the same key.

A key seen again answers: the stored response (header `Idempotent-Replayed: true`) if
the request is the same (method, path, body), 422 if it is another, 409 if the first
is still being served. Keys are the caller's own and last `TTL`; after that a key is
new again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access.rules import Principal
from shaheen.api.models import IdempotencyKey
from shaheen.errors import BadInput, IllegalTransition
from shaheen.store.base import utcnow

TTL = timedelta(hours=24)
_WELL_FORMED = re.compile(r"[\x21-\x7e]{1,200}")  # visible ASCII, as the draft's examples

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="any unique string (a UUID): a retry with the same key and request "
        "answers the first response instead of creating twice (kept 24 hours)",
    ),
]


class KeyInUse(IllegalTransition):
    """The first request with this key has not been answered yet."""


class KeyReused(BadInput):
    """The key was used with another request."""


def _fingerprint(request: Request, body: BaseModel | None) -> str:
    document = {
        "method": request.method,
        "path": request.url.path,
        "body": body.model_dump(mode="json") if body is not None else None,
    }
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _claim(
    sessions: sessionmaker[Session], owner: str, key: str, digest: str
) -> IdempotencyKey | None:
    """Claim `key` (None) or return its earlier, answered use."""
    now = utcnow()
    with sessions.begin() as session:
        row = session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        )
        if row is not None and row.created_at + TTL <= now:
            session.delete(row)
            session.flush()
            row = None
        if row is not None:
            if row.request_sha256 != digest:
                raise KeyReused("this Idempotency-Key was used with another request: use a new key")
            if row.status_code is None:
                raise KeyInUse("a request with this Idempotency-Key is still being served")
            return row
    try:
        with sessions.begin() as session:
            session.add(IdempotencyKey(owner=owner, key=key, request_sha256=digest, created_at=now))
    except IntegrityError:  # a concurrent request claimed it first
        raise KeyInUse("a request with this Idempotency-Key is still being served") from None
    return None


def _release(sessions: sessionmaker[Session], owner: str, key: str) -> None:
    with sessions.begin() as session:
        session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        )


def _store(
    sessions: sessionmaker[Session], owner: str, key: str, status: int, body: object
) -> None:
    with sessions.begin() as session:
        row = session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        )
        if row is not None:
            row.status_code, row.response = status, body


def create_once(
    request: Request,
    sessions: sessionmaker[Session],
    *,
    by: Principal,
    key: str | None,
    body: BaseModel | None,
    create: Callable[[], BaseModel],
    status_code: int = 201,
) -> JSONResponse:
    """Run `create` once per idempotency key (every time without one) and answer its
    result as JSON with `status_code`."""
    if key is None:
        return JSONResponse(create().model_dump(mode="json"), status_code=status_code)
    if not _WELL_FORMED.fullmatch(key):
        raise BadInput("Idempotency-Key: 1 to 200 visible ASCII characters")
    owner = f"{by.actor}|{by.user_id or ''}|{by.agency_id or ''}"  # token names repeat
    earlier = _claim(sessions, owner, key, _fingerprint(request, body))
    if earlier is not None:
        assert earlier.status_code is not None
        return JSONResponse(
            earlier.response,
            status_code=earlier.status_code,
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        result = create()
    except BaseException:
        _release(sessions, owner, key)
        raise
    document = result.model_dump(mode="json")
    _store(sessions, owner, key, status_code, document)
    return JSONResponse(document, status_code=status_code)
