"""The desk in a real browser: sign-in with the second factor and the forced password
change; a case from the queue to a referral with a second reviewer; the platform's
answer recorded and seen on the board; another agency's case is not found; Urdu is
right-to-left in the shipped Nastaliq font; axe-core finds nothing serious.

The tests share one live server per backend and run in order (each person signs in
once): they are one story, told in steps that fail separately.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.web.conftest import Desk, sign_in

NEW_PASSWORD = "a much longer passphrase of my own 7"
SCREENSHOTS = os.environ.get("WEB_SCREENSHOTS_DIR")  # a folder: the README's go there


def _no_serious_violations(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{page.url}: {serious}"


def test_sign_in_with_second_factor_and_the_forced_password_change(
    live: Desk, browser: Any
) -> None:
    context = browser.new_context(base_url=live.url)
    page = context.new_page()
    page.goto("/queue")
    assert "/login" in page.url  # nobody signed in: to the sign-in page, then back
    rev1 = live.people["rev1"]
    page.fill("#username", "rev1")
    page.fill("#password", rev1.password)
    page.fill("#code", "000000")
    page.click("#login button[type=submit]")
    assert "wrong username, password or code" in page.inner_text("main")
    cookies = {c["name"]: c for c in context.cookies()}
    assert "shaheen_session" not in cookies

    page.fill("#username", "rev1")
    page.fill("#password", rev1.password)
    page.fill("#code", rev1.code())
    page.click("#login button[type=submit]")
    assert page.url.endswith("/password")  # a temporary password is replaced first
    session = {c["name"]: c for c in context.cookies()}["shaheen_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    page.goto("/queue")
    assert "/login" in page.url  # nothing else until the password is changed
    page.goto("/password")
    page.fill("#current", rev1.password)
    page.fill("#new", NEW_PASSWORD)
    page.fill("#repeat", NEW_PASSWORD)
    page.click("#password-change button[type=submit]")
    assert "Your password is changed" in page.inner_text("main")
    rev1.password = NEW_PASSWORD
    # a form without its CSRF token is refused
    response = page.request.post(live.url + "/cases/1/claim", form={"csrf": "forged"})
    assert response.status == 403
    context.close()


def test_a_supervisor_assigns_cases_in_bulk(live: Desk, browser: Any) -> None:
    page = sign_in(browser, live, "boss")
    page.goto("/queue?platform=telegram")
    for case_id in live.other_cases:
        page.check(f"input[name=case][value='{case_id}']")
    page.select_option("#assign-to", "rev2")
    page.click("#bulk button[type=submit]")
    assert "2 cases given to rev2" in page.inner_text("main")
    assert page.locator("#queue-table").inner_text().count("rev2") == 2
    page.context.close()


def test_a_case_goes_from_the_queue_to_a_referral_and_the_board(live: Desk, browser: Any) -> None:
    page = sign_in(browser, live, "rev1")
    page.goto("/queue")
    _no_serious_violations(page)
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "queue.png"), full_page=True)
    page.keyboard.press("j")  # the highest priority first: the Urdu account
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{live.case_id}")
    assert page.locator("#account-handle").count() == 1, page.inner_text("main")
    assert "id tg-1900000001" in page.inner_text("#account-handle")  # no handle: the id
    linked = page.inner_text("#neighbours")  # the network's neighbours, strongest first
    assert "qafla_0" in linked and "forward" in linked and "shared link" in linked
    marks = page.locator(".post mark")
    assert marks.count() >= 2  # the matched terms, in Urdu and in Latin script
    thumb = page.locator(".media .thumb").first
    assert "blurred" in (thumb.get_attribute("class") or "")
    thumb.click()
    assert "blurred" not in (thumb.get_attribute("class") or "")
    assert "distance 9" in page.inner_text(".media")
    page.click("#claim")
    page.check("input[name=verdict][value=refer]")
    page.select_option("#reason", "recruitment")
    page.select_option("#organisation", "ttp")
    page.select_option("#legal_basis", "PECA-2016-s37")
    page.click("#decide")
    assert "awaiting second review" in page.inner_text("#case-status")
    assert page.locator("#confirm").count() == 0 or "rev1" in page.inner_text("main")
    page.context.close()

    second = sign_in(browser, live, "rev2")
    second.goto(f"/cases/{live.case_id}")
    _no_serious_violations(second)
    if SCREENSHOTS:
        second.screenshot(path=str(Path(SCREENSHOTS) / "case.png"), full_page=True)
    second.click("#confirm")  # confirms what rev1 chose, without retyping it
    assert "referred" in second.inner_text("#case-status")
    second.context.close()

    liaison = sign_in(browser, live, "liaison")
    liaison.goto(f"/cases/{live.case_id}")
    liaison.click("#make-referral")
    assert "draft" in liaison.inner_text("#referral-status")
    liaison.click("#send")
    assert "sent" in liaison.inner_text("#referral-status")
    liaison.select_option("#answer-status", "removed")
    liaison.fill("#answer-at", "2026-11-29T09:30")
    liaison.fill("#answer-ref", "TG-4471")
    liaison.click("#answer button[type=submit]")
    assert "removed" in liaison.inner_text("#referral-status")
    timeline = liaison.inner_text("#timeline")
    assert "2026-11-29 04:30 UTC" in timeline  # 09:30 in Asia/Karachi, as the platform answered
    _no_serious_violations(liaison)
    referral_url = liaison.url.split("?")[0]
    liaison.goto("/board?platform=telegram")
    column = liaison.locator("#col-removed").locator("xpath=..")
    assert referral_url.rsplit("/", 1)[-1] in column.inner_text()
    assert "answered" in column.inner_text()  # its SLA clock stopped
    _no_serious_violations(liaison)
    liaison.context.close()


def test_another_agency_cannot_open_the_case(live: Desk, browser: Any) -> None:
    page = sign_in(browser, live, "kp-rev")
    response = page.goto(f"/cases/{live.case_id}")
    assert response is not None and response.status == 404
    assert "Not found" in page.inner_text("h1")
    own = page.goto(f"/cases/{live.foreign_case}")
    assert own is not None and own.status == 200
    page.context.close()


def test_urdu_is_right_to_left_in_the_shipped_nastaliq(live: Desk, browser: Any) -> None:
    page = sign_in(browser, live, "boss")
    page.goto(f"/cases/{live.case_id}")
    urdu = page.locator(".post .text[lang=ur]").first
    assert urdu.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert "Noto Nastaliq Urdu" in urdu.evaluate("e => getComputedStyle(e).fontFamily")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("""async () => {
        await document.fonts.load('16px "Noto Nastaliq Urdu"', 'اردو');
        return document.fonts.check('16px "Noto Nastaliq Urdu"', 'اردو');
    }""")
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("Noto Nastaliq Urdu" in family for family in loaded)
    roman = page.locator(".post .text[lang=ur-Latn]").first
    assert roman.evaluate("e => getComputedStyle(e).direction") == "ltr"
    page.context.close()
