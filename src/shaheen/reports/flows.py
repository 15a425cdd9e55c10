"""Reports made and delivered: publishing (small counts suppressed), rendering a report
as HTML, PDF, CSV or JSON from one template and one set of figures, writing it to a
folder (for cron), e-mailing it over SMTP, and the CSV export of referrals with their
whole event history.

Rendering never computes a figure: `service.compute` did, and every format shows the
same `Report`, definitions included.
"""

from __future__ import annotations

import csv
import io
import smtplib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, require
from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.models import Agency
from shaheen.errors import BadInput, ShaheenError
from shaheen.knowledge.models import Organisation
from shaheen.platforms.models import Platform
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent
from shaheen.reports import charts, rules
from shaheen.reports.schemas import (
    BacklogFigures,
    DetectorQuality,
    Outcomes,
    Precision,
    Report,
    TaskFigures,
    TimeToRemoval,
    TrendWeek,
)
from shaheen.review.models import Case

KINDS = ("weekly", "monthly", "transparency")


class Format(StrEnum):
    PDF = "pdf"
    HTML = "html"
    CSV = "csv"
    JSON = "json"


class DeliveryError(ShaheenError):
    """A report could not be written or mailed."""


# -- publishing ------------------------------------------------------------------------------


def publish(report: Report, threshold: int) -> Report:
    """The report fit for publication: counts from 1 to `threshold - 1` hidden (None),
    no rate or time resting on fewer than `threshold`, no per-agency rows."""

    def count(value: int | None) -> int | None:
        return None if value is None or rules.suppressed(value, threshold) else value

    def enough(value: int | None) -> bool:
        return value is not None and value >= threshold

    def outcomes(row: Outcomes) -> Outcomes:
        acted = (row.removed or 0) + (row.geo_blocked or 0)
        times = row.time_to_removal
        timed = enough(times.count)
        return row.model_copy(
            update={
                "sent": count(row.sent),
                "removed": count(row.removed),
                "geo_blocked": count(row.geo_blocked),
                "rejected": count(row.rejected),
                "no_answer": count(row.no_answer),
                "pending": count(row.pending),
                "reinstated": count(row.reinstated),
                "answered": count(row.answered),
                "answered_within_sla": count(row.answered_within_sla),
                "compliance": row.compliance if enough(acted + (row.rejected or 0)) else None,
                "no_answer_share": row.no_answer_share if enough(row.sent) else None,
                "within_sla": row.within_sla if enough(row.answered) else None,
                "time_to_removal": TimeToRemoval(
                    count=count(times.count),
                    median_hours=times.median_hours if timed else None,
                    p90_hours=times.p90_hours if timed else None,
                    within_1h=times.within_1h if timed else None,
                    within_24h=times.within_24h if timed else None,
                    within_72h=times.within_72h if timed else None,
                    distribution={k: count(v) for k, v in times.distribution.items()}
                    if timed
                    else {},
                ),
                "accounts_removed": count(row.accounts_removed),
                # followers of fewer accounts than the threshold could point at one
                "followers_of_removed": row.followers_of_removed
                if enough(row.accounts_removed)
                else None,
            }
        )

    def precision(row: Precision) -> Precision:
        return Precision(
            key=row.key,
            decided=count(row.decided),
            referred=count(row.referred),
            dismissed=count(row.dismissed),
            precision=row.precision if enough(row.decided) else None,
        )

    backlog = report.backlog
    return report.model_copy(
        update={
            "suppressed_below": threshold,
            "totals": outcomes(report.totals),
            "previous": outcomes(report.previous),
            "by_platform": [outcomes(r) for r in report.by_platform],
            "by_agency": [],
            "by_organisation": [outcomes(r) for r in report.by_organisation],
            "backlog": BacklogFigures(
                referrals=count(backlog.referrals),
                median_age_hours=None,
                oldest_age_hours=backlog.oldest_age_hours if enough(backlog.referrals) else None,
                by_age={k: count(v) for k, v in backlog.by_age.items()},
                by_platform={k: count(v) for k, v in backlog.by_platform.items()},
                review_cases=count(backlog.review_cases),
                review_oldest_hours=backlog.review_oldest_hours
                if enough(backlog.review_cases)
                else None,
            ),
            "trend": [
                TrendWeek(
                    week=w.week,
                    start=w.start,
                    sent=count(w.sent),
                    acted=count(w.acted),
                    backlog=count(w.backlog),
                )
                for w in report.trend
            ],
            "quality": DetectorQuality(
                by_detector=[precision(q) for q in report.quality.by_detector],
                by_language=[precision(q) for q in report.quality.by_language],
                by_organisation=[precision(q) for q in report.quality.by_organisation],
            ),
            # regulators' outcomes for phone numbers are published; tasks per agency not
            "tasks": TaskFigures(numbers={k: count(v) for k, v in report.tasks.numbers.items()})
            if report.tasks
            else None,
        }
    )


