"""Platforms' answers on the webhook endpoint, over real HTTP on loopback (uvicorn):
status codes and problem details, the body limit, and the simulator pushing signed
answers as a platform would."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select, update

from shaheen.audit.models import AuditEvent
from shaheen.platforms.enums import ChannelKind
from shaheen.platforms.models import Platform
from shaheen.referral import flows as referral_flows
from shaheen.referral.channels import WebhookSecrets, signed_headers
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral
from shaheen.referral.simulator import Behaviour, Simulator
from shaheen.web.app import create_app
from tests.referral.conftest import answer_body
from tests.referral.test_service import load, referred
from tests.review.conftest import Desk


@pytest.fixture
def service(desk: Desk, policy: referral_flows.WebhookPolicy) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(desk.sessions, policy), host="127.0.0.1", port=port, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers["content-type"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers["content-type"]


def sent(desk: Desk, tmp_path: Path, reference: str) -> int:
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions,
        referral_id=referral_id,
        by=desk.as_("liaison"),
        settings=referral_flows.ChannelSettings(
            tmp_path / "outbox", WebhookSecrets(tmp_path / "keys")
        ),
    )
    with desk.sessions.begin() as session:
        session.execute(
            update(Referral).where(Referral.id == referral_id).values(platform_reference=reference)
        )
    return referral_id


def test_answers_over_http(
    desk: Desk, service: str, tmp_path: Path, policy: referral_flows.WebhookPolicy
) -> None:
    referral_id = sent(desk, tmp_path, "X-7")
    secret = policy.secrets.get("x")
    url = f"{service}/webhooks/x"
    first_window = time.time() // policy.refusal_window

    def signed(body: bytes) -> dict[str, str]:
        return signed_headers(secret, body)

    acknowledged = answer_body("X-7", "acknowledged", delivery="d-ack")
    bad = {"X-Shaheen-Timestamp": str(int(time.time())), "X-Shaheen-Signature": "sha256=bad"}
    assert post(url, acknowledged, bad)[0] == 401
    code, problem, kind = post(url, acknowledged, {})
    assert (code, problem["reason"], kind) == (401, "unsigned", "application/problem+json")
    old = signed_headers(secret, acknowledged, now=time.time() - 600)
    assert post(url, acknowledged, old)[1]["reason"] == "stale_timestamp"
    unknown = answer_body("X-8", "removed")
    assert post(url, unknown, signed(unknown))[0] == 404
    assert post(f"{service}/webhooks/myspace", unknown, signed(unknown))[0] == 404
    assert post(url, b"not json", signed(b"not json"))[0] == 422
    zoneless = answer_body("X-7", "removed", at="2026-11-03T10:00:00")
    code, problem, kind = post(url, zoneless, signed(zoneless))
    assert (code, problem["field"], kind) == (422, "at", "application/problem+json")
    assert "no time zone" in problem["detail"] and problem["status"] == 422
    assert load(desk, referral_id).status is ReferralStatus.SENT
    code, document, _ = post(url, acknowledged, signed(acknowledged))
    assert code == 200 and document == {"referral": referral_id, "recorded": True}
    code, problem, _ = post(url, acknowledged, signed(acknowledged))  # the same delivery again
    assert (code, problem["reason"]) == (409, "replayed_delivery")
    backwards = answer_body("X-7", "sent")
    assert post(url, backwards, signed(backwards))[1]["reason"] == "illegal_move"
    removed = answer_body("X-7", "removed")
    assert post(url, removed, signed(removed))[0] == 200
    assert load(desk, referral_id).status is ReferralStatus.REMOVED
    with desk.sessions() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "rejected")).all()
    logged = [(e.action, e.object_id) for e in refused]
    if time.time() // policy.refusal_window == first_window:
        # nine refusals, two tallies (x and unknown platforms): the first of each is logged
        assert logged == [("webhook.refused", "x"), ("webhook.refused", "(unknown)")]
    else:  # a window boundary (clock minutes) fell inside a slow run: more first refusals
        assert set(logged) == {("webhook.refused", "x"), ("webhook.refused", "(unknown)")}
        assert len(logged) <= 9


def test_a_body_over_the_limit_is_not_read(
    desk: Desk, service: str, policy: referral_flows.WebhookPolicy
) -> None:
    secret = policy.secrets.get("x")
    big = b'{"pad": "' + b"a" * (policy.max_body + 1) + b'"}'
    code, problem, _ = post(f"{service}/webhooks/x", big, signed_headers(secret, big))
    assert (code, problem["reason"]) == (413, "body_too_large")
    # no Content-Length (chunked): the stream is cut at the limit all the same
    host, port = service.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"a" * 1024

    connection.request(
        "POST",
        "/webhooks/x",
        body=chunks(),
        headers=signed_headers(secret, b""),
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 413
    connection.close()
    with desk.sessions() as session:
        refused = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "webhook.refused")
        ).all()
    assert refused and refused[0]["reasons"] == {"body_too_large": 1}


def test_the_simulator_pushes_signed_answers_to_shaheen(
    desk: Desk, service: str, tmp_path: Path, policy: referral_flows.WebhookPolicy
) -> None:
    now = [0.0]
    profile = {"x": Behaviour(1, 2, 1.0, 0.0, 0.0)}
    simulator = Simulator(
        WebhookSecrets(tmp_path / "keys"), profile, clock=lambda: now[0], answer_to=service
    )
    url = simulator.serve()
    try:
        with desk.sessions.begin() as session:
            session.execute(
                update(Platform)
                .where(Platform.code == "x")
                .values(channel_kind=ChannelKind.WEBHOOK, channel_address=f"{url}/x/referrals")
            )
        referral_id = referred(desk)
        referral_flows.send(
            desk.sessions,
            referral_id=referral_id,
            by=desk.as_("liaison"),
            settings=referral_flows.ChannelSettings(tmp_path / "outbox", policy.secrets),
        )
        assert simulator.push_answers() == 0  # nothing to say yet
        now[0] = 1.5
        assert simulator.push_answers() == 1
        assert load(desk, referral_id).status is ReferralStatus.ACKNOWLEDGED
        now[0] = 3
        assert simulator.push_answers() == 1
        assert simulator.push_answers() == 0  # said once
        assert load(desk, referral_id).status is ReferralStatus.REMOVED
    finally:
        simulator.stop()
