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
  there), so that no route's transaction waits on it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access import flows as access
from shaheen.access.credentials import TOKEN_PREFIX
from shaheen.access.rules import Principal
from shaheen.errors import Unauthenticated
from shaheen.store.engine import session_scope

#: Turns a bearer token into a principal, or None if the token is not its kind.
Authenticator = Callable[[Session, str], Principal | None]


def person_session(session: Session, token: str) -> Principal | None:
    """A person's session token (`shaheen login`, `POST /api/v1/sessions`)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return access.principal_for_token(session, token)


def _api_tokens() -> list[Authenticator]:
    """Integrations' API tokens (`shaheen token create`), where this build has them."""
    try:
        tokens = importlib.import_module("shaheen.access.tokens")
    except ModuleNotFoundError as exc:
        if exc.name != "shaheen.access.tokens":
            raise
        return []
    authenticator: Authenticator = tokens.principal_for_api_token
    return [authenticator]


#: Asked in order; the first that knows the token answers for it.
AUTHENTICATORS: list[Authenticator] = [*_api_tokens(), person_session]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="a session token (`POST /api/v1/sessions`, `shaheen login`) or an API token",
)


def get_sessions(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]


def get_session(sessions: SessionsDep) -> Iterator[Session]:
    with session_scope(sessions) as session:
        yield session


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


def get_current_user(sessions: SessionsDep, credentials: BearerDep) -> Principal:
    with sessions.begin() as session:
        return authenticate(session, credentials.credentials if credentials else None)


CurrentUser = Annotated[Principal, Depends(get_current_user)]
