"""Platforms' answers on the webhook endpoint, over real HTTP on loopback (uvicorn)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select, update

from shaheen.audit.models import AuditEvent
from shaheen.referral import flows as referral_flows
from shaheen.referral.channels import SIGNATURE_HEADER, sign_body
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral
from shaheen.web.app import create_app
from tests.referral.test_service import load, referred
from tests.review.conftest import Desk

SECRET = "webhook-test-secret"


@pytest.fixture
def service(desk: Desk) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(desk.sessions, SECRET), host="127.0.0.1", port=port, log_level="error"
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


def post(url: str, body: bytes, signature: str | None) -> tuple[int, dict[str, object]]:
    headers = {"Content-Type": "application/json"}
    if signature:
        headers[SIGNATURE_HEADER] = signature
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_answers_over_http(desk: Desk, service: str, tmp_path: Path) -> None:
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions,
        referral_id=referral_id,
        username="liaison",
        settings=referral_flows.ChannelSettings(tmp_path / "outbox", SECRET),
    )
    with desk.sessions.begin() as session:
        session.execute(update(Referral).values(platform_reference="X-7"))
    url = f"{service}/webhooks/x"

    def answer(reference: str, status: str) -> bytes:
        return json.dumps({"reference": reference, "status": status}).encode()

    acknowledged = answer("X-7", "acknowledged")
    assert post(url, acknowledged, "sha256=bad")[0] == 401
    assert post(url, acknowledged, None)[0] == 401
    unknown = answer("X-8", "removed")
    assert post(url, unknown, sign_body(SECRET, unknown))[0] == 404
    assert post(url, b"not json", sign_body(SECRET, b"not json"))[0] == 422
    assert load(desk, referral_id).status is ReferralStatus.SENT
    code, document = post(url, acknowledged, sign_body(SECRET, acknowledged))
    assert code == 200 and document == {"referral": referral_id, "recorded": True}
    backwards = answer("X-7", "sent")
    assert post(url, backwards, sign_body(SECRET, backwards))[0] == 409
    removed = answer("X-7", "removed")
    assert post(url, removed, sign_body(SECRET, removed))[0] == 200
    assert load(desk, referral_id).status is ReferralStatus.REMOVED
    with desk.sessions() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "rejected")).all()
    assert len(refused) == 5 and all(e.action == "referral.answer" for e in refused)
