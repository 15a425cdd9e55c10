"""API tokens for integrations: made, listed and revoked by an agency's administrator.

A collector, a dashboard or another agency's system cannot type a password and a TOTP
code; it holds a token instead. What a token is, and why:

* a 256-bit random value (`secrets.token_urlsafe(32)`) after the prefix `shk_`, shown
  once to the administrator who makes it. The prefix tells an API token from a
  person's session token (`shs_`) before any database look-up, and lets secret
  scanners recognise a leaked one. Only its SHA-256 is stored: the value has 256 bits
  of entropy, so a fast hash is enough (argon2 is for low-entropy passwords), and a
  copy of the database lets no one act as the integration;
* it acts for one agency in one role, optionally narrowed to some of that role's
  actions (`--action`); never the administrator role, because changing who may do
  what stays a person's act;
* it is an *integration*, not a person: its principal has no `user_id`, so acts the
  domain reserves for a named person (deciding a case, recording a referral as
  someone's) are refused with "sign in as a person". The audit log names it
  `token:NAME` with its agency;
* second factor: the token carries one only if the person who made it had signed in
  with one *and* its role has actions that need one (`needs_second_factor`).
  Administrators need a second factor to make tokens at all (user administration is
  a sensitive action) and the operator's `system` counts as having one, so in
  practice a token of a sensitive role can take its role's sensitive actions that are
  not reserved for persons (evidence export);
* it expires (`--expires-days`, at most two years), can be revoked, and stops working
  when the administrator who made it is disabled or its agency is gone: one who
  leaves takes their tokens with them, and their successor makes new ones (tokens
  the operator made with `--operator` end only by expiry or revocation);
* each use is recorded (`last_used_at`, to the minute: writing on every request would
  turn every read into a write), and each token has its own rate limit, a token bucket
  in the serving process (`api_token_rate` per second, `api_token_burst` at once);
* the server remembers a good token's principal for `CACHE_SECONDS` (`PrincipalCache`),
  so that an integration's requests cost no database round trip to authenticate.
  Revoking a token forgets it at once in the process that revoked it; anything else
  that ends a token elsewhere (a revocation by another process, its maker disabled,
  its agency gone) takes effect within `CACHE_SECONDS`. Expiry and the rate limit are
  checked on every request, cached or not.

Functions take the caller's session and only flush; the caller owns the transaction.
Nothing here logs a token value.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shaheen.access import credentials
from shaheen.access.models import ApiToken
from shaheen.access.rules import GRANTS, Action, Principal, needs_second_factor, require
from shaheen.agencies import service as agencies
from shaheen.agencies.enums import Role
from shaheen.agencies.models import Agency, User
from shaheen.audit import service as audit
from shaheen.config import Settings, get_settings
from shaheen.errors import BadInput, Forbidden, NotFound, RateLimited, Unauthenticated
from shaheen.store.base import utcnow

#: Starts every API token (session tokens start `shs_`).
TOKEN_PREFIX = "shk_"
MAX_NAME = 64
DEFAULT_DAYS = 90
MAX_DAYS = 730
#: Characters of the value kept to tell tokens apart in a list: the prefix and four
#: random characters (24 bits, which say nothing useful about the other 232).
HINT_LENGTH = len(TOKEN_PREFIX) + 4
_TOUCH_AFTER = timedelta(minutes=1)

log = logging.getLogger(__name__)


def is_api_token(value: str | None) -> bool:
    """Whether `value` is shaped like an API token (not whether it is a good one)."""
    return bool(value) and value is not None and value.strip().startswith(TOKEN_PREFIX)


@dataclass(frozen=True)
class TokenPrincipal(Principal):
    """The principal of an API token: its role's actions, narrowed to `scope` if set."""

    token_id: int = 0
    scope: frozenset[Action] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.scope is not None:
            object.__setattr__(self, "actions", self.actions & self.scope)


@dataclass(frozen=True, slots=True)
class NewApiToken:
    """A token just made: `value` is shown once and kept nowhere."""

    id: int
    name: str
    agency: str
    role: Role
    value: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ApiTokenRow:
    """One token as `shaheen token list` shows it (never its value)."""

    id: int
    name: str
    agency: str
    role: Role
    actions: tuple[str, ...] | None
    hint: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


