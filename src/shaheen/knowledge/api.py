"""Hash banks over HTTP: the banks a caller may read, and one bank's entries page by
page. HTTP rendering only: `banks.py` applies the policy (`bank.read`; an agency's own
banks as its cases are seen). Looking hashes up is detection's (`detect/api.py`): the
knowledge layer does not match."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

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
from shaheen.errors import BadInput
from shaheen.knowledge import banks

router = APIRouter(tags=["hashes"], responses=problem_responses(*COMMON))
ENTRIES = "bank-entries"

BankName = Annotated[
    str,
    Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f/]+$", description="bank name"),
]


class BankRead(BaseModel):
    """A bank: its provenance, marking and how many hashes of each type it holds."""

    name: str
    source: str
    label: str
    tlp: str
    organisation: str | None
    counts: dict[str, int]
    created_by: str
    strictest: str

    @classmethod
    def of(cls, summary: banks.BankSummary) -> BankRead:
        return cls(
            name=summary.name,
            source=summary.source,
            label=summary.label,
            tlp=summary.tlp,
            organisation=summary.organisation,
            counts=summary.counts,
            created_by=summary.created_by,
            strictest=summary.strictest,
        )


class EntryRead(BaseModel):
    id: int
    signal_type: str
    value: str
    quality: int | None
    media_type: str | None
    organisation: str | None
    tags: list[str]
    tlp: str
    source: str
    category: str
    added_at: datetime


class BankPage(BaseModel):
    """A bank and one page of its entries."""

    bank: BankRead
    entries: Page[EntryRead]


@router.get("/banks", response_model=list[BankRead], summary="The hash banks")
def bank_list(by: CurrentUser, session: SessionDep) -> list[BankRead]:
    """The banks the caller may read, by name."""
    return [BankRead.of(s) for s in banks.readable_summaries(session=session, by=by)]


@router.get("/banks/{name}", response_model=BankPage, summary="A bank and its entries")
def bank(
    name: BankName,
    by: CurrentUser,
    session: SessionDep,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> BankPage:
    """The bank's summary and its entries, oldest first."""
    after = decode_cursor(ENTRIES + ":" + name, cursor)
    if after is not None and not isinstance(after, int):
        raise BadInput("the cursor is not one this listing gave out: start again without it")
    summary = banks.readable_bank(session=session, by=by, name=name)
    rows, slugs = banks.entries_page(
        session=session, by=by, name=name, after=after or 0, limit=limit + 1
    )
    items = [
        EntryRead(
            id=e.id,
            signal_type=str(e.signal_type),
            value=e.value,
            quality=e.quality,
            media_type=e.media_type,
            organisation=slugs.get(e.organisation_id) if e.organisation_id else None,
            tags=e.tags.split(),
            tlp=str(e.tlp),
            source=e.source,
            category=str(e.category),
            added_at=e.added_at,
        )
        for e in rows[:limit]
    ]
    more = len(rows) > limit
    return BankPage(
        bank=BankRead.of(summary),
        entries=Page[EntryRead](
            items=items,
            next_cursor=encode_cursor(ENTRIES + ":" + name, items[-1].id) if more else None,
        ),
    )
