"""Signing in and out over HTTP, and `GET /api/v1/me`.

Sign-in goes through `access.flows.login`, the same path as `shaheen login`: the same
throttle, lock-out, audit and refusal text whether or not the username exists. A
person whose password is temporary must first choose their own (`shaheen user
passwd`): their token is refused until then.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from shaheen.access import flows as access
from shaheen.access import service as access_service
from shaheen.api.deps import BearerDep, CurrentUser, SessionDep, SessionsDep
from shaheen.api.errors import problem_responses
from shaheen.api.schemas import Me, SessionToken, SignIn

router = APIRouter(tags=["sessions"])


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionToken,
    responses=problem_responses(401, 422),
    summary="Sign in: a session token",
)
def sign_in(body: SignIn, sessions: SessionsDep) -> SessionToken:
    signed = access.login(
        sessions, username=body.username, password=body.password.get_secret_value(), code=body.code
    )
    return SessionToken(
        token=signed.token,
        username=signed.username,
        second_factor=signed.second_factor,
        must_change_password=signed.must_change_password,
        second_factor_missing=signed.second_factor_missing,
    )


@router.delete(
    "/sessions/current",
    status_code=204,
    responses=problem_responses(401),
    summary="Sign out: end this session",
)
def sign_out(by: CurrentUser, session: SessionDep, credentials: BearerDep) -> Response:
    access.logout(session, credentials.credentials if credentials else None)
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses=problem_responses(401), summary="Who am I")
def me(by: CurrentUser, session: SessionDep) -> Me:
    agency = (
        access_service.get_agency(session=session, agency_id=by.agency_id)
        if by.agency_id is not None
        else None
    )
    return Me(
        username=by.username,
        agency=agency.code if agency else None,
        role=by.role.value if by.role else None,
        platform_admin=by.platform_admin,
        second_factor=by.second_factor,
        actions=sorted(action.value for action in by.actions),
    )