# -- rendering -------------------------------------------------------------------------------


def _environment(threshold: int | None) -> Environment:
    env = Environment(
        loader=PackageLoader("shaheen.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def n(value: int | None) -> str:
        if value is None:
            return f"< {threshold}" if threshold else "–"
        return rules.show_count(value, None)

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{value:.0%}"

    def num(value: float | None) -> str:
        return "–" if value is None else f"{value:,.1f}"

    def hrs(value: float | None) -> str:
        if value is None:
            return "–"
        return f"{value:,.1f} h" if value < 72 else f"{value / 24:,.1f} days"

    def local(value: datetime, zone: str) -> str:
        return value.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y %H:%M %Z")

    def delta(current: int | None, previous: int | None) -> Markup:
        if current is None or previous is None or current == previous:
            return Markup("")
        arrow, css = ("▲", "up") if current > previous else ("▼", "down")
        return Markup('<span class="{}">{} {:+,}</span>').format(css, arrow, current - previous)

    def acted(row: Outcomes) -> int | None:
        if row.removed is None or row.geo_blocked is None:
            return None
        return row.removed + row.geo_blocked

    env.filters.update(n=n, pct=pct, num=num, hrs=hrs, local=local)
    env.globals.update(delta=delta, acted=acted)
    return env


def render_html(report: Report) -> str:
    env = _environment(report.suppressed_below)
    css = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
    svgs = charts.all_charts(report)
    return env.get_template("report.html").render(
        r=report, css=Markup(css), charts={k: charts.data_uri(v) for k, v in svgs.items()}
    )


def render_pdf(report: Report) -> bytes:
    """The HTML through WeasyPrint: system fonts, and nothing fetched but the charts'
    data URIs (the stylesheet is inline), so a report renders on a machine cut off from
    the network and can never be made to call out."""
    html, fetcher_class = weasyprint()
    fetcher = fetcher_class(allowed_protocols={"data"})
    return bytes(html(string=render_html(report), url_fetcher=fetcher).write_pdf())


def weasyprint() -> tuple[Any, Any]:
    """WeasyPrint's `HTML` and `URLFetcher`, imported only for a PDF (heavy), leaving
    Pillow as it found it: importing WeasyPrint sets Pillow's process-wide
    `LOAD_TRUNCATED_IMAGES`, after which media hashing in the same process (a server
    that also renders reports) would hash a truncated upload as if it were whole."""
    from PIL import ImageFile

    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
        from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    return HTML, URLFetcher


def _rows(report: Report) -> Iterator[list[str]]:
    """Long format: section, key, figure, value; the definitions last."""

    def value(v: Any) -> str:
        if v is None:
            return f"<{report.suppressed_below}" if report.suppressed_below else ""
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    yield ["section", "key", "figure", "value"]
    yield ["report", report.kind, "period", report.period.label]
    yield ["report", report.kind, "period_start_utc", report.period.start.isoformat()]
    yield ["report", report.kind, "period_end_utc", report.period.end.isoformat()]
    yield ["report", report.kind, "cutoff_utc", report.cutoff.isoformat()]
    yield ["report", report.kind, "suppressed_below", value(report.suppressed_below or 0)]
    sections: list[tuple[str, list[Outcomes]]] = [
        ("totals", [report.totals]),
        (f"previous {report.previous_period.label}", [report.previous]),
        ("platform", report.by_platform),
        ("agency", report.by_agency),
        ("organisation", report.by_organisation),
    ]
    for section, rows in sections:
        for row in rows:
            data = row.model_dump(exclude={"key", "name", "time_to_removal"})
            times = row.time_to_removal.model_dump(exclude={"distribution"})
            for figure, v in [*data.items(), *((f"ttr_{k}", v) for k, v in times.items())]:
                yield [section, row.key, figure, value(v)]
            for label, v in row.time_to_removal.distribution.items():
                yield [section, row.key, f"ttr_bin {label}", value(v)]
    for figure, v in report.backlog.model_dump(exclude={"by_age", "by_platform"}).items():
        yield ["backlog", "all", figure, value(v)]
    for label, v in report.backlog.by_age.items():
        yield ["backlog", "age", label, value(v)]
    for code, v in report.backlog.by_platform.items():
        yield ["backlog", "platform", code, value(v)]
    for week in report.trend:
        for figure in ("sent", "acted", "backlog"):
            yield ["trend", week.week, figure, value(getattr(week, figure))]
    for section, quality in (
        ("precision detector", report.quality.by_detector),
        ("precision language", report.quality.by_language),
        ("precision organisation", report.quality.by_organisation),
    ):
        for q in quality:
            for figure in ("decided", "referred", "dismissed", "precision"):
                yield [section, q.key, figure, value(getattr(q, figure))]
    if report.tasks is not None:
        for task_row in report.tasks.by_agency:
            for figure, v in task_row.model_dump(exclude={"agency"}).items():
                yield ["tasks", task_row.agency, figure, value(v)]
        for outcome, v in report.tasks.numbers.items():
            yield ["phone numbers", "all", outcome, value(v)]
    for d in report.definitions:
        yield ["definition", d.key, d.name, d.text]


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(_rows(report))
    return buffer.getvalue()


def render(report: Report, fmt: Format) -> bytes:
    if fmt is Format.PDF:
        return render_pdf(report)
    if fmt is Format.HTML:
        return render_html(report).encode()
    if fmt is Format.CSV:
        return render_csv(report).encode()
    return report.model_dump_json(indent=2).encode()


def file_name(report: Report, fmt: Format) -> str:
    label = report.period.label.replace("..", "_to_")
    return f"shaheen-{report.kind}-{label}.{fmt.value}"


def write(report: Report, fmt: Format, out: Path) -> Path:
    """Write the report to `out`: a file (a name with an extension), or a file named for
    the report inside the folder `out` (an existing folder, or a path without an
    extension, made if missing). Returns the file written."""
    target = out / file_name(report, fmt) if out.is_dir() or not out.suffix else out
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render(report, fmt))
    except OSError as exc:
        raise DeliveryError(f"cannot write the report to {target}: {exc.strerror}") from None
    return target


@dataclass(frozen=True)
class MailSettings:
    """Where `mail` sends: `smtp://host:port/recipient@domain`, as referral channels."""

    address: str
    sender: str = "reports@shaheen.invalid"


def mail(report: Report, attachment: Path, settings: MailSettings) -> str:
    """Send the written report as an attachment; returns the recipient."""
    parts = urlsplit(settings.address)
    recipient = parts.path.strip("/")
    if parts.scheme != "smtp" or not parts.hostname or not recipient:
        raise BadInput(f"{settings.address!r} is not smtp://host:port/recipient@domain")
    message = EmailMessage()
    message["Subject"] = f"Shaheen {report.title}: {report.period.label}"
    message["From"], message["To"] = settings.sender, recipient
    totals = report.totals
    message.set_content(
        f"{report.title}, {report.period.description}; data cut-off {report.cutoff:%Y-%m-%d %H:%M} "
        f"UTC.\nReferrals sent: {totals.sent}; removed or geo-blocked: "
        f"{(totals.removed or 0) + (totals.geo_blocked or 0)}; compliance: "
        f"{'–' if totals.compliance is None else f'{totals.compliance:.0%}'}.\n"
        f"The report is attached ({attachment.name}); every figure is defined in it.\n"
    )
    kind = {
        ".pdf": ("application", "pdf"),
        ".html": ("text", "html"),
        ".csv": ("text", "csv"),
        ".json": ("application", "json"),
    }.get(attachment.suffix, ("application", "octet-stream"))
    message.add_attachment(
        attachment.read_bytes(), maintype=kind[0], subtype=kind[1], filename=attachment.name
    )
    try:
        with smtplib.SMTP(parts.hostname, parts.port or 25, timeout=30) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"mailing the report to {recipient} failed: {exc}") from None
    return recipient


