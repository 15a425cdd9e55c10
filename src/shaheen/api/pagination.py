"""Cursor pagination: a page of items and an opaque cursor for the next one.

A cursor is URL-safe base64 of a small JSON document `{"k": kind, "v": position}`:
opaque to clients (they pass it back unchanged), tied to one listing by `kind` so a
cursor of the audit log is refused by the queue, and carrying a *position* (the sort
key of the last item shown), never an offset, so that a page stays correct while rows
are added in front of it and a deep page costs what the first does.

Cursors are not secrets and not signed: a forged one only moves the reader within what
the policy already lets them read.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict

from shaheen.errors import BadInput

T = TypeVar("T")

MAX_CURSOR = 512
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page; `next_cursor` fetches the next (None: this is the last)."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    next_cursor: str | None


def encode_cursor(kind: str, position: Any) -> str:
    """The opaque cursor for `position` (JSON-serialisable) in the listing `kind`."""
    raw = json.dumps({"k": kind, "v": position}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> Any:
    """The position a cursor of listing `kind` carries (None without a cursor), or
    `BadInput` for anything else."""
    if cursor is None:
        return None
    bad = BadInput("the cursor is not one this listing gave out: start again without it")
    if not cursor or len(cursor) > MAX_CURSOR:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    if not isinstance(document, dict) or document.get("k") != kind or "v" not in document:
        raise bad
    return document["v"]


#: Query parameters every listing takes.
CursorParam = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR, description="`next_cursor` of the previous page"),
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]
