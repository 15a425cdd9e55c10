"""The agencies of tests/tasks/world.py on the rolled-back `session`, and the API over
the review desk (tests/api/conftest.py) for the HTTP tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.api.conftest import api, desk
from tests.tasks.world import World, build_world

__all__ = ["api", "desk"]


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)
