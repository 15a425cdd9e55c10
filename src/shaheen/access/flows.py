"""How a person becomes a `Principal`: sign-in, sessions, and user administration.

Sign-in answers the same way, at the same cost, whether the username exists or not:
argon2 runs against a dummy hash for an unknown name, failures are counted per
username in `login_throttles` for every name, and the refusal text is one sentence
for a wrong username, password or code. A known user's counter and lock
(`users.failed_logins`, `locked_until`) mirror that throttle, so a real name locks at
exactly the moment an invented one does.

A failed sign-in must leave its trace (the counter, the audit event) although it is
refused: `attempt_login` therefore *returns* a refusal instead of raising, and
`login` commits before it raises `Unauthenticated`.

Nothing here writes a password, a token or a TOTP secret or code to a log or an
audit event; unknown usernames are audited only as a SHA-256 prefix, since people
do type their password into the username field.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shaheen.access import credentials, service
from shaheen.access.models import UserSession
from shaheen.access.rules import Action, Principal, needs_second_factor, require
from shaheen.access.schemas import LoginOutcome, NewCredentials, SignedIn, UserRow
from shaheen.agencies import service as agencies
from shaheen.agencies.enums import Role
from shaheen.agencies.models import User
from shaheen.audit import service as audit
from shaheen.config import Settings, get_settings
from shaheen.errors import BadInput, Forbidden, NotFound, Unauthenticated
from shaheen.store.base import utcnow
from shaheen.store.engine import write_scope

log = logging.getLogger(__name__)

REFUSED = "sign-in failed: wrong username, password or code"
MAX_USERNAME = 64
# Writing `last_used_at` on every command would make every read a write; a minute's
# precision is enough for the idle timeout.
_TOUCH_AFTER = timedelta(minutes=1)


def _locked_message(username: str, until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return (
        f"too many failed sign-ins for {username!r}: try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}, or ask an administrator of your agency"
    )


def _name_for_audit(username: str, user: User | None) -> dict[str, str]:
    if user is not None:
        return {"username": user.username}
    return {"username_sha256": hashlib.sha256(username.encode()).hexdigest()[:16]}


# --- Sign-in with a password (and a TOTP code) -----------------------------------------


def attempt_login(
    *,
    session: Session,
    username: str,
    password: str,
    code: str | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> LoginOutcome:
    """Check a username, password and TOTP code; on success open a session.

    Returns the outcome instead of raising for a refusal, because the failure must be
    committed (counter, lock, audit) by the caller all the same. Only flushes.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    if not username or len(username) > MAX_USERNAME:
        raise BadInput(f"a username has 1 to {MAX_USERNAME} characters")
    window = timedelta(minutes=settings.login_lockout_minutes)
    throttle = service.ensure_throttle(session=session, username=username, now=now)
    user = service.get_user(session=session, username=username, for_update=True)
    blocked = max(
        (t for t in (throttle.blocked_until, user.locked_until if user else None) if t),
        default=None,
    )
    if blocked is not None and blocked > now:
        _audit_login(session, username, user, "rejected", {"reason": "locked"})
        return LoginOutcome(refusal=_locked_message(username, blocked, now))

    # argon2 runs in every case, against a dummy hash when there is no user.
    password_ok = credentials.verify_password(user.password_hash if user else None, password)
    reason: str | None = None
    second_factor = False
    if user is None:
        reason = "unknown username"
    elif not password_ok:
        reason = "wrong password"
    elif not user.active:
        reason = "disabled"
    elif user.totp_secret:
        step = credentials.match_totp(
            user.totp_secret, code or "", at=now, last_step=user.totp_last_step
        )
        if step is None:
            reason = "wrong or reused second-factor code"
        else:
            user.totp_last_step = step
            second_factor = True

    if reason is not None:
        if throttle.window_started_at + window <= now or throttle.blocked_until:
            throttle.window_started_at, throttle.failures = now, 0
            throttle.blocked_until = None
        throttle.failures += 1
        locked = throttle.failures >= settings.login_max_failures
        if locked:
            throttle.blocked_until = now + window
        if user is not None:
            user.failed_logins = throttle.failures
            user.locked_until = throttle.blocked_until
        session.flush()
        details: dict[str, Any] = {"reason": reason, "failures": throttle.failures}
        if throttle.blocked_until is not None:
            details["locked_until"] = throttle.blocked_until.isoformat()
        _audit_login(session, username, user, "rejected", details)
        log.info("sign-in refused (%s)", reason)
        if locked and throttle.blocked_until is not None:
            return LoginOutcome(refusal=_locked_message(username, throttle.blocked_until, now))
        return LoginOutcome(refusal=REFUSED)

    assert user is not None and user.password_hash is not None
    session.delete(throttle)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if credentials.needs_rehash(user.password_hash):
        user.password_hash = credentials.hash_password(password)
    token = _open_session(session, user, "password", second_factor, now, settings)
    missing = needs_second_factor(user.role, user.platform_admin) and not user.totp_secret
    _audit_login(
        session,
        username,
        user,
        "ok",
        {"method": "password", "second_factor": second_factor},
    )
    return LoginOutcome(
        signed_in=SignedIn(
            token=token,
            username=user.username,
            second_factor=second_factor,
            must_change_password=user.must_change_password,
            second_factor_missing=missing,
        )
    )


