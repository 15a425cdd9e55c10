"""The dashboard: the reports' figures and charts for a period, as `shaheen report` and
`GET /api/v1/reports/{kind}` compute them (`reports.service.report`, the same figures,
definitions and charts), with each figure linked to the records behind it: the
referrals list filtered by platform, status and the period's cohort, the review queue,
the tasks past their deadline.

Rendering only. The figures are the instance's, as a report's are (aggregates that name
no one; whoever reads cases or the audit log may see them); the records a link opens
are those the person may read (their agency's referrals), which the page says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from shaheen.access.rules import Action
from shaheen.config import get_settings
from shaheen.errors import BadInput, ShaheenError
from shaheen.reports import charts, rules, service
from shaheen.reports.schemas import Report
from shaheen.store.base import utcnow
from shaheen.store.engine import session_scope
from shaheen.tasks import service as tasks
from shaheen.web.auth import Me
from shaheen.web.i18n import _
from shaheen.web.pages import page, sessions

router = APIRouter()
DEFAULT_PERIOD = "last-week"
PRESETS = ("this-week", "last-week", "this-month", "last-month", "last-quarter")
#: The report a period's figures come from (its title and kind in the export).
KINDS = {rules.PeriodKind.WEEK: "weekly"}
#: A referral's statuses behind each outcome figure (the list's `status` filter).
STATUS_OF = {
    "removed": "removed",
    "geo_blocked": "geo_blocked",
    "rejected": "rejected",
    "no_answer": "no_response",
    "pending": "awaiting",
}


def cutoff_of(value: str) -> datetime:
    """The `cutoff` parameter (ISO 8601, UTC when it names no zone), or now."""
    if not value.strip():
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{value!r} is not a date and time (ISO 8601)") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def referrals_link(period: str, **filters: str) -> str:
    """The referrals list behind a figure: this period's cohort, filtered."""
    return "/referrals?" + urlencode({"period": period, **{k: v for k, v in filters.items() if v}})


def value(figure: Any) -> str:
    """A figure as the page's `data-value` carries it, exactly (tests read it back)."""
    return "" if figure is None else repr(figure)


def percent(figure: float | None) -> str:
    return "–" if figure is None else f"{figure:.0%}"


def hours(figure: float | None) -> str:
    return "–" if figure is None else f"{figure:.1f} h"


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, me: Me, period: str = "", cutoff: str = "") -> HTMLResponse:
    settings = get_settings()
    label = period.strip() or DEFAULT_PERIOD
    error = ""
    try:
        chosen = rules.parse_period(label, zone=settings.report_timezone, now=utcnow())
        at = cutoff_of(cutoff)
    except ShaheenError as exc:
        error = str(exc)
        label = DEFAULT_PERIOD
        chosen = rules.parse_period(label, zone=settings.report_timezone, now=utcnow())
        at = utcnow()
    with session_scope(sessions(request)) as session:
        report: Report = service.report(
            session=session,
            by=me,
            kind=KINDS.get(chosen.kind, "monthly"),
            period=chosen,
            cutoff=at,
        )
        overdue = (
            [r for r in tasks.task_rows(session=session, by=me) if r.overdue]
            if Action.TASK_READ in me.actions
            else None
        )
    drawn = {name: Markup(charts.data_uri(svg)) for name, svg in charts.all_charts(report).items()}
    return page(
        request,
        "dashboard.html",
        me,
        report=report,
        period=chosen.label,
        presets=PRESETS,
        cutoff=cutoff,
        charts=drawn,
        overdue=overdue,
        links=Action.REFERRAL_READ in me.actions,
        status_of=STATUS_OF,
        link=referrals_link,
        value=value,
        percent=percent,
        hours=hours,
        chart_titles={
            "compliance": _("Compliance by platform"),
            "time_to_removal": _("Time to removal"),
            "trend": _("Weekly trend"),
            "backlog": _("Backlog at each week's end"),
        },
        error=error or request.query_params.get("error", ""),
    )
