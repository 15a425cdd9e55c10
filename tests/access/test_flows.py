"""Sign-in, sessions and user administration, on both databases.

The refusals are tables: each row one way in which a sign-in, a session or an
administrator's action must fail, and the answer it must get.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access import credentials, flows, service
from shaheen.access.models import LoginThrottle, UserSession
from shaheen.access.rules import Action, Principal, require, system
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import User
from shaheen.agencies.service import ensure_agency
from shaheen.audit.models import AuditEvent
from shaheen.config import load_settings
from shaheen.errors import BadInput, Forbidden, NotFound, Unauthenticated
from tests.access.conftest import PASSWORD, T0, CountingHasher, People


def _throttle(people: People, username: str) -> LoginThrottle | None:
    return service.get_throttle(session=people.session, username=username)


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.sequence)
        )
    )


def _attempt(people: People, username: str, password: str = PASSWORD, code: str = "", at=T0):  # type: ignore[no-untyped-def]
    return flows.attempt_login(
        session=people.session, username=username, password=password, code=code, now=at
    )


# --- Sign-in refusals -----------------------------------------------------------------


def _wrong_code(people: People, name: str) -> str:
    right = people.code(name)
    return "000000" if right != "000000" else "111111"


def _disable(people: People, name: str) -> None:
    people.users[name].active = False


def _replay(people: People, name: str) -> None:
    assert _attempt(people, name, code=people.code(name)).signed_in is not None


REFUSALS: dict[
    str, tuple[str, Callable[[People, str], None] | None, Callable[[People, str], dict[str, str]]]
] = {
    "wrong password": ("cta-analyst", None, lambda p, n: {"password": "not the password"}),
    "unknown username": ("nobody-here", None, lambda p, n: {}),
    "empty password": ("cta-analyst", None, lambda p, n: {"password": ""}),
    "wrong second-factor code": ("cta-reviewer", None, lambda p, n: {"code": _wrong_code(p, n)}),
    "missing second-factor code": ("cta-supervisor", None, lambda p, n: {"code": ""}),
    "replayed second-factor code": ("cta-admin", _replay, lambda p, n: {"code": p.code(n)}),
    "disabled user": ("cta-liaison", _disable, lambda p, n: {}),
    "password of another user": ("pta-analyst", None, lambda p, n: {"password": "x" * 20}),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refused_sign_in_gets_the_same_answer_and_is_audited(
    people: People, case: str
) -> None:
    username, prepare, change = REFUSALS[case]
    if prepare:
        prepare(people, username)
    attempt = {"password": PASSWORD, "code": ""}
    attempt.update(change(people, username))
    outcome = _attempt(people, username, attempt["password"], attempt["code"])
    assert outcome.signed_in is None
    assert outcome.refusal == flows.REFUSED  # one sentence for every reason
    [event] = [e for e in _events(people.session, "user.login") if e.outcome == "rejected"]
    assert event.details["reason"]
    assert _throttle(people, username) is not None  # counted, known or not


def test_an_unknown_username_costs_one_argon2_verification_like_a_wrong_password(
    people: People,
) -> None:
    hasher = CountingHasher()
    credentials.use_hasher(hasher)
    credentials.hash_password("warm the dummy hash up")  # not part of either attempt
    credentials.verify_password(None, "x")
    hasher.verified.clear()
    _attempt(people, "cta-analyst", "wrong password here")
    wrong_password = list(hasher.verified)
    hasher.verified.clear()
    _attempt(people, "no-such-person", "wrong password here")
    unknown = list(hasher.verified)
    assert len(wrong_password) == len(unknown) == 1
    # the same parameters, so the same work
    assert wrong_password[0].rsplit("$", 2)[0] == unknown[0].rsplit("$", 2)[0]


def test_an_unknown_username_takes_about_as_long_as_a_wrong_password(people: People) -> None:
    credentials.use_hasher(PasswordHasher())  # the real cost
    people.users["cta-analyst"].password_hash = credentials.hash_password(PASSWORD)
    credentials.verify_password(None, "warm up the dummy hash")

    def timed(username: str) -> float:
        start = time.perf_counter()
        _attempt(people, username, "definitely not it")
        return time.perf_counter() - start

    known = statistics.median(timed("cta-analyst") for _ in range(3))
    unknown = statistics.median(timed(f"ghost-{i}") for i in range(3))
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_a_good_sign_in_opens_a_session_stored_only_as_a_digest(people: People) -> None:
    outcome = _attempt(people, "cta-reviewer", code=people.code("cta-reviewer"))
    assert outcome.signed_in is not None
    token = outcome.signed_in.token
    assert outcome.signed_in.second_factor and token not in repr(outcome.signed_in)
    row = people.session.scalars(select(UserSession)).one()
    assert row.token_sha256 == credentials.token_digest(token)
    assert row.second_factor and row.expires_at == T0 + timedelta(hours=12)
    user = people.users["cta-reviewer"]
    assert user.last_login_at == T0 and user.failed_logins == 0
    principal = flows.principal_for_token(people.session, token, now=T0)
    assert principal == Principal(
        "cta-reviewer",
        user_id=user.id,
        agency_id=user.agency_id,
        agency_kind=AgencyKind.COUNTER_TERRORISM,
        role=Role.REVIEWER,
        second_factor=True,
    )
    assert require(principal, Action.CASE_DECIDE) is principal


def test_a_role_that_needs_a_second_factor_without_one_cannot_act_sensitively(
    people: People,
) -> None:
    reviewer = people.users["cta-reviewer"]
    reviewer.totp_secret = None
    outcome = _attempt(people, "cta-reviewer")
    assert outcome.signed_in is not None and outcome.signed_in.second_factor_missing
    principal = flows.principal_for_token(people.session, outcome.signed_in.token, now=T0)
    require(principal, Action.CASE_READ)
    with pytest.raises(Forbidden, match="second factor"):
        require(principal, Action.CASE_DECIDE)


def test_an_old_hash_is_remade_with_todays_parameters_at_sign_in(people: People) -> None:
    user = people.users["cta-analyst"]
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    user.password_hash = old
    assert _attempt(people, "cta-analyst").signed_in is not None
    assert user.password_hash != old and credentials.verify_password(user.password_hash, PASSWORD)


# --- Lock-out -------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["cta-analyst", "made-up-name"])
def test_five_failures_lock_a_username_for_fifteen_minutes_known_or_not(
    people: People, username: str
) -> None:
    answers = [_attempt(people, username, "wrong").refusal for _ in range(5)]
    assert answers[:4] == [flows.REFUSED] * 4
    assert answers[4] is not None and "too many failed sign-ins" in answers[4]
    assert "15 minutes" in answers[4]
    # locked: even the right password is refused, without argon2 being asked
    hasher = CountingHasher()
    credentials.use_hasher(hasher)
    later = T0 + timedelta(minutes=14)
    refused = _attempt(people, username, at=later).refusal
    assert refused is not None and "try again in 1 minute," in refused
    assert hasher.verified == []
    if username in people.users:
        user = people.users[username]
        assert user.locked_until == T0 + timedelta(minutes=15) and user.failed_logins == 5
        assert _attempt(people, username, at=T0 + timedelta(minutes=15)).signed_in is not None
        assert user.locked_until is None and user.failed_logins == 0
        assert _throttle(people, username) is None
    else:
        # after the window the next failure counts from one again
        assert _attempt(people, username, at=T0 + timedelta(minutes=15)).refusal == flows.REFUSED
        assert _throttle(people, username).failures == 1  # type: ignore[union-attr]


def test_failures_spread_beyond_the_window_do_not_lock(people: People) -> None:
    for minute in range(0, 100, 20):
        assert (
            _attempt(people, "cta-analyst", "wrong", at=T0 + timedelta(minutes=minute)).refusal
            == flows.REFUSED
        )
    assert _attempt(people, "cta-analyst", at=T0 + timedelta(minutes=101)).signed_in is not None


def test_the_thresholds_are_settings(people: People) -> None:
    settings = load_settings(login_max_failures=2, login_lockout_minutes=5)
    for _ in range(2):
        outcome = flows.attempt_login(
            session=people.session, username="cta-analyst", password="no", now=T0, settings=settings
        )
    assert outcome.refusal is not None and "5 minutes" in outcome.refusal


def test_a_lock_ends_the_users_sessions_until_an_admin_enables_them(people: People) -> None:
    token = people.sign_in("cta-analyst")
    for _ in range(5):
        _attempt(people, "cta-analyst", "wrong")
    with pytest.raises(Unauthenticated, match="locked"):
        flows.principal_for_token(people.session, token, now=T0)
    flows.set_active(people.session, actor=system(), username="cta-analyst", active=True)
    assert flows.principal_for_token(people.session, token, now=T0).username == "cta-analyst"
    assert _attempt(people, "cta-analyst").signed_in is not None


def test_overlong_usernames_are_refused_before_any_lookup(people: People) -> None:
    with pytest.raises(BadInput, match="1 to 64"):
        _attempt(people, "u" * 65)


# --- Sessions -------------------------------------------------------------------------


def _expire(people: People, token: str) -> None:
    people.session.scalars(select(UserSession)).one().expires_at = T0


def _end(people: People, token: str) -> None:
    assert flows.logout(people.session, token, now=T0)


def _disable_owner(people: People, token: str) -> None:
    flows.set_active(people.session, actor=system(), username="cta-analyst", active=False)


def _mark_owner_inactive(people: People, token: str) -> None:
    people.users["cta-analyst"].active = False  # as another path (or a restore) might


def _reset_owner(people: People, token: str) -> None:
    flows.reset_password(people.session, actor=system(), username="cta-analyst", now=T0)


SESSION_REFUSALS: dict[
    str, tuple[Callable[[People, str], None] | None, Callable[[str], str | None], timedelta, str]
] = {
    "no token": (None, lambda t: None, timedelta(0), "sign in first"),
    "blank token": (None, lambda t: "  ", timedelta(0), "sign in first"),
    "unknown token": (None, lambda t: credentials.new_token().value, timedelta(0), "not known"),
    "altered token": (
        None,
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        timedelta(0),
        "not known",
    ),
    "past its lifetime": (None, lambda t: t, timedelta(hours=12), "expired"),
    "expiry moved": (_expire, lambda t: t, timedelta(seconds=1), "expired"),
    "idle too long": (None, lambda t: t, timedelta(minutes=120), "expired"),
    "signed out": (_end, lambda t: t, timedelta(0), "was ended"),
    "owner disabled": (_disable_owner, lambda t: t, timedelta(0), "was ended"),
    "owner inactive": (_mark_owner_inactive, lambda t: t, timedelta(0), "disabled"),
    "password reset since": (_reset_owner, lambda t: t, timedelta(0), "was ended"),
}


@pytest.mark.parametrize("case", list(SESSION_REFUSALS))
def test_each_bad_session_is_refused(people: People, case: str) -> None:
    prepare, present, later, message = SESSION_REFUSALS[case]
    token = people.sign_in("cta-analyst")
    assert flows.principal_for_token(people.session, token, now=T0).username == "cta-analyst"
    if prepare:
        prepare(people, token)
    with pytest.raises(Unauthenticated, match=message):
        flows.principal_for_token(people.session, present(token), now=T0 + later)


def test_use_keeps_a_session_alive_until_its_lifetime_ends(people: People) -> None:
    token = people.sign_in("cta-analyst")
    for hours in range(1, 12):
        flows.principal_for_token(people.session, token, now=T0 + timedelta(hours=hours))
    with pytest.raises(Unauthenticated, match="expired"):
        flows.principal_for_token(people.session, token, now=T0 + timedelta(hours=12))


# --- Temporary passwords ----------------------------------------------------------------


def test_a_temporary_password_must_be_replaced_before_anything_else(people: People) -> None:
    old_token = people.sign_in("cta-analyst")
    new = flows.reset_password(people.session, actor=system(), username="cta-analyst", now=T0)
    assert new.temporary_password and new.temporary_password not in repr(new)
    assert _attempt(people, "cta-analyst").refusal == flows.REFUSED  # the old password is gone
    outcome = _attempt(people, "cta-analyst", new.temporary_password)
    assert outcome.signed_in is not None and outcome.signed_in.must_change_password
    token = outcome.signed_in.token
    with pytest.raises(Unauthenticated, match="temporary"):
        flows.principal_for_token(people.session, token, now=T0)
    with pytest.raises(BadInput, match="at least 12"):
        flows.change_password(
            people.session, token=token, current=new.temporary_password, new="short", now=T0
        )
    with pytest.raises(Unauthenticated, match="current password is wrong"):
        flows.change_password(
            people.session, token=token, current="guess", new="a new long passphrase", now=T0
        )
    flows.change_password(
        people.session,
        token=token,
        current=new.temporary_password,
        new="a new long passphrase",
        now=T0,
    )
    assert flows.principal_for_token(people.session, token, now=T0).username == "cta-analyst"
    with pytest.raises(Unauthenticated, match="was ended"):
        flows.principal_for_token(people.session, old_token, now=T0)
    assert _attempt(people, "cta-analyst", "a new long passphrase").signed_in is not None


def test_a_new_user_starts_with_a_temporary_password_and_an_enrolled_second_factor(
    people: People,
) -> None:
    new = flows.add_user(
        people.session, actor=system(), agency_code="CTA", username="fresh", role=Role.SUPERVISOR
    )
    assert new.temporary_password and new.totp_uri and new.totp_uri.startswith("otpauth://totp/")
    analyst = flows.add_user(
        people.session, actor=system(), agency_code="CTA", username="fresh2", role=Role.ANALYST
    )
    assert analyst.totp_uri is None  # an analyst's actions need no second factor
    user = people.session.scalars(select(User).where(User.username == "fresh")).one()
    assert user.must_change_password and user.totp_secret and user.totp_secret in new.totp_uri
    with pytest.raises(BadInput, match="taken"):
        flows.add_user(
            people.session, actor=system(), agency_code="PTA", username="fresh", role=Role.ANALYST
        )


# --- Who administers whom ------------------------------------------------------------------

ALLOWED, NOT_FOUND, FORBIDDEN = "allowed", NotFound, Forbidden
ADMINISTRATION = [
    # actor, target, expected
    ("system", "cta-analyst", ALLOWED),
    ("cta-admin", "cta-analyst", ALLOWED),
    ("cta-admin", "cta-supervisor", ALLOWED),
    ("pta-admin", "cta-analyst", NOT_FOUND),  # another agency's person: "no such user"
    ("pta-admin", "cta-admin", NOT_FOUND),
    ("cta-supervisor", "cta-analyst", FORBIDDEN),  # not an administrator
    ("cta-auditor", "cta-analyst", FORBIDDEN),
    ("cta-analyst", "cta-analyst", FORBIDDEN),
    ("platform-admin", "cta-admin", ALLOWED),  # agencies' administrators
    ("platform-admin", "pta-admin", ALLOWED),
    ("platform-admin", "cta-analyst", NOT_FOUND),  # but nobody else of theirs
    ("cta-admin", "platform-admin", NOT_FOUND),
    ("cta-admin", "no-such-user", NOT_FOUND),
]
ACTIONS: dict[str, Callable[[Session, Principal, str], object]] = {
    "user.password_reset": lambda s, a, u: flows.reset_password(s, actor=a, username=u, now=T0),
    "user.disable": lambda s, a, u: flows.set_active(s, actor=a, username=u, active=False),
    "user.enable": lambda s, a, u: flows.set_active(s, actor=a, username=u, active=True),
    "user.totp_enrol": lambda s, a, u: flows.enrol_totp(s, actor=a, username=u),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize(("actor", "target", "expected"), ADMINISTRATION)
def test_who_may_administer_whom(
    people: People, action: str, actor: str, target: str, expected: object
) -> None:
    principal = system() if actor == "system" else people.principal(actor)
    if actor == target and action == "user.totp_enrol":
        expected = ALLOWED  # one's own first second factor
    if expected is ALLOWED:
        ACTIONS[action](people.session, principal, target)
        [event] = _events(people.session, action)
        assert event.actor == principal.actor and event.details["username"] == target
    else:
        before = people.users[target].password_hash if target in people.users else None
        with pytest.raises(expected):  # type: ignore[call-overload]
            ACTIONS[action](people.session, principal, target)
        if target in people.users:
            assert people.users[target].password_hash == before


def test_administration_needs_a_sign_in_with_the_second_factor(people: People) -> None:
    admin = people.principal("cta-admin")
    without = Principal(
        admin.username,
        user_id=admin.user_id,
        agency_id=admin.agency_id,
        agency_kind=admin.agency_kind,
        role=admin.role,
        second_factor=False,
    )
    with pytest.raises(Forbidden, match="second factor"):
        flows.reset_password(people.session, actor=without, username="cta-analyst")


ADDING = [
    ("cta-admin", "CTA", Role.ANALYST, False, ALLOWED),
    ("cta-admin", "CTA", Role.ADMIN, False, ALLOWED),
    ("cta-admin", "PTA", Role.ANALYST, False, FORBIDDEN),
    ("cta-admin", "CTA", Role.ANALYST, True, FORBIDDEN),  # platform administrators
    ("cta-supervisor", "CTA", Role.ANALYST, False, FORBIDDEN),
    ("platform-admin", "PTA", Role.ADMIN, False, ALLOWED),
    ("platform-admin", "PTA", Role.ANALYST, False, FORBIDDEN),
    ("platform-admin", "CTA", Role.ADMIN, True, ALLOWED),
    ("system", "CTA", Role.ADMIN, True, ALLOWED),
    ("system", "XXX", Role.ADMIN, False, NOT_FOUND),
]


@pytest.mark.parametrize(("actor", "agency", "role", "platform_admin", "expected"), ADDING)
def test_who_may_add_whom(
    people: People, actor: str, agency: str, role: Role, platform_admin: bool, expected: object
) -> None:
    principal = system() if actor == "system" else people.principal(actor)

    def add() -> object:
        return flows.add_user(
            people.session,
            actor=principal,
            agency_code=agency,
            username="newcomer",
            role=role,
            platform_admin=platform_admin,
        )

    if expected is ALLOWED:
        add()
        [event] = _events(people.session, "user.add")[-1:]
        assert event.actor == principal.actor and event.details["role"] == role.value
    else:
        with pytest.raises(expected):  # type: ignore[call-overload]
            add()


def test_replacing_an_enrolled_second_factor_needs_it(people: People) -> None:
    reviewer = people.principal("cta-reviewer")
    uri = flows.enrol_totp(people.session, actor=reviewer)
    assert (people.users["cta-reviewer"].totp_secret or "?") in uri
    weaker = Principal(
        reviewer.username,
        user_id=reviewer.user_id,
        agency_id=reviewer.agency_id,
        role=reviewer.role,
        second_factor=False,
    )
    with pytest.raises(Forbidden, match="needs a sign-in with it"):
        flows.enrol_totp(people.session, actor=weaker)
    # a first enrolment needs no second factor (there is none yet)
    analyst = people.principal("cta-analyst")
    assert not analyst.second_factor
    flows.enrol_totp(people.session, actor=analyst)
    assert people.users["cta-analyst"].totp_secret is not None


def test_admins_list_their_own_agency_and_platform_admins_everyone(people: People) -> None:
    own = flows.list_users(people.session, actor=people.principal("cta-admin"), now=T0)
    assert {row.agency for row in own} == {"CTA"} and len(own) == len(Role)
    everyone = flows.list_users(people.session, actor=people.principal("platform-admin"), now=T0)
    assert {row.agency for row in everyone} == {"CTA", "PTA", "NFC"}
    with pytest.raises(Forbidden):
        flows.list_users(people.session, actor=people.principal("cta-supervisor"))


def test_a_refused_reset_in_another_agency_leaves_only_its_audit_entry(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        ensure_agency(session=session, code="CTA", name="CTA", kind=AgencyKind.COUNTER_TERRORISM)
        ensure_agency(session=session, code="PTA", name="PTA", kind=AgencyKind.REGULATOR)
        for agency, name, role in (
            ("CTA", "victim", Role.ANALYST),
            ("PTA", "outsider", Role.ADMIN),
        ):
            flows.add_user(session, actor=system(), agency_code=agency, username=name, role=role)
        outsider = session.scalars(select(User).where(User.username == "outsider")).one()
        victim = session.scalars(select(User).where(User.username == "victim")).one()
        before = victim.password_hash
        actor = Principal(
            "outsider",
            user_id=outsider.id,
            agency_id=outsider.agency_id,
            role=Role.ADMIN,
            second_factor=True,
        )
    with (
        pytest.raises(NotFound, match="no user 'victim'"),
        flows.guarded(sessions, actor=actor, action="user.password_reset", username="victim") as s,
    ):
        flows.reset_password(s, actor=actor, username="victim")
    with sessions.begin() as session:
        [event] = _events(session, "user.password_reset")
        assert (event.outcome, event.actor, event.agency_id) == (
            "rejected",
            "outsider",
            actor.agency_id,
        )
        assert event.details["username"] == "victim" and "no user" in event.details["refused"]
        assert (
            session.scalars(select(User).where(User.username == "victim")).one().password_hash
            == before
        )


# --- No secret in a log or an audit event ---------------------------------------------------


def test_no_password_token_or_totp_secret_reaches_a_log_or_the_audit_log(
    people: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_seen: list[str] = [PASSWORD]
    secrets_seen += [u.totp_secret for u in people.users.values() if u.totp_secret]
    code = people.code("cta-admin")
    outcome = _attempt(people, "cta-admin", code=code)
    assert outcome.signed_in is not None
    secrets_seen += [code, outcome.signed_in.token]
    _attempt(people, "cta-analyst", "a wrong guess at it")
    _attempt(people, PASSWORD)  # a password typed into the username field
    secrets_seen.append("a wrong guess at it")
    admin = flows.principal_for_token(people.session, outcome.signed_in.token, now=T0)
    reset = flows.reset_password(people.session, actor=admin, username="cta-analyst", now=T0)
    uri = flows.enrol_totp(people.session, actor=admin, username="cta-analyst")
    assert reset.temporary_password
    secrets_seen += [reset.temporary_password, uri, people.users["cta-analyst"].totp_secret or "?"]
    temp = _attempt(
        people,
        "cta-analyst",
        reset.temporary_password,
        credentials.totp_code(people.users["cta-analyst"].totp_secret or "", T0),
    )
    assert temp.signed_in is not None
    flows.change_password(
        people.session,
        token=temp.signed_in.token,
        current=reset.temporary_password,
        new="another long passphrase",
        now=T0,
    )
    secrets_seen += [temp.signed_in.token, "another long passphrase"]
    flows.logout(people.session, outcome.signed_in.token, now=T0)

    audit_text = json.dumps(
        [
            [e.actor, e.action, e.object_id, e.details]
            for e in people.session.scalars(select(AuditEvent))
        ],
        default=str,
    )
    assert "user.password_reset" in audit_text and "user.login" in audit_text
    logged = caplog.text
    for secret in secrets_seen:
        assert secret not in audit_text, secret
        assert secret not in logged, secret
