"""Packages for every platform, and delivery over real channels on loopback: a file drop,
SMTP (aiosmtpd), and the platform simulator over HTTP, through the whole tracking loop."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from shaheen.audit.models import AuditEvent
from shaheen.errors import NotFound
from shaheen.platforms.enums import ChannelKind
from shaheen.platforms.models import Platform
from shaheen.referral import flows as referral_flows
from shaheen.referral.channels import (
    BadSignature,
    ChannelError,
    Webhook,
    WebhookSecrets,
    signed_headers,
)
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral, ReferralEvent, ReferralItem
from shaheen.referral.simulator import Behaviour, Simulator
from shaheen.store.base import utcnow
from tests.referral.conftest import answer_body
from tests.referral.test_service import load, referred
from tests.review.conftest import Desk


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, _Inbox]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # a free loopback port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


def channel_settings(tmp_path: Path) -> referral_flows.ChannelSettings:
    return referral_flows.ChannelSettings(tmp_path / "outbox", WebhookSecrets(tmp_path / "keys"))


def set_channel(desk: Desk, code: str, kind: ChannelKind, address: str | None) -> None:
    with desk.sessions.begin() as session:
        session.execute(
            update(Platform)
            .where(Platform.code == code)
            .values(channel_kind=kind, channel_address=address)
        )


def test_file_drop(desk: Desk, tmp_path: Path) -> None:
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions,
        referral_id=referral_id,
        by=desk.as_("liaison"),
        settings=channel_settings(tmp_path),
    )
    folder = tmp_path / "outbox" / "x" / f"x-{referral_id}"
    assert sorted(p.name for p in folder.iterdir()) == ["items.csv", "letter.html", "request.json"]
    assert load(desk, referral_id).status is ReferralStatus.SENT


def test_email_over_real_smtp(
    desk: Desk, tmp_path: Path, smtp_server: tuple[str, int, _Inbox]
) -> None:
    host, port, inbox = smtp_server
    set_channel(desk, "x", ChannelKind.EMAIL, f"smtp://{host}:{port}/legal@x.example")
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions,
        referral_id=referral_id,
        by=desk.as_("liaison"),
        settings=channel_settings(tmp_path),
    )
    [raw] = inbox.messages
    message = message_from_bytes(raw)
    assert message["To"] == "legal@x.example" and f"x-{referral_id}" in message["Subject"]
    names = sorted(str(p.get_filename()) for p in message.walk() if p.get_filename())
    assert names == [f"x-{referral_id}.csv", f"x-{referral_id}.json"]


def test_a_channel_that_fails_leaves_a_draft_and_an_audit_entry(desk: Desk, tmp_path: Path) -> None:
    set_channel(desk, "x", ChannelKind.EMAIL, "smtp://127.0.0.1:1/legal@x.example")
    referral_id = referred(desk)
    with pytest.raises(ChannelError, match=r"e-mail to legal@x\.example"):
        referral_flows.send(
            desk.sessions,
            referral_id=referral_id,
            by=desk.as_("liaison"),
            settings=channel_settings(tmp_path),
        )
    assert load(desk, referral_id).status is ReferralStatus.DRAFT
    with desk.sessions() as session:
        assert session.scalars(
            select(AuditEvent.action).where(AuditEvent.outcome == "rejected")
        ).all() == ["referral.send"]


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[tuple[Simulator, str, list[float]]]:
    now = [0.0]
    profile = {
        "x": Behaviour(
            acknowledge_after=1,
            answer_after=2,
            remove=1.0,
            geo_block=0,
            reject=0,
            reinstate=1.0,
            reinstate_after=10,
        ),
        "tiktok": Behaviour(1, 2, 0.0, 0.0, 0.0),  # never answers
    }
    sim = Simulator(WebhookSecrets(tmp_path / "keys"), profile, speed=3600.0, clock=lambda: now[0])
    url = sim.serve()
    try:
        yield sim, url, now
    finally:
        sim.stop()


def test_the_whole_loop_against_the_simulator(
    desk: Desk, tmp_path: Path, simulator: tuple[Simulator, str, list[float]]
) -> None:
    _, url, now = simulator
    set_channel(desk, "x", ChannelKind.WEBHOOK, f"{url}/x/referrals")
    settings = channel_settings(tmp_path)
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions, referral_id=referral_id, by=desk.as_("liaison"), settings=settings
    )
    referral = load(desk, referral_id)
    assert referral.status is ReferralStatus.SENT and referral.platform_reference == "X-000001"
    assert referral_flows.poll(desk.sessions, settings=settings) == 0  # nothing yet
    now[0] = 1.5  # hours, as the simulator runs an hour a second
    assert referral_flows.poll(desk.sessions, settings=settings) == 1
    assert load(desk, referral_id).status is ReferralStatus.ACKNOWLEDGED
    now[0] = 3
    referral_flows.poll(desk.sessions, settings=settings)
    assert load(desk, referral_id).status is ReferralStatus.REMOVED
    assert referral_flows.recheck(desk.sessions, settings=settings) == 0
    with desk.sessions() as session:
        items = session.scalars(
            select(ReferralItem).where(ReferralItem.referral_id == referral_id)
        ).all()
        assert items and all(i.online is False and i.last_checked_at for i in items)
    now[0] = 13  # the content comes back
    assert referral_flows.recheck(desk.sessions, settings=settings) == 1
    assert load(desk, referral_id).status is ReferralStatus.REINSTATED
    with desk.sessions() as session:
        sources = session.scalars(
            select(ReferralEvent.source)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.id)
        ).all()
    assert [s.value for s in sources] == ["manual", "system", "webhook", "webhook", "recheck"]


def test_the_simulator_refuses_unsigned_packages(
    simulator: tuple[Simulator, str, list[float]], tmp_path: Path
) -> None:
    sim, _, _ = simulator
    secret = WebhookSecrets(tmp_path / "keys").get("x")
    forged = {"X-Shaheen-Timestamp": "1", "X-Shaheen-Signature": "sha256=forged"}
    assert sim.receive("x", b"{}", forged)[0] == 401
    assert sim.receive("x", b"{}", {})[0] == 401
    assert sim.receive("x", b"{}", signed_headers("another-platforms-secret-" * 2, b"{}"))[0] == 401
    assert sim.receive("x", b"{}", signed_headers(secret, b"{}", now=0))[0] == 401  # stale
    assert sim.receive("x", b"{}", signed_headers(secret, b"{}"))[0] == 202
    assert sim.receive("myspace", b"{}", {})[0] == 404


def test_the_simulator_does_not_know_what_it_was_never_sent(
    desk: Desk, tmp_path: Path, simulator: tuple[Simulator, str, list[float]]
) -> None:
    sim, url, now = simulator
    assert sim.liveness("x", "https://x.example/never-referred")[1]["status"] == "unknown"
    assert sim.liveness("x", "https://x.example/never-referred")[1]["online"] is None
    set_channel(desk, "x", ChannelKind.WEBHOOK, f"{url}/x/referrals")
    settings = channel_settings(tmp_path)
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions, referral_id=referral_id, by=desk.as_("liaison"), settings=settings
    )
    channel = referral_flows.channel_of(_platform(desk, "x"), settings)
    assert isinstance(channel, Webhook)
    assert channel.online("https://x.example/never-referred") is None
    assert channel.online("https://x.example/qafla_demo") is True
    # an item the platform cannot vouch for is no evidence of removal
    with desk.sessions.begin() as session:
        session.execute(update(ReferralItem).values(url="https://x.example/typo"))
    now[0] = 1.5
    assert referral_flows.recheck(desk.sessions, settings=settings) == 0
    assert load(desk, referral_id).status is ReferralStatus.SENT


def test_query_answers_must_carry_the_platforms_signature(
    desk: Desk, tmp_path: Path, simulator: tuple[Simulator, str, list[float]]
) -> None:
    sim, url, _ = simulator
    set_channel(desk, "x", ChannelKind.WEBHOOK, f"{url}/x/referrals")
    settings = channel_settings(tmp_path)
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions, referral_id=referral_id, by=desk.as_("liaison"), settings=settings
    )
    # the "platform" now signs with a secret that is not the one we share with it
    sim.secrets = WebhookSecrets(tmp_path / "elsewhere")
    channel = referral_flows.channel_of(_platform(desk, "x"), settings)
    assert isinstance(channel, Webhook)
    with pytest.raises(ChannelError, match="answer refused: bad signature"):
        channel.online("https://x.example/qafla_demo")
    assert referral_flows.poll(desk.sessions, settings=settings) == 0
    assert referral_flows.recheck(desk.sessions, settings=settings) == 0


def _platform(desk: Desk, code: str) -> Platform:
    with desk.sessions() as session:
        platform = session.scalars(select(Platform).where(Platform.code == code)).one()
        session.expunge(platform)
        return platform


def test_configure_and_restore_the_channels(desk: Desk, tmp_path: Path) -> None:
    from shaheen.referral.simulator import configure_channels, restore_channels

    set_channel(desk, "x", ChannelKind.EMAIL, "smtp://mail.example:25/legal@x.example")
    with desk.sessions() as session:
        before = {
            p.code: (p.channel_kind, p.channel_address) for p in session.scalars(select(Platform))
        }
    with pytest.raises(NotFound, match="not pointed at the simulator"):
        restore_channels(desk.sessions, actor="liaison")
    assert configure_channels(desk.sessions, base_url="http://127.0.0.1:9", actor="liaison") == len(
        before
    )
    # twice without a restore: the real channels must still be the ones remembered
    configure_channels(desk.sessions, base_url="http://127.0.0.1:10", actor="liaison")
    with desk.sessions() as session:
        now = {
            p.code: (p.channel_kind, p.channel_address) for p in session.scalars(select(Platform))
        }
    assert now["x"] == (ChannelKind.WEBHOOK, "http://127.0.0.1:10/x/referrals")
    set_channel(desk, "tiktok", ChannelKind.FILE_DROP, "/srv/drop")  # changed by hand since
    outcome = restore_channels(desk.sessions, actor="liaison")
    assert outcome["x"] == "email smtp://mail.example:25/legal@x.example"
    assert outcome["tiktok"] == "left as changed since"
    with desk.sessions() as session:
        after = {
            p.code: (p.channel_kind, p.channel_address) for p in session.scalars(select(Platform))
        }
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("simulator.%"))
            .order_by(AuditEvent.sequence)
        ).all()
    assert after == {**before, "tiktok": (ChannelKind.FILE_DROP, "/srv/drop")}
    assert actions == ["simulator.configure", "simulator.configure", "simulator.restore"]
    with pytest.raises(NotFound):
        restore_channels(desk.sessions, actor="liaison")


def test_webhook_answers(desk: Desk, tmp_path: Path) -> None:
    secrets = WebhookSecrets(tmp_path / "keys")
    policy = referral_flows.WebhookPolicy(secrets)
    at = utcnow()  # one refusal window for the whole test
    referral_id = referred(desk)
    referral_flows.send(
        desk.sessions,
        referral_id=referral_id,
        by=desk.as_("liaison"),
        settings=channel_settings(tmp_path),
    )
    with desk.sessions.begin() as session:
        session.execute(update(Referral).values(platform_reference="X-42"))
    secret = secrets.get("x")
    good = answer_body("X-42", "removed")
    with pytest.raises(BadSignature, match="bad signature"):
        referral_flows.receive_answer(
            desk.sessions,
            platform_code="x",
            body=good,
            headers=signed_headers("not-the-platforms-secret-at-all", good),
            policy=policy,
            now=at,
        )
    unknown = answer_body("X-999", "removed")
    with pytest.raises(NotFound, match="X-999"):
        referral_flows.receive_answer(
            desk.sessions,
            platform_code="x",
            body=unknown,
            headers=signed_headers(secret, unknown),
            policy=policy,
            now=at,
        )
    assert load(desk, referral_id).status is ReferralStatus.SENT
    referral_flows.receive_answer(
        desk.sessions,
        platform_code="x",
        body=good,
        headers=signed_headers(secret, good),
        policy=policy,
    )
    assert load(desk, referral_id).status is ReferralStatus.REMOVED
    with desk.sessions() as session:
        refused = session.scalars(
            select(AuditEvent.details).where(AuditEvent.outcome == "rejected")
        ).all()
    # two refusals in one window: one audit row, the rest counted
    assert [d["reasons"] for d in refused] == [{"bad_signature": 1}]


def test_answers_from_a_csv(desk: Desk, tmp_path: Path) -> None:
    first, second = referred(desk), referred(desk)
    referral_flows.send(
        desk.sessions,
        referral_id=first,
        by=desk.as_("liaison"),
        settings=channel_settings(tmp_path),
    )
    csv_file = tmp_path / "answers.csv"
    csv_file.write_text(
        "referral_id,status,platform_reference,at,note\n"
        f"{first},removed,X-1,2026-11-03T10:00:00+00:00,by letter\n"
        f"{second},removed,X-2,,draft cannot be removed\n"
        f"{first},flying,,,\n"
    )
    result = referral_flows.import_answers(desk.sessions, path=csv_file, by=desk.as_("liaison"))
    assert result.applied == 1
    assert [line.split(": ")[1] for line in result.refused] == ["line 3", "line 4"]
    assert load(desk, first).status is ReferralStatus.REMOVED
