"""Every route over HTTP against the callers it must refuse and the one it must let
through: nobody (401, with `WWW-Authenticate`), a role without the right (403), a
person of another agency (404: the object's existence must not leak), a right role
signed in without its second factor (403), and the caller it serves (2xx). Refusals
are asked first, so the allowed call still finds the object as the world made it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import Api, open_session
from tests.tasks.http import share_of, task_of


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[Api], str]
    allowed: str
    allowed_status: int
    wrong_role: str
    other_agency: str | None = None  # a person of CCW who could, in their own agency
    body: dict[str, Any] | None = None
    second_factor: bool = False  # the allowed role needs one


ROUTES: dict[str, Route] = {
    "me": Route("GET", lambda a: "/api/v1/me", "auditor", 200, ""),
    "queue": Route("GET", lambda a: "/api/v1/cases", "rev1", 200, "auditor"),
    "case page": Route(
        "GET", lambda a: f"/api/v1/cases/{a.open_case}", "rev1", 200, "auditor", "outsider"
    ),
    "claim": Route(
        "POST",
        lambda a: f"/api/v1/cases/{a.open_case}/claim",
        "rev1",
        204,
        "analyst",
        "outsider",
        second_factor=True,
    ),
    "assign": Route(
        "POST",
        lambda a: f"/api/v1/cases/{a.open_case}/assign",
        "boss",
        204,
        "rev1",
        "ccw-boss",
        body={"to": "rev2"},  # assigning is not a sensitive action: no second factor
    ),
    "decide": Route(
        "POST",
        lambda a: f"/api/v1/cases/{a.open_case}/decisions",
        "rev1",
        201,
        "liaison",
        "outsider",
        body={"verdict": "dismiss", "reason_code": "news_reporting"},
        second_factor=True,
    ),
    "evidence": Route(
        "GET",
        lambda a: f"/api/v1/cases/{a.referred_case}/evidence",
        "liaison",
        200,
        "rev1",
        "ccw-liaison",
        second_factor=True,
    ),
    "referral": Route(
        "GET", lambda a: f"/api/v1/referrals/{a.referral}", "liaison", 200, "auditor", "outsider"
    ),
    "create referral": Route(
        "POST",
        lambda a: f"/api/v1/cases/{a.referred_case}/referrals",
        "liaison",
        201,
        "rev1",
        "ccw-liaison",
        second_factor=True,
    ),
    "send": Route(
        "POST",
        lambda a: f"/api/v1/referrals/{a.referral}/send",
        "liaison",
        200,
        "rev1",
        "ccw-liaison",
        second_factor=True,
    ),
    "record answer": Route(
        "POST",
        lambda a: f"/api/v1/referrals/{a.referral}/events",
        "liaison",
        201,
        "analyst",
        "ccw-liaison",
        body={"status": "sent", "platform_reference": "x-1", "note": "by hand"},
        second_factor=True,
    ),
    "board": Route("GET", lambda a: "/api/v1/platforms/x/board", "liaison", 200, "auditor"),
    "audit": Route("GET", lambda a: "/api/v1/audit", "auditor", 200, "rev1"),
    "shares": Route("GET", lambda a: "/api/v1/shares", "liaison", 200, "rev1"),
    "share": Route(
        "POST",
        lambda a: "/api/v1/shares",
        "boss",
        201,
        "rev1",
        body={"kind": "indicators", "key": "phone", "agencies": ["CCW"]},
        second_factor=True,
    ),
    "revoke share": Route(
        "DELETE",
        lambda a: f"/api/v1/shares/{share_of(a)}",
        "boss",
        204,
        "rev1",
        "ccw-boss",
        second_factor=True,
    ),
    "tasks": Route("GET", lambda a: "/api/v1/tasks", "liaison", 200, "rev1"),
    "task": Route("GET", lambda a: f"/api/v1/tasks/{task_of(a)}", "boss", 200, "rev1", "ccw-boss"),
    "issue task": Route(
        "POST",
        lambda a: "/api/v1/tasks",
        "boss",
        201,
        "analyst",
        body={"title": "Weekly return", "recipients": ["CCW"], "due_days": 7},
    ),
    "acknowledge task": Route(
        "POST",
        lambda a: f"/api/v1/tasks/{task_of(a)}/acknowledge",
        "kp-liaison",
        200,
        "kp-reviewer",
        "ccw-boss",
    ),
    # the network: reading it is reading cases
    "network clusters": Route("GET", lambda a: "/api/v1/network/clusters", "rev1", 200, "auditor"),
    "network evasion": Route("GET", lambda a: "/api/v1/network/evasion", "analyst", 200, "auditor"),
    "network campaigns": Route(
        "GET", lambda a: "/api/v1/network/campaigns", "rev1", 200, "auditor"
    ),
    # aggregates name no one: every role reads them (no wrong role to try)
    "report": Route("GET", lambda a: "/api/v1/reports/weekly", "auditor", 200, ""),
    "referrals csv": Route(
        "GET", lambda a: "/api/v1/reports/referrals.csv", "liaison", 200, "auditor"
    ),
}


def _call(api: Api, route: Route, headers: dict[str, str]) -> Any:
    return api.client.request(route.method, route.path(api), json=route.body, headers=headers)


@pytest.mark.parametrize("name", list(ROUTES))
def test_route_refuses_and_serves(api: Api, name: str) -> None:
    route = ROUTES[name]

    nobody = _call(api, route, {})
    assert nobody.status_code == 401, nobody.text
    assert nobody.headers["www-authenticate"].startswith("Bearer")
    assert nobody.headers["content-type"] == "application/problem+json"
    forged = _call(api, route, {"Authorization": "Bearer shs_forged"})
    assert forged.status_code == 401 and "invalid_token" in forged.headers["www-authenticate"]

    if route.wrong_role:
        wrong = _call(api, route, api.headers(route.wrong_role))
        assert wrong.status_code == 403, wrong.text
        assert wrong.json()["error"] == "Forbidden"
    if route.other_agency:
        other = _call(api, route, api.headers(route.other_agency))
        assert other.status_code == 404, other.text
        assert other.json()["error"] == "NotFound"
    if route.second_factor:
        token = open_session(api.desk, route.allowed, second_factor=False)
        without = _call(api, route, {"Authorization": f"Bearer {token}"})
        assert without.status_code == 403, without.text
        assert "second factor" in without.json()["detail"]

    allowed = _call(api, route, api.headers(route.allowed))
    assert allowed.status_code == route.allowed_status, allowed.text