# --- Rate limits -------------------------------------------------------------------------


class RateLimiter:
    """Token buckets keyed by API token id: `rate` requests a second, `burst` at once.

    In-process: each server process limits on its own, which is what a small
    deployment needs and costs no round trip; a fleet behind a balancer would divide
    the rate by its processes. Thread-safe (the server runs sync endpoints in threads).
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[int, tuple[float, float]] = {}  # id -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: int) -> None:
        """Spend one request of `key`'s bucket, or raise `RateLimited`."""
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise RateLimited(
                    f"too many requests with this API token: try again in {wait:.1f} s",
                    retry_after=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)


_limiters: dict[tuple[float, int], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(settings: Settings) -> RateLimiter:
    """The process's limiter for these settings (one per rate and burst). With several
    server processes each takes its share, so that together they never allow more than
    the settings say (a client on one kept-alive connection, served by one process, gets
    that share only: the safe side of a limit)."""
    share = settings.workers
    key = (settings.api_token_rate / share, max(1, settings.api_token_burst // share))
    with _limiters_lock:
        if key not in _limiters:
            _limiters[key] = RateLimiter(*key)
        return _limiters[key]


# --- Tokens → principals -----------------------------------------------------------------

# When this process last recorded each token's use (by digest: ids repeat across
# databases), so that of a burst of parallel requests one writes, not all: on SQLite
# every other would wait for, or fail on, the write lock.
_touched: dict[str, datetime] = {}
_touched_lock = threading.Lock()


def _touch_due(key: str, last_used_at: datetime | None, now: datetime) -> bool:
    with _touched_lock:
        last = max((t for t in (last_used_at, _touched.get(key)) if t), default=None)
        if last is not None and now - last < _TOUCH_AFTER:
            return False
        _touched[key] = now
        return True


def _forget_touch(key: str) -> None:
    with _touched_lock:
        _touched.pop(key, None)


def _check_and_take(
    session: Session,
    token: str | None,
    *,
    now: datetime,
    settings: Settings,
    limiter: RateLimiter | None,
) -> tuple[TokenPrincipal, datetime] | None:
    """`principal_for_api_token`, and the token's expiry (for `PrincipalCache`)."""
    if token is None or not is_api_token(token):
        return None
    digest = credentials.token_digest(token)
    found = session.execute(
        select(ApiToken, Agency, User)
        .outerjoin(Agency, Agency.id == ApiToken.agency_id)
        .outerjoin(User, User.id == ApiToken.created_by)
        .where(ApiToken.token_sha256 == digest)
    ).one_or_none()
    # Looked up by digest; compared again in constant time, whatever the database's
    # string comparison does.
    if found is None or not credentials.same_digest(found[0].token_sha256, digest):
        raise Unauthenticated("this API token is not known here")
    row, agency, maker = found
    if row.revoked_at is not None:
        raise Unauthenticated(f"API token {row.name!r} was revoked")
    if row.expires_at <= now:
        raise Unauthenticated(f"API token {row.name!r} has expired; ask for a new one")
    if agency is None:
        raise Unauthenticated(f"API token {row.name!r} belongs to an agency that is gone")
    if row.created_by is not None and (maker is None or not maker.active):
        raise Unauthenticated(
            f"the person who made API token {row.name!r} is disabled or gone; "
            "an administrator of the agency makes a new one"
        )
    (limiter or limiter_for(settings)).take(row.id)
    if _touch_due(row.token_sha256, row.last_used_at, now):
        try:
            with session.begin_nested():
                row.last_used_at = now
        except OperationalError:
            # SQLite refuses a write that races another writer's commit at once; the last
            # use is kept to the minute, and the next request of the minute records it.
            _forget_touch(row.token_sha256)
            log.debug("last use of API token %s not recorded: database busy", row.id)
    principal = TokenPrincipal(
        f"token:{row.name}",
        agency_id=agency.id,
        agency_kind=agency.kind,
        role=row.role,
        second_factor=row.second_factor,
        token_id=row.id,
        scope=frozenset(Action(a) for a in row.actions) if row.actions is not None else None,
    )
    return principal, row.expires_at


def principal_for_api_token(
    session: Session,
    token: str | None,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    limiter: RateLimiter | None = None,
) -> Principal | None:
    """The integration an API token stands for.

    None when `token` is not an API token at all (no `shk_` prefix: perhaps a session
    token, for the caller to try next). `Unauthenticated` for an API token that is
    unknown, revoked or expired, whose maker is disabled or gone, or whose agency is
    gone; `RateLimited` when it has been used too often just now. Records the use
    (flush only).
    """
    found = _check_and_take(
        session,
        token,
        now=now or utcnow(),
        settings=settings or get_settings(),
        limiter=limiter,
    )
    return found[0] if found is not None else None


class PrincipalCache:
    """Good API tokens' principals, by the token's digest, for `seconds` (see above).

    Only good answers are kept: an unknown or refused token is asked of the database
    each time, so a token made a moment ago works at once. Thread-safe; one per app.
    """

    def __init__(self, seconds: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds or CACHE_SECONDS
        self._clock = clock
        self._kept: dict[str, tuple[TokenPrincipal, datetime, float]] = {}
        self._lock = threading.Lock()
        with _caches_lock:
            _caches.add(self)

    def cached(
        self, token: str, *, now: datetime | None = None, settings: Settings | None = None
    ) -> Principal | None:
        """The principal of a token seen good within `seconds`, its rate limit taken;
        None when the database must be asked (`principal`)."""
        if not is_api_token(token):
            return None
        digest = credentials.token_digest(token)
        with self._lock:
            kept = self._kept.get(digest)
            if kept is None:
                return None
            principal, expires_at, until = kept
            if self._clock() >= until or expires_at <= (now or utcnow()):
                del self._kept[digest]
                return None
        limiter_for(settings or get_settings()).take(principal.token_id)
        return principal

    def principal(
        self,
        session: Session,
        token: str,
        *,
        now: datetime | None = None,
        settings: Settings | None = None,
    ) -> Principal | None:
        """`principal_for_api_token`, remembered if good."""
        found = _check_and_take(
            session, token, now=now or utcnow(), settings=settings or get_settings(), limiter=None
        )
        if found is None:
            return None
        principal, expires_at = found
        with self._lock:
            if len(self._kept) >= MAX_CACHED:
                self._kept.clear()  # a flood of distinct tokens: start again, never grow
            self._kept[credentials.token_digest(token)] = (
                principal,
                expires_at,
                self._clock() + self.seconds,
            )
        return principal

    def forget(self, digest: str) -> None:
        with self._lock:
            self._kept.pop(digest, None)


#: How long a server trusts a token it has seen good without asking the database again.
CACHE_SECONDS = 5.0
MAX_CACHED = 10_000
_caches: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()
_caches_lock = threading.Lock()


def _forget_everywhere(digest: str) -> None:
    with _caches_lock:
        caches = list(_caches)
    for cache in caches:
        cache.forget(digest)


# --- Administration ----------------------------------------------------------------------


def _scope(role: Role, actions: Iterable[str] | None) -> list[str] | None:
    if actions is None:
        return None
    chosen: set[Action] = set()
    for value in actions:
        try:
            chosen.add(Action(value))
        except ValueError:
            known = ", ".join(a.value for a in GRANTS[role])
            raise BadInput(f"unknown action {value!r}; {role.value} may: {known}") from None
    outside = chosen - GRANTS[role]
    if outside:
        names = ", ".join(sorted(a.value for a in outside))
        raise BadInput(f"a {role.value} may not {names}: a token's actions are its role's")
    if not chosen:
        raise BadInput("give at least one action, or none to allow all of the role's")
    return sorted(a.value for a in chosen)


def _audit(
    session: Session, actor: Principal, action: str, row: ApiToken, **details: object
) -> None:
    audit.record(
        session=session,
        actor=actor.actor,
        action=action,
        object_type="api_token",
        object_id=row.id,
        details={"name": row.name, **details},
        user_id=actor.user_id,
        agency_id=row.agency_id,
    )


def create_token(
    session: Session,
    *,
    actor: Principal,
    name: str,
    role: Role,
    agency_code: str | None = None,
    actions: Sequence[str] | None = None,
    expires_days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> NewApiToken:
    """Make a token for the actor's agency (the operator names any agency)."""
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise BadInput(f"a token's name has 1 to {MAX_NAME} printable characters")
    if not 1 <= expires_days <= MAX_DAYS:
        raise BadInput(f"a token expires after 1 to {MAX_DAYS} days")
    if role is Role.ADMIN:
        raise BadInput("no token acts as an administrator: administration is a person's act")
    if actor.is_system:
        if not agency_code:
            raise BadInput("the operator names the agency: --agency CODE")
        agency = agencies.require_by_code(session=session, code=agency_code)
        maker = None  # the operator's own tokens end only by expiry or revocation
    else:
        require(actor, Action.USER_ADMIN)
        own = session.get(Agency, actor.agency_id) if actor.agency_id is not None else None
        if agency_code:
            own = agencies.require_by_code(session=session, code=agency_code)
        if own is None or own.id != actor.agency_id:
            raise Forbidden("you make tokens for your own agency only")
        agency = own
        maker = session.get(User, actor.user_id) if actor.user_id is not None else None
        if maker is None:
            raise Unauthenticated(f"user {actor.username!r} no longer exists")
    scope = _scope(role, actions)
    if session.scalar(
        select(ApiToken.id).where(ApiToken.agency_id == agency.id, ApiToken.name == name)
    ):
        raise BadInput(f"{agency.code} already has a token called {name!r}")
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        agency_id=agency.id,
        created_by=maker.id if maker is not None else None,
        name=name,
        role=role,
        actions=scope,
        second_factor=actor.second_factor and needs_second_factor(role),
        token_sha256=credentials.token_digest(value),
        hint=value[:HINT_LENGTH],
        created_at=now,
        expires_at=now + timedelta(days=expires_days),
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        actor,
        "token.create",
        row,
        role=role.value,
        actions=scope,
        expires_at=row.expires_at.isoformat(),
    )
    return NewApiToken(row.id, name, agency.code, role, value, row.expires_at)


def _visible(session: Session, actor: Principal, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token {token_id}")
    if not actor.is_system:
        require(actor, Action.USER_ADMIN)
        if row.agency_id != actor.agency_id:
            raise NotFound(f"no API token {token_id}")
    return row


def list_tokens(session: Session, *, actor: Principal) -> list[ApiTokenRow]:
    """The tokens of the actor's agency (every agency's for the operator), newest first."""
    query = (
        select(ApiToken, Agency.code, User.username)
        .join(Agency, Agency.id == ApiToken.agency_id)
        .outerjoin(User, User.id == ApiToken.created_by)
        .order_by(ApiToken.id.desc())
    )
    if not actor.is_system:
        require(actor, Action.USER_ADMIN)
        query = query.where(ApiToken.agency_id == actor.agency_id)
    return [
        ApiTokenRow(
            id=row.id,
            name=row.name,
            agency=code,
            role=row.role,
            actions=tuple(row.actions) if row.actions is not None else None,
            hint=row.hint,
            created_by=maker or "operator",
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )
        for row, code, maker in session.execute(query)
    ]


def revoke_token(
    session: Session, *, actor: Principal, token_id: int, now: datetime | None = None
) -> tuple[str, bool]:
    """Revoke a token of the actor's agency; its name, and whether it was still open.
    Another agency's token is answered as not found."""
    now = now or utcnow()
    row = _visible(session, actor, token_id)
    if row.revoked_at is not None:
        return row.name, False
    row.revoked_at = now
    session.flush()
    _audit(session, actor, "token.revoke", row)
    # Forgotten now and again once committed: a request between the two could have
    # read the row as it was before this transaction.
    digest = row.token_sha256
    _forget_everywhere(digest)
    event.listen(session, "after_commit", lambda _: _forget_everywhere(digest), once=True)
    return row.name, True
