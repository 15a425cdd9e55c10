"""Sign-in for the browser: the session cookie, CSRF tokens, and who is signed in.

The browser holds the same session token `shaheen login` and `POST /api/v1/sessions`
open (`access/flows.py` does the sign-in, the second factor, the throttle and the audit),
in a cookie that scripts cannot read (`HttpOnly`), that no other site's page sends
(`SameSite=Strict`), and that travels over HTTPS only when the app is served over HTTPS.

Every form carries a CSRF token, and every POST is refused without the right one: the
token is an HMAC of the session token under the instance's secret, so it is tied to
the session and changes with it; before sign-in it is tied to a random pre-session
cookie instead (the sign-in form is a form too). HTMX requests send it as the
`X-CSRF-Token` header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from shaheen.access import flows as access
from shaheen.access.rules import Principal
from shaheen.config import get_settings
from shaheen.errors import Forbidden, Unauthenticated
from shaheen.store.engine import write_scope

SESSION_COOKIE = "shaheen_session"
PRESESSION_COOKIE = "shaheen_presession"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """Nobody (or an ended session) asked for a page: the handler sends them to sign in."""

    def __init__(self, message: str = "", next_path: str = "/") -> None:
        super().__init__(message)
        self.next_path = next_path


def sessions_of(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def _mac(value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The CSRF token the page's forms carry."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return _mac(token)
    pre = request.cookies.get(PRESESSION_COOKIE) or getattr(request.state, "presession", None)
    if not pre:
        pre = secrets.token_urlsafe(24)
        request.state.presession = pre  # set on the response by `remember_presession`
    return _mac("pre:" + pre)


def remember_presession(request: Request, response: Response) -> None:
    pre = getattr(request.state, "presession", None)
    if pre:
        response.set_cookie(
            PRESESSION_COOKIE,
            pre,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )


async def check_csrf(request: Request) -> None:
    """Refuse a POST whose CSRF token is missing or not this session's."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    token = request.cookies.get(SESSION_COOKIE)
    pre = request.cookies.get(PRESESSION_COOKIE)
    expected = _mac(token) if token else (_mac("pre:" + pre) if pre else "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("this form has expired or did not come from this site: reload the page")


CsrfChecked = Depends(check_csrf)


def set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=get_settings().session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _resolve(sessions: sessionmaker[Session], token: str) -> Principal:
    with write_scope(sessions) as session:  # marks the session as used
        return access.principal_for_token(session, token)


def current_person(request: Request) -> Principal:
    """The signed-in person, or a redirect to the sign-in page (then back here)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    token = session_token(request)
    if not token:
        raise SignInRequired("", here)
    try:
        return _resolve(sessions_of(request), token)
    except Unauthenticated as exc:
        raise SignInRequired(str(exc), here) from None


Me = Annotated[Principal, Depends(current_person)]


def safe_next(path: str | None) -> str:
    """Where to go after sign-in: a path on this site only (never `//elsewhere`)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def login_url(next_path: str, message: str = "") -> str:
    url = f"/login?next={quote(safe_next(next_path))}"
    return url + (f"&message={quote(message)}" if message else "")