def login(
    sessions: sessionmaker[Session],
    *,
    username: str,
    password: str,
    code: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    """Sign in, committing the attempt whatever its outcome; `Unauthenticated` if
    refused."""
    with write_scope(sessions) as session:
        outcome = attempt_login(
            session=session, username=username, password=password, code=code, now=now
        )
    if outcome.signed_in is None:
        raise Unauthenticated(outcome.refusal or REFUSED)
    return outcome.signed_in


def _open_session(
    session: Session,
    user: User,
    method: str,
    second_factor: bool,
    now: datetime,
    settings: Settings,
) -> str:
    token = credentials.new_token()
    service.create_session(
        session=session,
        user=user,
        token_sha256=token.digest,
        method=method,
        second_factor=second_factor,
        now=now,
        expires_at=now + timedelta(hours=settings.session_hours),
    )
    return token.value


def _audit_login(
    session: Session,
    username: str,
    user: User | None,
    outcome: str,
    details: dict[str, Any],
) -> None:
    audit.record(
        session=session,
        actor=user.username if user else "unknown",
        action="user.login",
        object_type="user",
        object_id=user.id if user else "unknown",
        details={**_name_for_audit(username, user), **details},
        outcome=outcome,
        user_id=user.id if user else None,
        agency_id=user.agency_id if user else None,
    )


# --- Sessions → principals --------------------------------------------------------------


def _session_user(
    session: Session, token: str | None, now: datetime, settings: Settings
) -> tuple[UserSession, User]:
    again = "sign in again: `shaheen login USERNAME`"
    if not token or not token.strip():
        raise Unauthenticated("sign in first: `shaheen login USERNAME`")
    digest = credentials.token_digest(token)
    row = service.get_session(session=session, token_sha256=digest)
    # The lookup is by digest; comparing again in constant time costs nothing and does
    # not rely on how the database compares strings.
    if row is None or not credentials.same_digest(row.token_sha256, digest):
        raise Unauthenticated(f"this session is not known here; {again}")
    if row.revoked_at is not None:
        raise Unauthenticated(
            f"this session was ended (signed out, password reset or account disabled); {again}"
        )
    idle = timedelta(minutes=settings.session_idle_minutes)
    if row.expires_at <= now or row.last_used_at + idle <= now:
        raise Unauthenticated(f"your session has expired; {again}")
    user = service.get_user_by_id(session=session, user_id=row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("this account is disabled; ask an administrator of your agency")
    if user.locked_until is not None and user.locked_until > now:
        raise Unauthenticated(
            "this account is locked after failed sign-ins; "
            "try again later or ask an administrator of your agency"
        )
    return row, user


def principal_for_token(
    session: Session,
    token: str | None,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> Principal:
    """The signed-in person a session token stands for.

    Refuses (`Unauthenticated`) a missing or unknown token, an ended or expired
    session, a disabled or locked user, and a user who must first replace a
    temporary password. Marks the session as used (flush only).
    """
    settings = settings or get_settings()
    now = now or utcnow()
    row, user = _session_user(session, token, now, settings)
    if user.must_change_password and row.method == "password":
        raise Unauthenticated(
            "your password is temporary: choose your own with `shaheen user passwd` first"
        )
    if now - row.last_used_at >= _TOUCH_AFTER:
        row.last_used_at = now
        session.flush()
    return _principal(session, user, second_factor=row.second_factor)


def _principal(session: Session, user: User, *, second_factor: bool) -> Principal:
    agency = service.get_agency(session=session, agency_id=user.agency_id)
    return Principal(
        user.username,
        user_id=user.id,
        agency_id=user.agency_id,
        agency_kind=agency.kind if agency else None,
        role=user.role,
        platform_admin=user.platform_admin,
        second_factor=second_factor,
    )


def logout(session: Session, token: str | None, *, now: datetime | None = None) -> bool:
    """End the session of `token`; whether there was an open one."""
    now = now or utcnow()
    if not token:
        return False
    row = service.get_session(session=session, token_sha256=credentials.token_digest(token))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    user = service.get_user_by_id(session=session, user_id=row.user_id)
    session.flush()
    if user is not None:
        audit.record(
            session=session,
            actor=user.username,
            action="user.logout",
            object_type="user",
            object_id=user.id,
            user_id=user.id,
            agency_id=user.agency_id,
        )
    return True


def change_password(
    session: Session,
    *,
    token: str | None,
    current: str,
    new: str,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> None:
    """The signed-in person replaces their password (a temporary one included).
    Every other session of theirs ends."""
    settings = settings or get_settings()
    now = now or utcnow()
    row, user = _session_user(session, token, now, settings)
    if not credentials.verify_password(user.password_hash, current):
        raise Unauthenticated("the current password is wrong")
    credentials.check_new_password(new, username=user.username)
    if credentials.verify_password(user.password_hash, new):
        raise BadInput("the new password must differ from the current one")
    user.password_hash = credentials.hash_password(new)
    user.password_changed_at, user.must_change_password = now, False
    service.revoke_sessions(session=session, user_id=user.id, now=now, keep=row.id)
    audit.record(
        session=session,
        actor=user.username,
        action="user.password_change",
        object_type="user",
        object_id=user.id,
        user_id=user.id,
        agency_id=user.agency_id,
    )


# --- User administration ----------------------------------------------------------------


@contextmanager
def guarded(
    sessions: sessionmaker[Session],
    *,
    actor: Principal,
    action: str,
    username: str,
) -> Iterator[Session]:
    """A transaction for one administrative action on `username`: if it is refused,
    nothing stays but the refusal in the audit log (see `audit.attempt`)."""
    with audit.attempt(
        sessions,
        actor=actor.actor,
        action=action,
        object_type="user",
        object_id=username,
        details={"username": username},
        user_id=actor.user_id,
        agency_id=actor.agency_id,
    ) as session:
        yield session


def _managed(session: Session, actor: Principal, username: str) -> User:
    """The user `username`, if `actor` may administer them.

    The operator administers everyone; a platform administrator, the administrators
    of every agency; an agency's administrator, the people of that agency only. A
    user of another agency is answered as not found.
    """
    target = service.get_user(session=session, username=username)
    if target is None:
        raise NotFound(f"no user {username!r}")
    if actor.is_system:
        return target
    if actor.platform_admin and (target.role is Role.ADMIN or target.platform_admin):
        require(actor, Action.AGENCY_ADMIN)
        return target
    require(actor, Action.USER_ADMIN)
    if actor.agency_id != target.agency_id:
        raise NotFound(f"no user {username!r}")
    if target.platform_admin:
        raise Forbidden("only a platform administrator manages a platform administrator")
    return target


def _audit_admin(
    session: Session,
    actor: Principal,
    action: str,
    target: User,
    details: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session=session,
        actor=actor.actor,
        action=action,
        object_type="user",
        object_id=target.id,
        details={"username": target.username, **(details or {})},
        user_id=actor.user_id,
        agency_id=target.agency_id,
    )


def add_user(
    session: Session,
    *,
    actor: Principal,
    agency_code: str,
    username: str,
    role: Role,
    display_name: str | None = None,
    email: str | None = None,
    platform_admin: bool = False,
    oidc_subject: str | None = None,
    now: datetime | None = None,
) -> NewCredentials:
    """Add a person with a temporary password (to replace at first sign-in) and, for
    roles that need a second factor, an enrolled TOTP secret."""
    now = now or utcnow()
    if not username or len(username) > MAX_USERNAME or not username.isprintable():
        raise BadInput(f"a username has 1 to {MAX_USERNAME} printable characters")
    agency = agencies.require_by_code(session=session, code=agency_code)
    if not actor.is_system:
        if platform_admin or (role is Role.ADMIN and actor.agency_id != agency.id):
            require(actor, Action.AGENCY_ADMIN)
        else:
            require(actor, Action.USER_ADMIN)
            if actor.agency_id != agency.id:
                raise Forbidden("you add people to your own agency only")
    user = service.create_user(
        session=session,
        agency=agency,
        username=username,
        display_name=display_name or username,
        role=role,
        email=email,
        platform_admin=platform_admin,
    )
    user.oidc_subject = oidc_subject
    temporary = credentials.temporary_password()
    user.password_hash = credentials.hash_password(temporary)
    user.must_change_password, user.password_changed_at = True, now
    uri = None
    if needs_second_factor(role, platform_admin):
        user.totp_secret = credentials.new_totp_secret()
        uri = credentials.totp_uri(user.totp_secret, username=username)
    session.flush()
    _audit_admin(
        session,
        actor,
        "user.add",
        user,
        {
            "agency": agency.code,
            "role": role.value,
            "platform_admin": platform_admin,
            "second_factor_enrolled": uri is not None,
        },
    )
    return NewCredentials(username, temporary, uri)


def reset_password(
    session: Session, *, actor: Principal, username: str, now: datetime | None = None
) -> NewCredentials:
    """A new temporary password for `username` (who must replace it at sign-in);
    their sessions end and a lock-out is lifted."""
    now = now or utcnow()
    target = _managed(session, actor, username)
    temporary = credentials.temporary_password()
    target.password_hash = credentials.hash_password(temporary)
    target.must_change_password, target.password_changed_at = True, now
    _unlock(session, target)
    ended = service.revoke_sessions(session=session, user_id=target.id, now=now)
    _audit_admin(session, actor, "user.password_reset", target, {"sessions_ended": ended})
    return NewCredentials(target.username, temporary, None)


def set_active(
    session: Session,
    *,
    actor: Principal,
    username: str,
    active: bool,
    now: datetime | None = None,
) -> None:
    """Disable a person (their sessions end) or enable them (a lock-out is lifted)."""
    now = now or utcnow()
    target = _managed(session, actor, username)
    if not active and target.id == actor.user_id:
        raise BadInput("you cannot disable yourself; ask another administrator")
    target.active = active
    if active:
        _unlock(session, target)
    else:
        service.revoke_sessions(session=session, user_id=target.id, now=now)
    session.flush()
    _audit_admin(session, actor, "user.enable" if active else "user.disable", target)


def _unlock(session: Session, user: User) -> None:
    user.failed_logins, user.locked_until = 0, None
    service.clear_throttle(session=session, username=user.username)


def enrol_totp(session: Session, *, actor: Principal, username: str | None = None) -> str:
    """A new TOTP secret for `username` (default: the actor), as an otpauth URI.

    A person enrols their own first factor freely, but replaces an enrolled one only
    from a session signed in with it; otherwise an administrator re-enrols them.
    """
    name = username or actor.username
    if not actor.is_system and name == actor.username:
        target = service.get_user(session=session, username=name)
        if target is None:
            raise NotFound(f"no user {name!r}")
        if target.totp_secret and not actor.second_factor:
            raise Forbidden(
                "replacing your second factor needs a sign-in with it; "
                "or ask an administrator of your agency"
            )
    else:
        target = _managed(session, actor, name)
    target.totp_secret = credentials.new_totp_secret()
    target.totp_last_step = None
    session.flush()
    _audit_admin(session, actor, "user.totp_enrol", target)
    return credentials.totp_uri(target.totp_secret, username=target.username)


def list_users(session: Session, *, actor: Principal, now: datetime | None = None) -> list[UserRow]:
    """The people the actor administers: everyone for the operator and platform
    administrators, one's own agency for an agency's administrator."""
    now = now or utcnow()
    if actor.is_system or actor.platform_admin:
        if not actor.is_system:
            require(actor, Action.AGENCY_ADMIN)
        rows = service.list_users(session=session)
    else:
        require(actor, Action.USER_ADMIN)
        rows = service.list_users(session=session, agency_id=actor.agency_id)
    codes = {}
    result = []
    for user in rows:
        if user.agency_id not in codes:
            agency = service.get_agency(session=session, agency_id=user.agency_id)
            codes[user.agency_id] = agency.code if agency else "?"
        result.append(
            UserRow(
                username=user.username,
                agency=codes[user.agency_id],
                role=user.role,
                platform_admin=user.platform_admin,
                active=user.active,
                locked=bool(user.locked_until and user.locked_until > now),
                second_factor=user.totp_secret is not None,
                must_change_password=user.must_change_password,
                last_login_at=user.last_login_at,
            )
        )
    return result


# --- Sign-in through an agency's identity provider ---------------------------------------

#: `amr` values (RFC 8176) by which the identity provider asserts a second factor.
SECOND_FACTOR_AMR = frozenset({"mfa", "otp"})


def attempt_oidc_sign_in(
    session: Session,
    *,
    agency_code: str,
    match: str,
    claims: dict[str, Any],
    now: datetime | None = None,
    settings: Settings | None = None,
) -> LoginOutcome:
    """Open a session for the person whose validated ID-token `claims` the agency's
    identity provider vouched for; only a user of that agency can match. Like
    `attempt_login`, returns a refusal (audited) rather than raising."""
    settings = settings or get_settings()
    now = now or utcnow()
    agency = agencies.require_by_code(session=session, code=agency_code)
    user: User | None = None
    subject = str(claims.get("sub") or "")
    if match == "subject" and subject:
        user = service.find_by_oidc_subject(session=session, agency_id=agency.id, subject=subject)
    elif match == "email" and claims.get("email") and claims.get("email_verified") is True:
        user = service.find_by_email(
            session=session, agency_id=agency.id, email=str(claims["email"])
        )
    reason = None
    if user is None:
        reason = "no matching user"
    elif not user.active:
        reason = "disabled"
    elif user.locked_until and user.locked_until > now:
        reason = "locked"
    if user is None or reason is not None:
        audit.record(
            session=session,
            actor="unknown" if user is None else user.username,
            action="user.login",
            object_type="user",
            object_id="unknown" if user is None else user.id,
            details={"method": "oidc", "agency": agency.code, "reason": reason},
            outcome="rejected",
            user_id=None if user is None else user.id,
            agency_id=agency.id,
        )
        return LoginOutcome(
            refusal=f"the identity provider of {agency.code} signed you in, but no active "
            f"Shaheen user of {agency.code} matches you; ask an administrator of your agency"
        )
    amr = claims.get("amr") or []
    second_factor = isinstance(amr, list) and bool(SECOND_FACTOR_AMR & {str(v) for v in amr})
    user.last_login_at = now
    token = _open_session(session, user, "oidc", second_factor, now, settings)
    audit.record(
        session=session,
        actor=user.username,
        action="user.login",
        object_type="user",
        object_id=user.id,
        details={
            "username": user.username,
            "method": "oidc",
            "agency": agency.code,
            "second_factor": second_factor,
        },
        user_id=user.id,
        agency_id=user.agency_id,
    )
    missing = needs_second_factor(user.role, user.platform_admin) and not second_factor
    return LoginOutcome(signed_in=SignedIn(token, user.username, second_factor, False, missing))


def principal_of(session: Session, user: User, *, second_factor: bool) -> Principal:
    """The principal of a user the caller has already authenticated (a signed-in session,
    or the demo's scripted people, acting through the same services as everyone)."""
    return _principal(session, user, second_factor=second_factor)
