"""Figures over HTTP: per-platform counts as `shaheen stats` prints them, the reports'
figures of a period (JSON, or the rendered report as PDF, HTML or CSV), and the CSV of
referrals with their whole event history. HTTP rendering only: `service` and `flows`
apply the policy."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response

from shaheen.api.deps import CurrentUser, SessionDep
from shaheen.api.errors import COMMON, problem_responses
from shaheen.config import get_settings
from shaheen.referral.enums import ReferralStatus
from shaheen.reports import flows, rules, service
from shaheen.reports.schemas import Report, Stats
from shaheen.store.base import utcnow

router = APIRouter(tags=["figures"], responses=problem_responses(*COMMON))


class Kind(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    TRANSPARENCY = "transparency"


DEFAULT_PERIODS = {
    Kind.WEEKLY: "last-week",
    Kind.MONTHLY: "last-month",
    Kind.TRANSPARENCY: "last-quarter",
}
MEDIA_TYPES = {
    flows.Format.PDF: "application/pdf",
    flows.Format.HTML: "text/html; charset=utf-8",
    flows.Format.CSV: "text/csv; charset=utf-8",
}
PeriodQuery = Annotated[
    str | None,
    Query(max_length=40, description=f"default: the last complete one; {rules.PERIOD_HELP}"),
]


@router.get("/figures", response_model=Stats, summary="Counts per platform")
def figures(by: CurrentUser, session: SessionDep) -> Stats:
    """Counts per platform and in total."""
    return service.figures(session=session, by=by)


def _cutoff(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get(
    "/reports/referrals.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one row per event"}},
    summary="Referrals with their whole event history (CSV)",
)
def referrals_csv(
    by: CurrentUser,
    session: SessionDep,
    platform: Annotated[str | None, Query(max_length=64)] = None,
    agency: Annotated[str | None, Query(max_length=32)] = None,
    organisation: Annotated[str | None, Query(max_length=64)] = None,
    status: ReferralStatus | None = None,
    period: PeriodQuery = None,
) -> Response:
    """Your agency's referrals (the fusion centre's: every agency's) with every status
    event, oldest first, filtered as asked; `period` filters on when they were sent.
    Declared before `/reports/{kind}`, which would otherwise take its path."""
    chosen = (
        rules.parse_period(period, zone=get_settings().report_timezone, now=utcnow())
        if period
        else None
    )
    rows = flows.export_referrals(
        session=session,
        by=by,
        where=flows.ReferralFilter(
            platform=platform,
            agency=agency,
            organisation=organisation,
            status=status,
            sent_from=chosen.start if chosen else None,
            sent_before=chosen.end if chosen else None,
        ),
    )
    # Read in full while the request's session is open (it ends with the request).
    buffer = io.StringIO()
    flows.write_csv(rows, buffer)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="referrals.csv"'},
    )


@router.get(
    "/reports/{kind}",
    response_model=Report,
    responses={
        200: {
            "content": {"application/pdf": {}, "text/html": {}, "text/csv": {}},
            "description": "the figures (JSON), or the rendered report in the format asked",
        }
    },
    summary="A report's figures, or the report itself",
)
def report(
    kind: Kind,
    by: CurrentUser,
    session: SessionDep,
    period: PeriodQuery = None,
    cutoff: Annotated[datetime | None, Query(description="UTC; default: now")] = None,
    fmt: Annotated[flows.Format, Query(alias="format")] = flows.Format.JSON,
) -> Report | Response:
    """Every figure of a weekly, monthly or transparency report of one period, as
    `shaheen report` makes it; the transparency report is the published one (small
    counts suppressed, no per-agency rows)."""
    settings = get_settings()
    chosen = rules.parse_period(
        period or DEFAULT_PERIODS[kind], zone=settings.report_timezone, now=utcnow()
    )
    result = service.report(
        session=session, by=by, kind=kind.value, period=chosen, cutoff=_cutoff(cutoff)
    )
    if kind is Kind.TRANSPARENCY:
        result = flows.publish(result, settings.report_min_count)
    if fmt is flows.Format.JSON:
        return result
    return Response(
        flows.render(result, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{flows.file_name(result, fmt)}"'},
    )
