"""The desk's second part in a real browser: a task from one agency's outbox to another's
inbox, answered with a file and accepted; a hash list uploaded into a new bank and a
file dropped on the page found in it; the dashboard's figures equal to the reports
service's for the same period and cut-off, each linked to its records; an auditor's
search, export and the chains' state; the interface in Urdu, right to left in the
shipped Nastaliq. axe-core finds nothing serious on the new pages in either language.

One live server per backend for the module; the steps share it and run in order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shaheen.detect.media.hashing import hash_file
from shaheen.platforms.service import get_by_code
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent
from shaheen.reports import rules, service
from shaheen.reports.schemas import Report
from shaheen.review.models import Case
from shaheen.store.engine import make_engine, session_factory
from tests.web.conftest import Desk, sign_in
from tests.web.test_desk import _no_serious_violations

SCREENSHOTS = os.environ.get("WEB_SCREENSHOTS_DIR")
PERIOD = "2026-W46"  # Monday 9 to Sunday 15 November 2026, Asia/Karachi
CUTOFF = "2026-11-20T12:00:00+00:00"
ANSWER_FILE = b"Account tg-1900000001: SIM registered in Peshawar, blocked on 21 Nov.\n"


def _image() -> bytes:
    """A patterned PNG (PDQ needs texture: a flat image has no quality)."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (256, 256), "white")
    draw = ImageDraw.Draw(picture)
    for i in range(0, 256, 32):
        draw.rectangle((i, 0, i + 15, 255), fill=(20 + i // 2, 40, 160 - i // 2))
    draw.ellipse((60, 60, 200, 200), fill=(200, 30, 30))
    draw.line((0, 255, 255, 0), fill=(0, 0, 0), width=9)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _in_urdu(page: Any) -> None:
    page.click("#lang-ur")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.dir") == "rtl"


def _in_english(page: Any) -> None:
    page.click("#lang-en")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.dir") == "ltr"


def test_a_task_goes_between_two_agencies_and_is_accepted(live: Desk, browser: Any) -> None:
    issuer = sign_in(browser, live, "liaison")
    issuer.goto("/tasks?box=outbox")
    issuer.fill("#task-title", "Identify the SIM behind tg-1900000001")
    issuer.check("input[name=recipient][value='CTD-KP']")
    issuer.fill("#task-days", "2")
    issuer.fill("#task-cases", str(live.case_id))
    issuer.fill("#task-body", "The account recruits in KP; whose SIM is it?")
    issuer.set_input_files(
        "#task-file",
        {"name": "brief.txt", "mimeType": "text/plain", "buffer": b"What we know so far.\n"},
    )
    issuer.click("#issue")
    assert "Task issued" in issuer.inner_text("main"), issuer.inner_text("main")
    task_url = issuer.url.split("?")[0]
    task_id = task_url.rsplit("/", 1)[-1]
    assert "issued" in issuer.inner_text("#status-CTD-KP")
    _no_serious_violations(issuer)
    issuer.goto("/tasks?box=outbox")
    assert issuer.locator(f"tr[data-task='{task_id}']").count() == 1
    _no_serious_violations(issuer)

    recipient = sign_in(browser, live, "kp-liaison")
    recipient.goto("/tasks")  # the inbox
    row = recipient.locator(f"tr[data-task='{task_id}']")
    assert "Identify the SIM" in row.inner_text() and "CTA" in row.inner_text()
    row.locator("a").first.click()
    assert "brief.txt" in recipient.inner_text("#attachments")  # the issuer's file
    assert recipient.locator("#accept-CTD-KP").count() == 0  # only the issuer accepts
    shared = recipient.request.get(f"{live.url}/cases/{live.case_id}")
    assert shared.status == 200  # the linked case was shared with the recipient
    recipient.click("#acknowledge")
    assert "acknowledged" in recipient.inner_text("#status-CTD-KP")
    recipient.fill("#answer-text", "The SIM is registered in Peshawar; the regulator blocked it.")
    recipient.set_input_files(
        "#answer-file", {"name": "sim.txt", "mimeType": "text/plain", "buffer": ANSWER_FILE}
    )
    recipient.click("#send-answer")
    assert "Your answer is sent" in recipient.inner_text("main"), recipient.inner_text("main")
    assert "answered" in recipient.inner_text("#status-CTD-KP")
    _no_serious_violations(recipient)
    recipient.context.close()

    issuer.goto("/tasks?box=outbox")
    assert "answered" in issuer.locator(f"tr[data-task='{task_id}']").inner_text()
    issuer.goto(task_url)
    assert "Peshawar" in issuer.inner_text("#history")
    link = issuer.locator("#attachments a", has_text="sim.txt")
    download = issuer.request.get(live.url + str(link.get_attribute("href")))
    assert download.status == 200 and download.body() == ANSWER_FILE
    issuer.click("#accept-CTD-KP button[type=submit]")
    assert "Accepted" in issuer.inner_text("main")
    assert "accepted" in issuer.inner_text("#status-CTD-KP")
    issuer.context.close()


def test_a_bank_upload_and_a_dropped_file_found_in_it(
    live: Desk, browser: Any, tmp_path: Path
) -> None:
    image = _image()
    (tmp_path / "poster.png").write_bytes(image)
    hashes = hash_file(tmp_path / "poster.png")
    assert hashes.pdq is not None and (hashes.pdq_quality or 0) >= 50
    listing = (
        "signal_type,signal_str,tags\n"
        f"pdq,{hashes.pdq},poster\n"
        f"md5,{hashlib.md5(image).hexdigest()},poster\n"
        "pdq,not-a-hash,broken\n"  # left out, named
    )
    page = sign_in(browser, live, "boss")
    page.goto("/banks")
    _no_serious_violations(page)
    page.fill("#bank-name", "kp-posters")
    page.fill("#bank-label", "Posters seen in KP")
    page.click("#create-bank button[type=submit]")
    assert page.url.endswith("/banks/kp-posters?done=Bank+created.")
    page.set_input_files(
        "#upload-file", {"name": "posters.csv", "mimeType": "text/csv", "buffer": listing.encode()}
    )
    page.click("#upload")
    main = page.inner_text("main")
    assert "2 hashes imported" in main and "1 rejected" in main, main
    assert "line 4" in main  # the bad row is named
    assert "PDQ 1" in page.inner_text("#bank-counts")
    _no_serious_violations(page)
    exported = page.request.get(f"{live.url}/banks/kp-posters/export?format=csv")
    assert exported.status == 200 and hashes.pdq in exported.text()

    page.goto("/banks")
    # a real drop: a File in a DataTransfer, dispatched on the drop zone
    transfer = page.evaluate_handle(
        """bytes => { const t = new DataTransfer();
            t.items.add(new File([new Uint8Array(bytes)], 'seen.png', {type: 'image/png'}));
            return t; }""",
        list(image),
    )
    found = ""
    # the MD5 is matched in the database at once; the PDQ once the server's index has
    # reloaded in the background (a second or two after the first lookup that notices)
    for _attempt in range(20):
        page.dispatch_event("#lookup-form", "drop", {"dataTransfer": transfer})
        page.wait_for_selector("#lookup-found", timeout=10_000)
        found = page.inner_text("#matches")
        if re.search(r"kp-posters\s+pdq\s+0", found):
            break
        page.wait_for_timeout(500)
    assert re.search(r"kp-posters\s+md5\s+exact", found), found
    assert re.search(r"kp-posters\s+pdq\s+0", found), found  # the same image: distance 0
    page.context.close()


def _seed_referrals(url: str, case_id: int) -> None:
    """Referrals of the Urdu case sent in PERIOD: removed after 5 h, rejected, and one
    still awaiting an answer; and one sent the week before (another cohort)."""
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            case = session.get(Case, case_id)
            assert case is not None
            telegram = get_by_code(session=session, code="telegram")
            from shaheen.agencies.models import User

            liaison = session.query(User).filter_by(username="liaison").one()
            start = datetime(2026, 11, 10, 6, tzinfo=UTC)
            S = ReferralStatus
            for offset, answers in (
                (0, [(S.REMOVED, 5)]),
                (20, [(S.ACKNOWLEDGED, 1), (S.REJECTED, 30)]),
                (40, []),
                (-170, [(S.REMOVED, 2)]),
            ):
                sent = start + timedelta(hours=offset)
                referral = Referral(
                    agency_id=case.agency_id,
                    platform_id=telegram.id,
                    case_id=case.id,
                    status=answers[-1][0] if answers else S.SENT,
                    legal_basis="PECA-2016-s37",
                    created_by_id=liaison.id,
                    created_at=sent,
                    sent_at=sent,
                    due_at=sent + timedelta(hours=48),
                )
                session.add(referral)
                session.flush()
                session.add(
                    ReferralEvent(
                        referral_id=referral.id,
                        to_status=S.SENT,
                        source=EventSource.MANUAL,
                        occurred_at=sent,
                    )
                )
                for status, hours in answers:
                    session.add(
                        ReferralEvent(
                            referral_id=referral.id,
                            to_status=status,
                            source=EventSource.WEBHOOK,
                            occurred_at=sent + timedelta(hours=hours),
                        )
                    )
    finally:
        engine.dispose()


def _expected(report: Report) -> dict[str, Any]:
    """The report's figures under the dashboard's keys."""
    want: dict[str, Any] = {}
    t = report.totals
    for name in ("sent", "removed", "geo_blocked", "rejected", "no_answer", "pending"):
        want[f"totals.{name}"] = getattr(t, name)
    want["totals.compliance"] = t.compliance
    want["totals.within_sla"] = t.within_sla
    want["totals.median_hours"] = t.time_to_removal.median_hours
    want["totals.p90_hours"] = t.time_to_removal.p90_hours
    for row in report.by_platform:
        k = f"platform.{row.key}"
        for name in ("sent", "removed", "geo_blocked", "rejected", "no_answer", "pending"):
            want[f"{k}.{name}"] = getattr(row, name)
        want[f"{k}.compliance"] = row.compliance
        want[f"{k}.within_sla"] = row.within_sla
        want[f"{k}.median_hours"] = row.time_to_removal.median_hours
    b = report.backlog
    want["backlog.referrals"] = b.referrals
    want["backlog.oldest_age_hours"] = b.oldest_age_hours
    want["backlog.review_cases"] = b.review_cases
    want["backlog.review_oldest_hours"] = b.review_oldest_hours
    want |= {f"backlog.age.{k}": v for k, v in b.by_age.items()}
    want |= {f"backlog.platform.{k}": v for k, v in b.by_platform.items()}
    for week in report.trend:
        for name in ("sent", "acted", "backlog"):
            want[f"trend.{week.week}.{name}"] = getattr(week, name)
    assert report.tasks is not None
    for part in report.tasks.by_agency:
        for name in ("issued", "answered", "on_time", "overdue_open"):
            want[f"tasks.{part.agency}.{name}"] = getattr(part, name)
    want |= {f"numbers.{k}": v for k, v in report.tasks.numbers.items()}
    return want


def test_the_dashboard_shows_the_reports_figures(live: Desk, browser: Any) -> None:
    _seed_referrals(live.database_url, live.case_id)
    cutoff = datetime.fromisoformat(CUTOFF)
    engine = make_engine(live.database_url)
    try:
        with session_factory(engine)() as session:
            report = service.compute(
                session=session,
                kind="weekly",
                period=rules.parse_period(PERIOD, zone="Asia/Karachi", now=cutoff),
                cutoff=cutoff,
            )
    finally:
        engine.dispose()
    assert report.totals.sent == 3 and report.totals.removed == 1  # the seed, as meant

    page = sign_in(browser, live, "liaison")
    page.goto(f"/dashboard?period={PERIOD}&cutoff={CUTOFF.replace('+', '%2B')}")
    shown = {
        f["key"]: f["value"]
        for f in page.eval_on_selector_all(
            "[data-figure]",
            "els => els.map(e => ({key: e.dataset.figure, value: e.dataset.value}))",
        )
    }
    expected = {k: "" if v is None else repr(v) for k, v in _expected(report).items()}
    missing = sorted(set(expected) - set(shown))
    assert not missing, missing
    differ = {k: (shown[k], v) for k, v in expected.items() if shown[k] != v}
    assert not differ, differ
    assert page.locator("img#chart-compliance").count() == 1
    _no_serious_violations(page)
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "dashboard.png"), full_page=True)

    # each figure opens the records behind it: telegram's referrals of the week
    page.click("[data-figure='platform.telegram.sent'] a")
    assert "period=2026-W46" in page.url
    assert page.locator("#referral-table tr.referral-row").count() == 3
    page.goto(f"/dashboard?period={PERIOD}&cutoff={CUTOFF.replace('+', '%2B')}")
    page.click("[data-figure='platform.telegram.removed'] a")
    assert page.locator("#referral-table tr.referral-row").count() == 1
    page.context.close()


