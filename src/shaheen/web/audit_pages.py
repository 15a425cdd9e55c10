"""The audit browser for auditors: the log filtered by who, what object, which action
and when, newest first, a page at a time; the same search as CSV; and the chains'
state: the audit and evidence chains recomputed and held against their signed
checkpoints (as `shaheen audit verify` and `shaheen evidence verify` do), with the
newest checkpoint of each.

Rendering only: `audit.service.entries` applies the policy (an agency's auditors read
their own agency's entries; platform administrators all). The verification reads
every record, so the page asks for it separately (`/audit/chains`, loaded after the
page), and a slow check never delays the search. A CSV export is itself audited:
a copy of the record leaving the desk is something an auditor wants to see.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shaheen.access.rules import Action, Principal, require
from shaheen.audit import checkpoints
from shaheen.audit import service as audit
from shaheen.audit.checkpoints import Checkpoint
from shaheen.audit.schemas import AuditEntry
from shaheen.errors import BadInput, ShaheenError
from shaheen.evidence import service as evidence
from shaheen.store.engine import session_scope, write_scope
from shaheen.web.auth import Me
from shaheen.web.pages import page, sessions

router = APIRouter()
PAGE = 50
#: The most entries one CSV export holds (narrow the search for more).
EXPORT_MAX = 50_000
CSV_COLUMNS = (
    "sequence",
    "occurred_at",
    "actor",
    "agency_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "details",
)


@dataclass(frozen=True)
class Search:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: str = ""  # a UTC date, inclusive
    until: str = ""  # a UTC date, inclusive

    def params(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        def day(text: str) -> date | None:
            if not text:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise BadInput(f"{text!r} is not a date (YYYY-MM-DD)") from None

        first, last = day(self.since), day(self.until)
        return (
            datetime.combine(first, time(), UTC) if first else None,
            datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
        )


def _search(
    actor: str, action: str, object_type: str, object_id: str, since: str, until: str
) -> Search:
    return Search(*(v.strip()[:200] for v in (actor, action, object_type, object_id, since, until)))


def _entries(
    request: Request, me: Principal, search: Search, before: int | None, limit: int
) -> tuple[list[AuditEntry], int | None]:
    start, end = search.bounds()
    with session_scope(sessions(request)) as session:
        found = audit.entries(
            session=session,
            by=me,
            limit=limit,
            before=before,
            actor=search.actor or None,
            action=search.action or None,
            object_type=search.object_type or None,
            object_id=search.object_id or None,
            occurred_from=start,
            occurred_before=end,
        )
    return found.entries, found.before


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    me: Me,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
) -> HTMLResponse:
    search = _search(actor, action, object_type, object_id, since, until)
    error = ""
    try:
        rows, older = _entries(request, me, search, before, PAGE)
    except BadInput as exc:
        rows, older, error = [], None, str(exc)
    query = search.params()
    return page(
        request,
        "audit.html",
        me,
        rows=rows,
        search=search,
        older=f"/audit?{urlencode({**query, 'before': older})}" if older else None,
        csv_link="/audit.csv" + (f"?{urlencode(query)}" if query else ""),
        error=error,
    )


@router.get("/audit.csv")
def audit_csv(
    request: Request,
    me: Me,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    search = _search(actor, action, object_type, object_id, since, until)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    before: int | None = None
    written = 0
    while written < EXPORT_MAX:
        rows, before = _entries(request, me, search, before, min(1000, EXPORT_MAX - written))
        for e in rows:
            writer.writerow(
                [
                    e.sequence,
                    e.occurred_at.isoformat(),
                    e.actor,
                    e.agency_id if e.agency_id is not None else "",
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.outcome,
                    json.dumps(e.details, ensure_ascii=False, sort_keys=True, default=str),
                ]
            )
        written += len(rows)
        if before is None:
            break
    with write_scope(sessions(request)) as session:
        audit.record(
            session=session,
            actor=me.actor,
            action="audit.export",
            object_type="audit_log",
            object_id="csv",
            user_id=me.user_id,
            agency_id=me.agency_id,
            details={"filters": search.params(), "entries": written},
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@dataclass(frozen=True)
class ChainState:
    """One chain as the browser shows it: intact or where it broke, and its newest
    signed checkpoint."""

    chain: str
    intact: bool
    records: int
    problem: str
    checked: int  # checkpoints the records were held against
    sources: tuple[str, ...]
    latest: Checkpoint | None


def chain_states(*, request: Request, by: Principal) -> list[ChainState]:
    """Both chains verified now, for a reader of the audit log."""
    require(by, Action.AUDIT_READ)
    anchor = checkpoints.Anchor.from_settings()
    states = []
    with session_scope(sessions(request)) as session:
        for chain in checkpoints.CHAINS:
            outside, _notes = checkpoints.outside_for(session=session, chain=chain, anchor=anchor)
            if chain == "audit":
                found = audit.verify(session=session, outside=outside)
                records, reason, bad = found.events, found.reason, found.first_bad_sequence
                held, sources = found.checkpoints, found.sources
            else:
                proof = evidence.verify(session=session, outside=outside)
                records, reason, bad = proof.records, proof.reason, proof.first_bad_sequence
                held, sources = proof.checkpoints, proof.sources
            problem = ""
            if reason is not None:
                problem = f"{reason} (record {bad})" if bad else reason
            states.append(
                ChainState(
                    chain=chain,
                    intact=reason is None,
                    records=records,
                    problem=problem,
                    checked=held,
                    sources=tuple(sources),
                    latest=checkpoints.latest(session=session, chain=chain),
                )
            )
    return states


@router.get("/audit/chains", response_class=HTMLResponse)
def chains(request: Request, me: Me) -> HTMLResponse:
    try:
        states = chain_states(request=request, by=me)
    except ShaheenError as exc:
        return page(request, "_chains.html", me, states=[], problem=str(exc), status_code=403)
    return page(request, "_chains.html", me, states=states, problem="")
