"""Shares and tasks over HTTP: a revoked share ends the recipient's access at once, and
a task goes from issue to acceptance with an attachment, each side seeing its part."""

from __future__ import annotations

from shaheen.agencies.enums import Role
from shaheen.agencies.service import ensure_user, get_by_code
from tests.api.conftest import Api


def test_a_revoked_share_ends_access_over_http(api: Api) -> None:
    c = api.client
    case_url = f"/api/v1/cases/{api.open_case}"
    assert c.get(case_url, headers=api.headers("outsider")).status_code == 404
    made = c.post(
        "/api/v1/shares",
        json={"kind": "case", "key": str(api.open_case), "agencies": ["CCW"], "note": "look"},
        headers=api.headers("boss"),
    )
    assert made.status_code == 201, made.text
    share = made.json()
    assert share["owner"] == "CTA" and share["recipients"] == ["CCW"]
    seen = c.get(case_url, headers=api.headers("outsider"))
    assert seen.status_code == 200 and seen.json()["case"] == api.open_case
    received = c.get("/api/v1/shares", headers=api.headers("ccw-boss")).json()["received"]
    assert [(s["id"], s["shared_by"]) for s in received] == [(share["id"], "boss")]
    # a recipient cannot revoke it
    assert (
        c.delete(f"/api/v1/shares/{share['id']}", headers=api.headers("ccw-boss")).status_code
        == 404
    )
    gone = c.delete(f"/api/v1/shares/{share['id']}", headers=api.headers("liaison"))
    assert gone.status_code == 204, gone.text
    assert c.get(case_url, headers=api.headers("outsider")).status_code == 404
    again = c.delete(f"/api/v1/shares/{share['id']}", headers=api.headers("boss"))
    assert again.status_code == 409


def test_red_is_refused_to_a_whole_agency_over_http(api: Api) -> None:
    made = api.client.post(
        "/api/v1/shares",
        json={"kind": "indicators", "key": "phone", "tlp": "red", "agencies": ["CCW"]},
        headers=api.headers("boss"),
    )
    assert made.status_code == 422 and "named people only" in made.json()["detail"]
    named = api.client.post(
        "/api/v1/shares",
        json={"kind": "indicators", "key": "phone", "tlp": "red", "people": ["ccw-liaison"]},
        headers=api.headers("boss"),
    )
    assert named.status_code == 201, named.text


def test_a_task_from_issue_to_acceptance_over_http(api: Api) -> None:
    c = api.client
    with api.desk.sessions.begin() as session:
        ccw = get_by_code(session=session, code="CCW")
        assert ccw is not None
        ensure_user(
            session=session, agency=ccw, username="ccw-analyst", display_name="a", role=Role.ANALYST
        )
    made = c.post(
        "/api/v1/tasks",
        json={"title": "Review these accounts", "recipients": ["CCW"], "due_days": 7},
        headers=api.headers("boss"),
    )
    assert made.status_code == 201, made.text
    task = made.json()["id"]
    url = f"/api/v1/tasks/{task}"
    assert c.post(f"{url}/acknowledge", headers=api.headers("ccw-liaison")).status_code == 200
    upload = c.post(
        f"{url}/attachments",
        params={"filename": "findings.csv"},
        content=b"account,status\nqafla_demo,referred\n",
        headers={**api.headers("ccw-liaison"), "Content-Type": "application/octet-stream"},
    )
    assert upload.status_code == 201, upload.text
    attachment = upload.json()["id"]
    answered = c.post(
        f"{url}/answers",
        json={"text": "Two accounts referred."},
        headers=api.headers("ccw-liaison"),
    )
    assert answered.status_code == 200 and answered.json()["assignments"][0]["status"] == "answered"
    got = c.get(f"{url}/attachments/{attachment}", headers=api.headers("boss"))
    assert got.status_code == 200 and got.content.startswith(b"account,status")
    refused = c.post(f"{url}/accept", json={"agency": "CCW"}, headers=api.headers("ccw-liaison"))
    assert refused.status_code == 403
    accepted = c.post(f"{url}/accept", json={"agency": "CCW"}, headers=api.headers("boss"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["assignments"][0]["status"] == "accepted"
    rows = c.get("/api/v1/tasks", headers=api.headers("ccw-liaison")).json()
    assert [(r["id"], r["agency"], r["status"]) for r in rows] == [(task, "CCW", "accepted")]
    assert c.get(url, headers=api.headers("ccw-analyst")).status_code == 403