def test_an_auditor_searches_exports_and_sees_the_chains(live: Desk, browser: Any) -> None:
    page = sign_in(browser, live, "auditor")
    page.goto("/audit")
    page.wait_for_selector("#chain-table")
    chains = page.inner_text("#chain-table")
    assert "intact" in page.inner_text("tr[data-chain=audit]"), chains
    assert page.locator("tr[data-chain=evidence]").count() == 1
    assert "record" in page.inner_text("tr[data-chain=audit]")  # its latest checkpoint
    _no_serious_violations(page)

    page.fill("#a-actor", "liaison")
    page.fill("#a-action", "task.issue")
    page.fill("#a-since", datetime.now(UTC).date().isoformat())
    page.click("#audit-search button[type=submit]")
    rows = page.locator("#audit-table tr.audit-row")
    assert rows.count() == 1, page.inner_text("#audit-table")
    assert "Identify the SIM" in rows.first.inner_text()
    exported = page.request.get(live.url + str(page.get_attribute("#audit-csv", "href")))
    table = list(csv.DictReader(io.StringIO(exported.text())))
    assert [(r["actor"], r["action"]) for r in table] == [("liaison", "task.issue")]
    # nothing happened tomorrow; the other agency's steps are not this auditor's to read
    page.fill("#a-since", (datetime.now(UTC).date() + timedelta(days=1)).isoformat())
    page.click("#audit-search button[type=submit]")
    assert page.locator("#audit-table tr.audit-row").count() == 0
    page.goto("/audit?actor=kp-liaison")
    assert page.locator("#audit-table tr.audit-row").count() == 0
    page.goto("/audit?action=audit.export")
    assert page.locator("#audit-table tr.audit-row").count() == 1  # the export, audited
    page.context.close()


