"""Reports rendered and delivered: the PDF (pages to PNG, its tables read back on their
Latin headers and numbers), HTML, CSV and JSON from the same figures; publication's
suppression; the folder for cron and the e-mail; referrals with their whole history."""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from aiosmtpd.controller import Controller
from PIL import ImageFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.access.rules import Principal, system
from shaheen.agencies.enums import Role
from shaheen.agencies.models import Agency
from shaheen.errors import BadInput, Forbidden
from shaheen.reports import flows, rules, service
from shaheen.reports.schemas import Report
from tests.reports.test_figures import CUTOFF, ZONE, build


def _report(session: Session, kind: str, period: str) -> Report:
    build(session)
    chosen = rules.parse_period(period, zone=ZONE, now=CUTOFF)
    return service.compute(session=session, kind=kind, period=chosen, cutoff=CUTOFF)


@pytest.fixture
def weekly(session: Session) -> Report:
    return _report(session, "weekly", "2026-W07")


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_weekly_pdf_fits_two_pages_and_its_tables_read_back(weekly: Report, tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument(flows.render_pdf(weekly))
    # importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES: left as it
    # was, or a server's media hashing would take truncated uploads for whole ones
    assert not ImageFile.LOAD_TRUNCATED_IMAGES
    assert 1 <= len(pdf) <= 2  # the minister's brief: two pages at most
    for index in range(len(pdf)):
        image = pdf[index].render(scale=1).to_pil()
        image.save(tmp_path / f"page-{index}.png")
        assert image.width > 500
        low, high = image.convert("L").getextrema()
        assert (low, high) == (0, 255) or high - low > 200  # text and charts, not blank
    text = _lines(pdf[0].get_textpage().get_text_range())
    assert "Weekly brief: 2026-W07" in text
    assert any("Data cut-off" in line for line in text)
    assert "Platform Sent Removed" in " ".join(text)
    # sent removed geo rejected no-answer pending reinstated compliance no-answer-share …
    assert "x 6 2 1 1 1 1 1 75% 17% 30.0 86.0 33% 75%" in text
    assert "facebook 2 1 0 0 0 1 0 100% 0% 2.0 2.0 100% 100%" in text
    assert "all 8 3 1 1 1 2 1 80% 12% 16.0 79.0 50% 80%" in text
    everything = " ".join(
        " ".join(_lines(pdf[i].get_textpage().get_text_range())) for i in range(len(pdf))
    )
    assert "How each figure is defined" in everything
    assert "Compliance rate. (removed + geo-blocked)" in everything


def test_html_csv_and_json_give_the_same_figures(weekly: Report) -> None:
    page = flows.render_html(weekly)
    assert page.count("<img") == 4 and "data:image/svg+xml;base64," in page
    assert "How each figure is defined" in page and "2026-W07" in page
    rows = list(csv.reader(io.StringIO(flows.render_csv(weekly))))
    assert rows[0] == ["section", "key", "figure", "value"]
    cell = {(r[0], r[1], r[2]): r[3] for r in rows}
    assert cell[("platform", "x", "sent")] == "6"
    assert cell[("totals", "all", "compliance")] == "0.8000"
    assert cell[("totals", "all", "ttr_median_hours")] == "16.0000"
    assert cell[("backlog", "age", "over 7 days")] == "1"
    assert cell[("precision detector", "lexicon", "precision")] == "0.5000"
    assert ("definition", "compliance") in {(r[0], r[1]) for r in rows}
    document = json.loads(flows.render(weekly, flows.Format.JSON))
    assert document["totals"]["sent"] == 8 and document["period"]["label"] == "2026-W07"
    assert {d["key"] for d in document["definitions"]} >= {"compliance", "cutoff"}


def _counts(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, int) and not isinstance(value, bool):
                yield key, value
            else:
                yield from _counts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _counts(item)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def test_transparency_report_suppresses_small_counts(session: Session, tmp_path: Path) -> None:
    published = flows.publish(_report(session, "transparency", "2026-02"), 5)
    document = json.loads(flows.render(published, flows.Format.JSON))
    small = [
        (key, value)
        for key, value in _counts({k: v for k, v in document.items() if k != "definitions"})
        if 0 < value < 5 and key not in ("suppressed_below",)
    ]
    assert small == []
    assert document["by_agency"] == []  # aggregates by platform and group only
    assert document["totals"]["sent"] == 10  # W06's R8 and W07's eight, and R11
    assert document["totals"]["removed"] is None  # 4: suppressed
    x = next(r for r in document["by_platform"] if r["key"] == "x")
    assert x["removed"] is None and x["time_to_removal"]["median_hours"] is None
    page = flows.render_html(published)
    assert "&lt; 5" in page and "No personal data" in page
    strings = set(_strings(document))
    assert not strings & {"a1", "a2", "a4", "liaison", "L", "PECA s.37"}  # no one named
    pdf = pdfium.PdfDocument(flows.render_pdf(published))
    text = " ".join(_lines(pdf[0].get_textpage().get_text_range()))
    assert "Transparency report: 2026-02" in text and "< 5" in text


def test_reports_are_written_to_a_folder_for_cron(weekly: Report, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    written = flows.write(weekly, flows.Format.HTML, folder)
    assert written == folder / "shaheen-weekly-2026-W07.html" and written.stat().st_size > 1000
    named = flows.write(weekly, flows.Format.CSV, tmp_path / "out" / "brief.csv")
    assert named.read_text().startswith("section,key,figure,value")


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_a_report_is_mailed_as_an_attachment(
    weekly: Report, tmp_path: Path, smtp_server: tuple[int, _Inbox]
) -> None:
    port, inbox = smtp_server
    written = flows.write(weekly, flows.Format.CSV, tmp_path)
    settings = flows.MailSettings(f"smtp://127.0.0.1:{port}/minister@example.org")
    assert flows.mail(weekly, written, settings) == "minister@example.org"
    [raw] = inbox.messages
    message: Message = message_from_bytes(raw)
    assert message["To"] == "minister@example.org" and "2026-W07" in message["Subject"]
    names = [part.get_filename() for part in message.walk() if part.get_filename()]
    assert names == ["shaheen-weekly-2026-W07.csv"]
    with pytest.raises(BadInput):
        flows.mail(weekly, written, flows.MailSettings("http://example.org/x"))
    with pytest.raises(flows.DeliveryError):  # nobody listens there
        flows.mail(weekly, written, flows.MailSettings("smtp://127.0.0.1:1/a@example.org"))


def _principal(session: Session, code: str, role: Role = Role.LIAISON) -> Principal:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    assert agency is not None
    return Principal(
        f"{code}-person", user_id=1, agency_id=agency.id, agency_kind=agency.kind, role=role
    )


def test_referrals_export_with_their_whole_event_history(session: Session) -> None:
    build(session)
    rows = list(
        flows.export_referrals(
            session=session, by=system(), where=flows.ReferralFilter(platform="x")
        )
    )
    header, data = rows[0], rows[1:]
    assert header[:3] == ["referral_id", "agency", "platform"]
    # x: R1 4 events, R2 3, R3 3, R4 2, R5 2, R9 2, R8 2, R10 1, R11 1
    assert len(data) == 20
    first = [r for r in data if r[0] == data[0][0]]
    assert [r[header.index("to_status")] for r in first] == [
        "draft",
        "sent",
        "removed",
        "reinstated",
    ]
    facebook = list(
        flows.export_referrals(
            session=session, by=system(), where=flows.ReferralFilter(platform="facebook")
        )
    )[1:]
    removed = next(r for r in facebook if r[header.index("to_status")] == "removed")
    assert removed[header.index("occurred_at")].startswith("2026-02-11T12:00")
    # another agency's liaison sees only its own referrals; an auditor none at all
    own = list(
        flows.export_referrals(
            session=session, by=_principal(session, "B"), where=flows.ReferralFilter()
        )
    )[1:]
    assert {r[header.index("agency")] for r in own} == {"B"} and len(own) == 4
    with pytest.raises(Forbidden):
        list(
            flows.export_referrals(
                session=session,
                by=_principal(session, "B", Role.AUDITOR),
                where=flows.ReferralFilter(),
            )
        )
