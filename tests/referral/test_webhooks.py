"""Platforms' answers on the webhook: per-platform secrets, signatures over time and body,
replays, out-of-date answers, unreadable times, and refusals summarised in the audit log."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from shaheen.access.rules import system
from shaheen.audit.models import AuditEvent
from shaheen.config import DEFAULT_SECRET
from shaheen.errors import IllegalTransition, NotFound
from shaheen.referral import flows
from shaheen.referral.channels import (
    BadSignature,
    InsecureSecretFile,
    WebhookSecrets,
    sign,
    signed_headers,
    verify,
)
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.referral.flows import WebhookPolicy
from shaheen.referral.models import Referral, WebhookDelivery, WebhookRefusalTally
from shaheen.referral.service import record_status
from shaheen.store.base import utcnow
from tests.referral.conftest import answer_body
from tests.referral.test_service import load, referred
from tests.review.conftest import Desk

# -- secrets --------------------------------------------------------------------------------


def test_a_secret_is_made_on_first_use_private_and_kept(secrets: WebhookSecrets) -> None:
    assert secrets.existing("x") is None
    secret, made = secrets.ensure("x")
    assert made and len(secret) >= 32
    path = secrets.path("x")
    assert path.stat().st_mode & 0o777 == 0o600
    assert secrets.ensure("x") == (secret, False) and secrets.get("x") == secret
    assert secrets.get("tiktok") != secret  # one secret per platform


def test_rotation_replaces_the_secret(secrets: WebhookSecrets) -> None:
    old = secrets.get("x")
    new = secrets.rotate("x")
    assert new != old and secrets.get("x") == new
    assert secrets.path("x").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in secrets.folder.iterdir()) == ["webhook-x.secret"]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_secret_file_others_can_read_is_refused_by_name(secrets: WebhookSecrets) -> None:
    secrets.get("x")
    path = secrets.path("x")
    path.chmod(0o644)
    with pytest.raises(InsecureSecretFile, match=rf"{path} has mode 0644.*chmod 600"):
        secrets.get("x")


@pytest.mark.parametrize("value", [DEFAULT_SECRET, "demo-webhook-secret (simulator only)", "short"])
def test_a_default_or_short_secret_is_never_accepted(secrets: WebhookSecrets, value: str) -> None:
    path = secrets.path("x")
    path.parent.mkdir(parents=True)
    path.write_text(value)
    path.chmod(0o600)
    with pytest.raises(InsecureSecretFile, match="published default or shorter"):
        secrets.existing("x")


def test_a_platform_code_cannot_name_another_file(secrets: WebhookSecrets) -> None:
    with pytest.raises(Exception, match="not a platform code"):
        secrets.path("../../etc/passwd")


# -- signatures -----------------------------------------------------------------------------


def test_the_signature_covers_timestamp_and_body() -> None:
    secret, body = "a-secret-of-at-least-thirty-two-chars", b'{"a": 1}'
    headers = signed_headers(secret, body, now=1_800_000_000)
    assert headers["X-Shaheen-Timestamp"] == "1800000000"
    assert verify(secret, body, headers, now=1_800_000_100) == 1_800_000_000
    moved = {**headers, "X-Shaheen-Timestamp": "1800000001"}  # a new time, the old digest
    with pytest.raises(BadSignature, match="bad signature"):
        verify(secret, body, moved, now=1_800_000_000)
    with pytest.raises(BadSignature, match="bad signature"):
        verify(secret, b'{"a": 2}', headers, now=1_800_000_000)
    with pytest.raises(BadSignature) as stale:
        verify(secret, body, headers, now=1_800_000_000 + 301)
    assert stale.value.reason == "stale_timestamp"
    with pytest.raises(BadSignature) as unsigned:
        verify(secret, body, {}, now=1_800_000_000)
    assert unsigned.value.reason == "unsigned"
    lower = {k.lower(): v for k, v in headers.items()}  # header names are case-insensitive
    assert verify(secret, body, lower, now=1_800_000_000) == 1_800_000_000
    assert sign(secret, "1", b"x") != sign(secret, "1.", b"")  # the separator matters


# -- answers --------------------------------------------------------------------------------


def sent(desk: Desk, tmp_path: Path, reference: str = "X-7") -> int:
    referral_id = referred(desk)
    flows.send(
        desk.sessions,
        referral_id=referral_id,
        by=desk.as_("liaison"),
        settings=flows.ChannelSettings(tmp_path / "outbox", WebhookSecrets(tmp_path / "keys")),
    )
    with desk.sessions.begin() as session:
        session.execute(update(Referral).values(platform_reference=reference))
    return referral_id


def deliver(
    desk: Desk, policy: WebhookPolicy, body: bytes, now: datetime | None = None, **kw: str
) -> int:
    headers = signed_headers(policy.secrets.get("x"), body, now=now.timestamp() if now else None)
    return flows.receive_answer(
        desk.sessions,
        platform_code="x",
        body=body,
        headers={**headers, **kw},
        policy=policy,
        now=now,
    )


def refusals(desk: Desk) -> list[AuditEvent]:
    with desk.sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "webhook.refused")
            .order_by(AuditEvent.sequence)
        ).all()
        session.expunge_all()
        return list(events)


def test_the_same_delivery_is_taken_once(desk: Desk, tmp_path: Path, policy: WebhookPolicy) -> None:
    referral_id = sent(desk, tmp_path)
    acknowledged = answer_body("X-7", "acknowledged", delivery="d-1")
    assert deliver(desk, policy, acknowledged) == referral_id
    with pytest.raises(flows.ReplayedAnswer, match="'d-1' was taken before"):
        deliver(desk, policy, acknowledged)  # freshly signed, still the same delivery
    assert load(desk, referral_id).status is ReferralStatus.ACKNOWLEDGED
    with desk.sessions() as session:
        [taken] = session.scalars(select(WebhookDelivery)).all()
    assert (taken.delivery_id, taken.referral_id, taken.status) == (
        "d-1",
        referral_id,
        "acknowledged",
    )


def test_an_old_removed_cannot_undo_a_reinstatement(
    desk: Desk, tmp_path: Path, policy: WebhookPolicy
) -> None:
    referral_id = sent(desk, tmp_path)
    t0 = utcnow()
    removed = answer_body("X-7", "removed", delivery="d-removed", at=t0.isoformat())
    deliver(desk, policy, removed)
    reinstated = answer_body(
        "X-7", "reinstated", delivery="d-back", at=(t0 + timedelta(seconds=30)).isoformat()
    )
    deliver(desk, policy, reinstated)
    assert load(desk, referral_id).status is ReferralStatus.REINSTATED
    # the captured "removed", sent again: refused by its delivery id
    with pytest.raises(flows.ReplayedAnswer):
        deliver(desk, policy, removed)
    # the same claim under a new id: refused as older than what the platform said since
    older = answer_body("X-7", "removed", delivery="d-new", at=t0.isoformat())
    with pytest.raises(flows.StaleAnswer, match="before the referral's latest answer"):
        deliver(desk, policy, older)
    assert load(desk, referral_id).status is ReferralStatus.REINSTATED
    # a re-check is news from the platform too: an answer dated before it is out of date
    record_status(
        desk.sessions,
        referral_id=referral_id,
        status=ReferralStatus.REMOVED,
        source=EventSource.RECHECK,
        by=system("recheck"),
        at=t0 + timedelta(seconds=90),
    )
    back = answer_body("X-7", "reinstated", at=(t0 + timedelta(seconds=60)).isoformat())
    with pytest.raises(flows.StaleAnswer):
        deliver(desk, policy, back)
    # and a newer answer still goes through
    newer = answer_body("X-7", "reinstated", at=(t0 + timedelta(seconds=120)).isoformat())
    deliver(desk, policy, newer)
    assert load(desk, referral_id).status is ReferralStatus.REINSTATED


def test_a_replay_outside_the_window_is_refused_by_its_timestamp(
    desk: Desk, tmp_path: Path, policy: WebhookPolicy
) -> None:
    sent(desk, tmp_path)
    body = answer_body("X-7", "removed")
    headers = signed_headers(policy.secrets.get("x"), body, now=utcnow().timestamp() - 301)
    with pytest.raises(BadSignature) as refused:
        flows.receive_answer(
            desk.sessions, platform_code="x", body=body, headers=headers, policy=policy
        )
    assert refused.value.reason == "stale_timestamp"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (answer_body("X-7", "removed", at="2026-11-03T10:00:00"), "at"),
        (answer_body("X-7", "removed", at="yesterday"), "at"),
        (answer_body("X-7", "removed", at="2999-01-01T00:00:00+00:00"), "at"),
        (answer_body("X-7", "flying", delivery="d-flying"), "status"),
        (b'{"reference": "X-7", "status": "removed"}', "delivery"),
        (b'{"delivery": "d", "reference": 7, "status": "removed"}', "reference"),
        (b"not json", None),
        (b"[1, 2]", None),
    ],
)
def test_unreadable_answers_name_the_field(
    desk: Desk, tmp_path: Path, policy: WebhookPolicy, body: bytes, field: str | None
) -> None:
    referral_id = sent(desk, tmp_path)
    with pytest.raises(flows.UnreadableAnswer) as refused:
        deliver(desk, policy, body)
    assert refused.value.field == field
    assert load(desk, referral_id).status is ReferralStatus.SENT


def test_no_secret_no_answer_and_junk_makes_no_secret(
    desk: Desk, tmp_path: Path, policy: WebhookPolicy
) -> None:
    body = answer_body("T-1", "removed")
    with pytest.raises(BadSignature, match="tiktok has no webhook secret yet"):
        flows.receive_answer(
            desk.sessions,
            platform_code="tiktok",
            body=body,
            headers=signed_headers("guessed-secret-guessed-secret-guessed", body),
            policy=policy,
        )
    assert not policy.secrets.path("tiktok").exists()
    with pytest.raises(NotFound, match="no platform 'myspace'"):
        flows.receive_answer(
            desk.sessions, platform_code="myspace", body=body, headers={}, policy=policy
        )
    assert not policy.secrets.folder.exists() or not list(policy.secrets.folder.iterdir())


def test_a_forbidden_move_is_refused(desk: Desk, tmp_path: Path, policy: WebhookPolicy) -> None:
    sent(desk, tmp_path)
    with pytest.raises(IllegalTransition, match="cannot go from sent to draft"):
        deliver(desk, policy, answer_body("X-7", "draft"))


def test_refusals_are_summarised_not_one_audit_event_each(
    desk: Desk, tmp_path: Path, policy: WebhookPolicy
) -> None:
    sent(desk, tmp_path)
    policy.secrets.get("x")
    window = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    junk = 40
    for i in range(junk):
        reason_body = answer_body("X-7", "removed")
        with pytest.raises(BadSignature):
            flows.receive_answer(
                desk.sessions,
                platform_code="x",
                body=reason_body,
                headers={"X-Shaheen-Timestamp": "1", "X-Shaheen-Signature": f"sha256={i:064x}"},
                policy=policy,
                now=window + timedelta(seconds=i),
            )
    for i in range(5):  # made-up platforms share one tally, whatever their names
        with pytest.raises(NotFound):
            flows.receive_answer(
                desk.sessions,
                platform_code=f"junk{i}",
                body=b"{}",
                headers={},
                policy=policy,
                now=window + timedelta(seconds=45),
            )
    # while the window is open: the first refusal of each tally is in the log already
    first = refusals(desk)
    assert [(e.object_id, e.details["count"]) for e in first] == [("x", 1), ("(unknown)", 1)]
    with desk.sessions() as session:
        live = {t.platform: t.count for t in flows.refusal_tallies(session=session, since=window)}
    assert live == {"x": junk, "(unknown)": 5}
    # the window closes: one summary per tally, with the total and the reasons
    later = window + timedelta(minutes=5)
    assert flows.summarise_refusals(desk.sessions, policy=policy, now=later) == 2
    assert flows.summarise_refusals(desk.sessions, policy=policy, now=later) == 0
    events = refusals(desk)
    assert len(events) == 4  # for 45 junk requests
    totals = {e.object_id: e.details for e in events[2:]}
    assert totals["x"]["count"] == junk and totals["x"]["reasons"] == {"bad_signature": junk}
    assert totals["(unknown)"]["reasons"] == {"unknown_platform": 5}
    assert all(e.outcome == "rejected" for e in events)
    # a refusal in a later window closes the earlier ones by itself, and opens its own row
    with pytest.raises(BadSignature):
        flows.receive_answer(
            desk.sessions, platform_code="x", body=b"{}", headers={}, policy=policy, now=later
        )
    assert [e.details["reasons"] for e in refusals(desk)[4:]] == [{"unsigned": 1}]
    with desk.sessions() as session:
        assert (
            session.scalar(
                select(WebhookRefusalTally.count).where(
                    WebhookRefusalTally.window_start == later.replace(second=0)
                )
            )
            == 1
        )
