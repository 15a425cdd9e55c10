"""What every route shares: problem+json refusals, request ids, no CORS unless asked,
the body cap, docs that load with no network, idempotent creates, cursor pages, and
signing in over HTTP."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shaheen.agencies.enums import Role
from shaheen.api.app import create_app
from shaheen.api.pagination import encode_cursor
from shaheen.review.models import Decision
from tests.api.conftest import Api, policy
from tests.signing import PASSWORD, signed_in

PROBLEM = "application/problem+json"


def test_a_refusal_is_a_problem_detail(api: Api) -> None:
    answer = api.client.get(
        f"/api/v1/cases/{api.open_case}",
        headers={**api.headers("outsider"), "X-Request-ID": "trace-42"},
    )
    assert (answer.status_code, answer.headers["content-type"]) == (404, PROBLEM)
    assert answer.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"no case {api.open_case}",
        "instance": f"/api/v1/cases/{api.open_case}",
        "error": "NotFound",
        "request_id": "trace-42",
    }


def test_an_illegal_move_is_409_and_bad_values_are_422(api: Api) -> None:
    send = f"/api/v1/referrals/{api.referral}/send"
    assert api.client.post(send, headers=api.headers("liaison")).status_code == 200
    again = api.client.post(send, headers=api.headers("liaison"))
    assert (again.status_code, again.json()["error"]) == (409, "IllegalTransition")

    unreadable = api.client.post(
        f"/api/v1/cases/{api.open_case}/decisions",
        json={"verdict": "maybe", "reason_code": "x"},
        headers=api.headers("rev1"),
    )
    assert (unreadable.status_code, unreadable.headers["content-type"]) == (422, PROBLEM)
    assert unreadable.json()["errors"][0]["loc"] == ["body", "verdict"]
    assert unreadable.json()["detail"].startswith("body.verdict:")

    nul = api.client.get("/api/v1/cases", params={"platform": "x\x00"}, headers=api.headers("rev1"))
    assert nul.status_code == 422  # never a driver's error: PostgreSQL cannot store NUL
    huge = api.client.get(f"/api/v1/cases/{2**70}", headers=api.headers("rev1"))
    assert huge.status_code == 422


def test_a_refer_without_legal_basis_is_refused_by_the_safeguard(api: Api) -> None:
    answer = api.client.post(
        f"/api/v1/cases/{api.open_case}/decisions",
        json={"verdict": "refer", "reason_code": "recruitment", "organisation": "ttp"},
        headers=api.headers("rev1"),
    )
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "SafeguardViolation"


def test_request_ids_are_echoed_or_made_and_reach_the_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shaheen.api.access")
    given = api.client.get("/health", headers={"X-Request-ID": "abc.DEF_1-2"})
    assert given.headers["x-request-id"] == "abc.DEF_1-2"
    bad = api.client.get("/health", headers={"X-Request-ID": "no spaces or\ttabs"})
    assert re.fullmatch(r"[0-9a-f]{32}", bad.headers["x-request-id"])
    made = api.client.get("/health")
    assert made.headers["x-request-id"] != bad.headers["x-request-id"]
    lines = [r for r in caplog.records if r.name == "shaheen.api.access"]
    assert [getattr(r, "request_id", None) for r in lines] == [
        "abc.DEF_1-2",
        bad.headers["x-request-id"],
        made.headers["x-request-id"],
    ]
    assert all("GET /health 200" in r.getMessage() for r in lines)


def test_tokens_and_query_strings_stay_out_of_the_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = api.tokens.setdefault("rev1", api.headers("rev1")["Authorization"].split()[1])
    api.client.get("/api/v1/cases?language=secretword", headers=api.headers("rev1"))
    api.client.get("/api/v1/cases", headers={"Authorization": "Bearer shs_leaked-if-logged"})
    served = "\n".join(  # the server's records; httpx logs the test client's side
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "GET /api/v1/cases 200" in served and "GET /api/v1/cases 401" in served
    for secret in (token, "secretword", "leaked-if-logged"):
        assert secret not in served


def test_cors_is_off_unless_origins_are_given(api: Api, tmp_path: Path) -> None:
    preflight = {
        "Origin": "https://dashboard.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    }
    closed = api.client.options("/api/v1/cases", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    simple = api.client.get("/health", headers={"Origin": "https://dashboard.example"})
    assert "access-control-allow-origin" not in simple.headers

    opened = create_app(
        api.desk.sessions, policy(tmp_path), cors_origins=["https://dashboard.example"]
    )
    with TestClient(opened) as client:
        answer = client.options("/api/v1/cases", headers=preflight)
        assert answer.headers["access-control-allow-origin"] == "https://dashboard.example"
        other = client.options(
            "/api/v1/cases", headers={**preflight, "Origin": "https://elsewhere.example"}
        )
        assert "access-control-allow-origin" not in other.headers


def test_a_body_over_the_cap_is_413(api: Api, tmp_path: Path) -> None:
    small = create_app(api.desk.sessions, policy(tmp_path), max_body_bytes=1000)
    with TestClient(small) as client:
        answer = client.post(
            f"/api/v1/cases/{api.open_case}/decisions",
            json={"verdict": "dismiss", "reason_code": "x", "note": "n" * 2000},
            headers=api.headers("rev1"),
        )
        assert (answer.status_code, answer.headers["content-type"]) == (413, PROBLEM)

        def chunks() -> Iterator[bytes]:  # no Content-Length: the stream is counted as it comes
            yield b'{"verdict": "dismiss", "reason_code": "x", "note": "'
            yield b"n" * 2000
            yield b'"}'

        streamed = client.post(
            f"/api/v1/cases/{api.open_case}/decisions",
            content=chunks(),
            headers={**api.headers("rev1"), "Content-Type": "application/json"},
        )
        assert streamed.status_code == 413, streamed.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_with_no_network(api: Api, page: str) -> None:
    html = api.client.get(page)
    assert html.status_code == 200
    assert "http://" not in html.text and "https://" not in html.text  # no CDN
    assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts and all(a.startswith("/docs-assets/") for a in assets)
    for asset in assets:
        served = api.client.get(asset)
        assert served.status_code == 200 and len(served.content) > 1000, asset


def test_the_schema_documents_bodies_responses_and_the_webhook(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    paths = schema["paths"]
    decide = paths["/api/v1/cases/{case_id}/decisions"]["post"]
    body = decide["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/DecisionCreate"}
    assert {p["name"] for p in decide["parameters"]} >= {"case_id", "Idempotency-Key"}
    assert decide["responses"]["403"]["content"][PROBLEM]
    page = paths["/api/v1/cases/{case_id}"]["get"]["responses"]["200"]
    assert page["content"]["application/json"]["schema"]["$ref"].endswith("/CaseView")
    webhook = paths["/webhooks/{platform}"]["post"]
    answer = webhook["requestBody"]["content"]["application/json"]["schema"]
    assert set(answer["required"]) == {"delivery", "reference", "status"}
    assert {p["name"] for p in webhook["parameters"]} >= {
        "x-shaheen-timestamp",
        "x-shaheen-signature",
    }
    assert "Problem" in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _decisions(api: Api) -> int:
    with api.desk.sessions() as session:
        return session.scalar(select(func.count()).select_from(Decision)) or 0


def test_an_idempotency_key_answers_a_retry_with_the_first_response(api: Api) -> None:
    url = f"/api/v1/cases/{api.open_case}/decisions"
    body = {"verdict": "dismiss", "reason_code": "news_reporting", "note": "a newspaper"}
    headers = {**api.headers("rev1"), "Idempotency-Key": "7d2c-retry"}
    before = _decisions(api)
    first = api.client.post(url, json=body, headers=headers)
    second = api.client.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and first.json()["status"] == "dismissed"
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _decisions(api) == before + 1

    other = api.client.post(url, json={**body, "note": "another"}, headers=headers)
    assert (other.status_code, other.json()["error"]) == (422, "KeyReused")
    # the key is the caller's own: another reviewer's same key is a new request
    theirs = api.client.post(
        url, json=body, headers={**api.headers("rev2"), "Idempotency-Key": "7d2c-retry"}
    )
    assert theirs.status_code == 409  # the case is dismissed: nothing to decide
    without = api.client.post(url, json=body, headers=api.headers("rev1"))
    assert without.status_code == 409


def test_a_refused_create_frees_its_key_for_the_corrected_request(api: Api) -> None:
    url = f"/api/v1/cases/{api.open_case}/decisions"
    headers = {**api.headers("rev1"), "Idempotency-Key": "fix-and-retry"}
    refused = api.client.post(
        url, json={"verdict": "refer", "reason_code": "recruitment"}, headers=headers
    )
    assert refused.status_code == 403
    fixed = {
        "verdict": "refer",
        "reason_code": "recruitment",
        "organisation": "ttp",
        "legal_basis": "PECA-2016-s37",
    }
    assert api.client.post(url, json=fixed, headers=headers).status_code == 201
    bad_key = api.client.post(url, json=fixed, headers={**headers, "Idempotency-Key": "a b"})
    assert bad_key.status_code == 422


def test_the_queue_pages_with_cursors(api: Api) -> None:
    for n in range(5):
        api.desk.case(handle=f"more_{n}")
    headers = api.headers("rev1")
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        answer = api.client.get("/api/v1/cases", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += [row["case_id"] for row in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = api.client.get("/api/v1/cases", params={"limit": 200}, headers=headers).json()
    assert seen == [row["case_id"] for row in everything["items"]]
    assert len(seen) == len(set(seen)) == 6 and pages == 3  # the referred case is not open

    for cursor in ("not base64!", encode_cursor("audit", 12), encode_cursor("queue", "x")):
        refused = api.client.get("/api/v1/cases", params={"cursor": cursor}, headers=headers)
        assert (refused.status_code, refused.json()["error"]) == (422, "BadInput")


def test_the_audit_log_pages_with_cursors(api: Api) -> None:
    for _ in range(3):  # every case view is audited
        api.client.get(f"/api/v1/cases/{api.open_case}", headers=api.headers("rev1"))
    headers = api.headers("auditor")
    first = api.client.get("/api/v1/audit", params={"limit": 2}, headers=headers).json()
    rest = api.client.get(
        "/api/v1/audit", params={"limit": 200, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    sequences = [e["sequence"] for e in first["items"] + rest["items"]]
    assert sequences == sorted(sequences, reverse=True) and len(set(sequences)) == len(sequences)
    everything = api.client.get("/api/v1/audit", params={"limit": 200}, headers=headers).json()
    assert sequences == [e["sequence"] for e in everything["items"]] and len(sequences) >= 5


def test_a_person_signs_in_and_out_over_http(api: Api) -> None:
    url = api.desk.sessions.kw["bind"].url.render_as_string(hide_password=False)
    signed_in(url, "newcomer", "CTA", Role.ANALYST)  # has chosen their own password
    wrong = api.client.post("/api/v1/sessions", json={"username": "newcomer", "password": "no"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "Unauthenticated")

    answer = api.client.post(
        "/api/v1/sessions", json={"username": "newcomer", "password": PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = api.client.get("/api/v1/me", headers=headers).json()
    assert (me["username"], me["agency"], me["role"]) == ("newcomer", "CTA", "analyst")
    assert "case.read" in me["actions"] and "case.decide" not in me["actions"]

    assert api.client.delete("/api/v1/sessions/current", headers=headers).status_code == 204
    assert api.client.get("/api/v1/me", headers=headers).status_code == 401
