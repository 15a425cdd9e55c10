"""The reports over HTTP: a report's figures as JSON and rendered (PDF, HTML, CSV), the
published transparency report, a bad period refused, and the referrals CSV scoped to
the caller's agency. Both databases (the `api` fixture)."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import Api


def test_a_weekly_report_as_json_and_rendered(api: Api) -> None:
    headers = api.headers("auditor")
    response = api.client.get("/api/v1/reports/weekly?period=this-week", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "weekly" and body["period"]["kind"] == "week"
    assert {d["key"] for d in body["definitions"]} >= {"compliance", "time_to_removal"}
    assert len(body["trend"]) == 8
    pdf = api.client.get("/api/v1/reports/weekly?period=this-week&format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "shaheen-weekly-" in pdf.headers["content-disposition"]
    page = api.client.get("/api/v1/reports/monthly?format=html", headers=headers)
    assert page.status_code == 200 and "How each figure is defined" in page.text


def test_the_transparency_report_is_the_published_one(api: Api) -> None:
    response = api.client.get(
        "/api/v1/reports/transparency?period=2026", headers=api.headers("rev1")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["suppressed_below"] == 5 and body["by_agency"] == []


def test_bad_periods_and_kinds_are_refused(api: Api) -> None:
    headers = api.headers("auditor")
    bad = api.client.get("/api/v1/reports/weekly?period=2026-W60", headers=headers)
    assert bad.status_code == 422 and "not a period" in bad.json()["detail"]
    assert api.client.get("/api/v1/reports/yearly", headers=headers).status_code == 422
    fmt = api.client.get("/api/v1/reports/weekly?format=docx", headers=headers)
    assert fmt.status_code == 422


def test_referrals_csv_is_scoped_to_the_callers_agency(api: Api) -> None:
    response = api.client.get("/api/v1/reports/referrals.csv", headers=api.headers("liaison"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["referral_id"] for r in rows] == [str(api.referral)]
    assert rows[0]["to_status"] == "draft"
    other = api.client.get("/api/v1/reports/referrals.csv", headers=api.headers("ccw-liaison"))
    assert other.status_code == 200 and list(csv.DictReader(io.StringIO(other.text))) == []
    filtered = api.client.get(
        "/api/v1/reports/referrals.csv?platform=tiktok", headers=api.headers("liaison")
    )
    assert list(csv.DictReader(io.StringIO(filtered.text))) == []
