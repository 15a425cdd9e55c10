"""Objects the HTTP matrix (tests/api/test_matrix.py) needs for the sharing and task
routes, made once per `Api`: a provincial agency with its people, a task of CTA to it,
and a share of CTA's open case with it."""

from __future__ import annotations

from sqlalchemy import select

from shaheen.access.flows import principal_of
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.models import User
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.sharing.enums import SharedKind
from shaheen.tasks import service
from shaheen.tasks.shares import share_object
from tests.api.conftest import Api

_made: dict[int, tuple[Api, dict[str, int]]] = {}


def _objects(api: Api) -> dict[str, int]:
    held = _made.get(id(api))
    if held is not None and held[0] is api:
        return held[1]
    with api.desk.sessions.begin() as session:
        kp = ensure_agency(
            session=session, code="CTD-KP", name="CTD-KP", kind=AgencyKind.PROVINCIAL_CTD
        )
        for username, role in (("kp-liaison", Role.LIAISON), ("kp-reviewer", Role.REVIEWER)):
            ensure_user(
                session=session, agency=kp, username=username, display_name=username, role=role
            )
        boss = session.scalar(select(User).where(User.username == "boss"))
        assert boss is not None
        by = principal_of(session, boss, second_factor=True)
        task = service.issue(
            session=session, by=by, title="Weekly return", recipients=["CTD-KP"], due_days=7
        )
        shared = share_object(
            session=session,
            by=by,
            kind=SharedKind.CASE,
            key=str(api.open_case),
            agencies=["CTD-KP"],
        )
    objects = {"task": task, "share": shared.id}
    _made[id(api)] = (api, objects)
    return objects


def task_of(api: Api) -> int:
    return _objects(api)["task"]


def share_of(api: Api) -> int:
    return _objects(api)["share"]