def test_the_interface_in_urdu(live: Desk, browser: Any) -> None:
    page = sign_in(browser, live, "boss")
    page.goto("/")
    _in_urdu(page)
    pages = ("/", "/tasks?box=outbox", "/dashboard", "/banks", "/shares", "/queue", "/audit")
    for path in (*pages, f"/cases/{live.case_id}"):
        page.goto(path)
        html = page.locator("html")
        assert html.get_attribute("lang") == "ur" and html.get_attribute("dir") == "rtl"
        assert "Noto Nastaliq Urdu" in page.evaluate("getComputedStyle(document.body).fontFamily")
        assert page.evaluate("""async () => {
            await document.fonts.load('16px "Noto Nastaliq Urdu"', 'ڈیش بورڈ');
            return document.fonts.check('16px "Noto Nastaliq Urdu"', 'ڈیش بورڈ');
        }""")
        # laid out right to left within the window: nothing pushed off either side
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        nav = page.inner_text("nav[aria-label]")
        assert "ڈیش بورڈ" in nav and "Dashboard" not in nav, nav  # the menu is translated
        _no_serious_violations(page)
        if SCREENSHOTS and path == "/dashboard":
            page.screenshot(path=str(Path(SCREENSHOTS) / "urdu.png"))
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("Noto Nastaliq Urdu" in family for family in loaded)
    _in_english(page)  # the cookie goes back
    assert "Dashboard" in page.inner_text("nav[aria-label]")
    page.context.close()
