"""FastAPI dependencies every router uses: `SessionsDep`, `SessionDep`, `CurrentUser`.

* `SessionsDep` is the app's session factory. Services that guard an action with
  `audit.attempt` (claims, decisions, referrals) open their own transaction from it, so
  that a refusal leaves its audit entry although the action rolls back.
* `SessionDep` is one session per request for the rest: the request owns the
  transaction, committed when the route returns, rolled back if it raises.
* `CurrentUser` is who the `Authorization: Bearer TOKEN` header stands for, through
  `AUTHENTICATORS`: each is asked in turn and answers a `Principal`, `None` (not one of
  mine) or raises `Unauthenticated` (mine, but no longer good). Nobody or an unknown
  token is 401 with `WWW-Authenticate` (see `errors.py`). The principal is resolved in a
  short transaction of its own, committed at once (a session's last use is written
  there), so that no route's transaction waits on it. An API token seen good in the
  last few seconds is answered from the app's `tokens.PrincipalCache` without the
  database (the staleness bound is in `access/tokens.py`).

Per request the work that blocks (the database) runs in the thread pool, and nothing
else does: the dependencies here are `async` and hop to a thread only for a database
call (a miss of the token cache, the route session's commit), since each hop costs
about as much as a small query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shaheen.access import flows as access
from shaheen.access import tokens
from shaheen.access.credentials import TOKEN_PREFIX
from shaheen.access.rules import Principal
from shaheen.errors import Unauthenticated

#: Turns a bearer token into a principal, or None if the token is not its kind.
Authenticator = Callable[[Session, str], Principal | None]


def person_session(session: Session, token: str) -> Principal | None:
    """A person's session token (`shaheen login`, `POST /api/v1/sessions`)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return access.principal_for_token(session, token)


def _api_tokens() -> list[Authenticator]:
    """Integrations' API tokens (`shaheen token create`)."""
    authenticator: Authenticator = tokens.principal_for_api_token
    return [authenticator]


#: Asked in order; the first that knows the token answers for it.
AUTHENTICATORS: list[Authenticator] = [*_api_tokens(), person_session]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="a session token (`POST /api/v1/sessions`, `shaheen login`) or an API token",
)


async def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]


def _finish(session: Session, ok: bool) -> None:
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_session(sessions: SessionsDep) -> AsyncIterator[Session]:
    """`store.engine.session_scope` with one thread hop: making a session does no I/O
    (it connects on first use, in the route's thread); committing does."""
    session = sessions()
    try:
        yield session
    except BaseException:
        await _end(session, False)
        raise
    await _end(session, True)


async def _end(session: Session, ok: bool) -> None:
    if session.in_transaction():
        await run_in_threadpool(_finish, session, ok)
    else:
        # Never touched the database (a lookup answered from memory): nothing to
        # commit, and no thread hop, which costs as much as the lookup itself.
        session.close()


# Committed when the route returns, before the response is sent: a failed commit is
# the client's error response, never a success that did not happen.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def authenticate(session: Session, token: str | None) -> Principal:
    """The principal `token` stands for, or `Unauthenticated`."""
    if not token or not token.strip():
        raise Unauthenticated("send your token: `Authorization: Bearer TOKEN`")
    token = token.strip()
    for authenticator in AUTHENTICATORS:
        principal = authenticator(session, token)
        if principal is not None:
            return principal
    raise Unauthenticated("this token is not known here")


#: The bearer credentials as sent (for signing out: which session to end).
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _token_cache(request: Request) -> tokens.PrincipalCache:
    cache: tokens.PrincipalCache | None = getattr(request.app.state, "token_cache", None)
    if cache is None:
        cache = request.app.state.token_cache = tokens.PrincipalCache()
    return cache


def _authenticate_in_transaction(
    sessions: sessionmaker[Session], token: str | None, cache: tokens.PrincipalCache
) -> Principal:
    with sessions.begin() as session:
        if token and tokens.is_api_token(token):
            principal = cache.principal(session, token.strip())
            if principal is not None:
                return principal
        return authenticate(session, token)


async def get_current_user(
    request: Request, sessions: SessionsDep, credentials: BearerDep
) -> Principal:
    token = credentials.credentials if credentials else None
    cache = _token_cache(request)
    if token:
        principal = cache.cached(token.strip())  # no I/O: stays on the event loop
        if principal is not None:
            return principal
    return await run_in_threadpool(_authenticate_in_transaction, sessions, token, cache)


CurrentUser = Annotated[Principal, Depends(get_current_user)]