# -- referrals with their whole event history ------------------------------------------------


@dataclass(frozen=True)
class ReferralFilter:
    """Which referrals to export; every field optional."""

    platform: str | None = None
    agency: str | None = None
    organisation: str | None = None
    status: ReferralStatus | None = None  # the status now
    sent_from: datetime | None = None
    sent_before: datetime | None = None


EXPORT_COLUMNS = (
    "referral_id",
    "agency",
    "platform",
    "organisation",
    "case_id",
    "urgent",
    "legal_basis",
    "platform_reference",
    "status_now",
    "created_at",
    "sent_at",
    "due_at",
    "event_id",
    "from_status",
    "to_status",
    "source",
    "occurred_at",
    "recorded_at",
    "note",
)


def export_referrals(
    *, session: Session, by: Principal, where: ReferralFilter, batch: int = 2000
) -> Iterator[list[str]]:
    """Rows of EXPORT_COLUMNS: one per event, oldest first within each referral; the
    header first. `by` sees its own agency's referrals (the fusion centre and the
    operator: every agency's)."""
    require(by, Action.REFERRAL_READ)
    recorded = getattr(ReferralEvent, "recorded_at", None)  # beside occurred_at, when present
    query = (
        select(
            Referral,
            Agency.code,
            Platform.code,
            Organisation.slug,
            ReferralEvent,
            *([recorded] if recorded is not None else []),
        )
        .join(Agency, Agency.id == Referral.agency_id)
        .join(Platform, Platform.id == Referral.platform_id)
        .outerjoin(Case, Case.id == Referral.case_id)
        .outerjoin(Organisation, Organisation.id == Case.organisation_id)
        .join(ReferralEvent, ReferralEvent.referral_id == Referral.id)
        .order_by(Referral.id, ReferralEvent.occurred_at, ReferralEvent.id)
    )
    if not (by.is_system or by.agency_kind is AgencyKind.FUSION_CENTRE):
        query = query.where(Referral.agency_id == by.agency_id)
    if where.platform:
        query = query.where(Platform.code == where.platform)
    if where.agency:
        query = query.where(Agency.code == where.agency)
    if where.organisation:
        query = query.where(Organisation.slug == where.organisation)
    if where.status:
        query = query.where(Referral.status == where.status)
    if where.sent_from:
        query = query.where(Referral.sent_at >= where.sent_from)
    if where.sent_before:
        query = query.where(Referral.sent_at < where.sent_before)
    yield list(EXPORT_COLUMNS)

    def when(value: datetime | None) -> str:
        return value.isoformat() if value else ""

    for row in session.execute(query.execution_options(yield_per=batch)):
        referral, agency, platform, organisation, event = row[:5]
        recorded_at = row[5] if len(row) > 5 else None
        yield [
            str(referral.id),
            agency,
            platform,
            organisation or "",
            str(referral.case_id or ""),
            "yes" if referral.urgent else "no",
            referral.legal_basis,
            referral.platform_reference or "",
            referral.status.value,
            when(referral.created_at),
            when(referral.sent_at),
            when(referral.due_at),
            str(event.id),
            event.from_status.value if event.from_status else "",
            event.to_status.value,
            event.source.value,
            when(event.occurred_at),
            when(recorded_at),
            event.note,
        ]


def write_csv(rows: Iterable[list[str]], out: io.TextIOBase | Any) -> int:
    """Write rows to a text stream; returns how many data rows (the header not counted)."""
    writer = csv.writer(out, lineterminator="\n")
    written = -1
    for row in rows:
        writer.writerow(row)
        written += 1
    return max(written, 0)
