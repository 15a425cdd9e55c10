"""The agencies of tests/tasks/world.py on the rolled-back `session`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.tasks.world import World, build_world


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)
