"""API tokens: made by an agency's administrator, stored as SHA-256, scoped, expiring,
revocable, rate-limited; and `shaheen token create|list|revoke`.

Storage tests run on SQLite and PostgreSQL (the `session` fixture); the CLI test runs
in-process on the default SQLite file.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from shaheen.access import credentials, flows, tokens
from shaheen.access.models import ApiToken
from shaheen.access.rules import Action, Principal, system
from shaheen.access.tokens import RateLimiter, TokenPrincipal, principal_for_api_token
from shaheen.agencies.enums import Role
from shaheen.audit.models import AuditEvent
from shaheen.errors import BadInput, Forbidden, NotFound, RateLimited, Unauthenticated
from shaheen.review.service import acting_user
from tests.access.conftest import T0, People, Shell


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _principal(people: People, username: str) -> Principal:
    # A TOTP code is good once: sign each person in once per test.
    cache: dict[str, Principal] = people.__dict__.setdefault("_signed_in", {})
    if username not in cache:
        cache[username] = people.principal(username)
    return cache[username]


def _roomy() -> RateLimiter:
    return RateLimiter(rate=1000.0, burst=1000)


def _make(
    people: People, maker: str = "cta-admin", role: Role = Role.ANALYST, **kw: object
) -> tokens.NewApiToken:
    return tokens.create_token(
        people.session,
        actor=_principal(people, maker),
        name=str(kw.pop("name", "collector-1")),
        role=role,
        now=T0,
        **kw,  # type: ignore[arg-type]
    )


def test_a_token_is_shown_once_and_stored_as_its_sha256(people: People) -> None:
    new = _make(people)
    assert new.value.startswith("shk_") and len(new.value) == 4 + 43  # 32 bytes, base64url
    row = people.session.get(ApiToken, new.id)
    assert row is not None
    assert row.token_sha256 == credentials.token_digest(new.value)
    stored = " ".join(str(getattr(row, c.key)) for c in ApiToken.__table__.columns)
    assert new.value not in stored and new.value[8:] not in stored
    assert row.hint == new.value[:8] and row.expires_at == T0 + timedelta(days=90)
    [event] = people.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "token.create")
    ).all()
    assert event.actor == "cta-admin" and new.value not in str(event.details)
    # two tokens never share a value
    assert _make(people, name="collector-2").value != new.value


def test_a_token_acts_for_its_agency_and_role_as_an_integration(people: People) -> None:
    new = _make(people)
    principal = principal_for_api_token(people.session, new.value, now=T0, limiter=_roomy())
    assert isinstance(principal, TokenPrincipal)
    assert principal.username == "token:collector-1" and principal.user_id is None
    assert principal.agency_id == people.users["cta-admin"].agency_id
    assert principal.role is Role.ANALYST and not principal.second_factor
    assert principal.actions == {
        Action.CASE_READ,
        Action.REFERRAL_READ,
        Action.INGEST,
        Action.BANK_READ,
    }
    row = people.session.get(ApiToken, new.id)
    assert row is not None and row.last_used_at == T0


def test_a_reviewer_token_cannot_take_a_persons_decision(people: People) -> None:
    new = _make(people, role=Role.SUPERVISOR, name="queue-bot")
    principal = principal_for_api_token(people.session, new.value, now=T0, limiter=_roomy())
    assert principal is not None and principal.second_factor  # the admin signed in with TOTP
    with pytest.raises(Forbidden, match="a person's act"):
        acting_user(people.session, principal, Action.CASE_DECIDE)


def test_other_values_are_not_api_tokens(people: People) -> None:
    session_token = people.sign_in("cta-analyst")
    for value in (None, "", session_token, "Bearer shk_x"):
        assert principal_for_api_token(people.session, value, now=T0) is None


@pytest.mark.parametrize("case", ["unknown", "revoked", "expired", "maker disabled"])
def test_a_token_no_longer_good_is_refused(people: People, case: str) -> None:
    new = _make(people, expires_days=1)
    value, at = new.value, T0
    if case == "unknown":
        value = "shk_" + "A" * 43
    elif case == "revoked":
        assert tokens.revoke_token(
            people.session, actor=_principal(people, "cta-admin"), token_id=new.id, now=T0
        ) == ("collector-1", True)
    elif case == "expired":
        at = T0 + timedelta(days=1)
    else:
        flows.set_active(people.session, actor=system(), username="cta-admin", active=False, now=T0)
    with pytest.raises(Unauthenticated, match="API token"):
        principal_for_api_token(people.session, value, now=at, limiter=_roomy())


def test_a_token_may_be_narrowed_to_some_of_its_roles_actions(people: People) -> None:
    new = _make(people, actions=["bank.read"])
    principal = principal_for_api_token(people.session, new.value, now=T0, limiter=_roomy())
    assert principal is not None and principal.actions == {Action.BANK_READ}
    with pytest.raises(BadInput, match=r"may not case\.decide"):
        _make(people, name="x", actions=["case.decide"])
    with pytest.raises(BadInput, match="unknown action"):
        _make(people, name="x", actions=["everything"])


@pytest.mark.parametrize(
    ("maker", "kw", "error"),
    [
        ("cta-analyst", {}, Forbidden),  # only administrators make tokens
        ("cta-admin", {"role": Role.ADMIN}, BadInput),  # administration is a person's act
        ("cta-admin", {"agency_code": "PTA"}, Forbidden),  # own agency only
        ("cta-admin", {"expires_days": 0}, BadInput),
        ("cta-admin", {"expires_days": 731}, BadInput),
        ("cta-admin", {"name": ""}, BadInput),
    ],
)
def test_who_may_make_which_token(
    people: People, maker: str, kw: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        _make(people, maker, **kw)  # type: ignore[arg-type]
    assert people.session.scalars(select(ApiToken)).all() == []


def test_names_are_unique_within_an_agency(people: People) -> None:
    _make(people)
    with pytest.raises(BadInput, match="already has a token called"):
        _make(people)
    assert _make(people, "pta-admin").agency == "PTA"  # the same name elsewhere is fine


def test_another_agencys_tokens_are_not_found(people: People) -> None:
    new = _make(people)
    pta = _principal(people, "pta-admin")
    assert tokens.list_tokens(people.session, actor=pta) == []
    with pytest.raises(NotFound, match=f"no API token {new.id}"):
        tokens.revoke_token(people.session, actor=pta, token_id=new.id, now=T0)
    [row] = tokens.list_tokens(people.session, actor=_principal(people, "cta-admin"))
    assert (row.name, row.agency, row.created_by, row.state(T0)) == (
        "collector-1",
        "CTA",
        "cta-admin",
        "active",
    )
    assert len(tokens.list_tokens(people.session, actor=system())) == 1


def test_last_use_is_recorded_to_the_minute(people: People) -> None:
    new = _make(people)
    for seconds in (0, 30, 61):
        principal_for_api_token(
            people.session, new.value, now=T0 + timedelta(seconds=seconds), limiter=_roomy()
        )
    row = people.session.get(ApiToken, new.id)
    assert row is not None and row.last_used_at == T0 + timedelta(seconds=61)


def test_each_token_has_its_own_rate_limit(people: People) -> None:
    first, second = _make(people, name="a"), _make(people, name="b")
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        principal_for_api_token(people.session, first.value, now=T0, limiter=limiter)
    with pytest.raises(RateLimited, match="too many requests") as refused:
        principal_for_api_token(people.session, first.value, now=T0, limiter=limiter)
    assert refused.value.retry_after == pytest.approx(0.5)
    assert int(refused.value.return_code) == 9
    # another token is not held back by the first one's use
    assert principal_for_api_token(people.session, second.value, now=T0, limiter=limiter)
    clock.now += 0.5
    assert principal_for_api_token(people.session, first.value, now=T0, limiter=limiter)
    with pytest.raises(RateLimited):
        principal_for_api_token(people.session, first.value, now=T0, limiter=limiter)


def test_the_bucket_refills_to_its_burst_and_no_further() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10.0, burst=2, clock=clock)
    clock.now += 3600
    limiter.take(1)
    limiter.take(1)
    with pytest.raises(RateLimited):
        limiter.take(1)


def test_the_token_commands(run: Shell) -> None:
    code, out = run("token", "create", "collector", "--role", "analyst")
    assert code == 8 and "no one is signed in" in out
    code, out = run("token", "create", "collector", "--role", "analyst", "--operator")
    assert code == 5 and "--agency CODE" in out
    code, out = run(
        "token",
        "create",
        "collector",
        "--role",
        "analyst",
        "--agency",
        "CTA",
        "--operator",
        "--action",
        "ingest",
        "--expires-days",
        "30",
    )
    assert code == 0, out
    [value] = re.findall(r"^shk_\S+$", out, flags=re.MULTILINE)
    assert "shown once" in out and "analyst of CTA" in out
    code, out = run("token", "list", "--operator")
    assert code == 0 and "collector" in out and "ingest" in out and "active" in out
    assert value not in out and value[:8] in out
    code, out = run("token", "revoke", "1", "--operator")
    assert code == 0 and "revoked" in out
    code, out = run("token", "list", "--operator")
    assert "revoked" in out
    code, out = run("token", "revoke", "99", "--operator")
    assert code == 6 and "no API token 99" in out
