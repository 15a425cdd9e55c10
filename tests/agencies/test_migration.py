"""Migration 0012 on a database that already has people: they keep their rows, get
no credentials (an administrator resets them), and nobody becomes an administrator."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from shaheen.store import migrate
from shaheen.store.engine import make_engine
from tests.conftest import BACKENDS, FreshDatabases


@pytest.fixture(params=BACKENDS)
def engine_at_0011(request: pytest.FixtureRequest, fresh_databases: FreshDatabases) -> Engine:
    engine = make_engine(fresh_databases.url(request.param))
    migrate.upgrade(engine, "0011")
    return engine


def test_existing_users_get_safe_defaults_and_come_back_down(engine_at_0011: Engine) -> None:
    with engine_at_0011.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO agencies (id, code, name, kind, created_at) "
                "VALUES (1, 'CTA', 'CTA', 'counter_terrorism', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO users (id, agency_id, username, display_name, role, active, "
                "created_at) VALUES (1, 1, 'rev1', 'Rev One', 'reviewer', :yes, "
                "CURRENT_TIMESTAMP)"
            ),
            {"yes": True},
        )
    migrate.upgrade(engine_at_0011, "0012")
    with engine_at_0011.connect() as connection:
        row = connection.execute(
            text(
                "SELECT username, active, password_hash, totp_secret, failed_logins, "
                "must_change_password, platform_admin, locked_until FROM users"
            )
        ).one()
        assert tuple(row) == ("rev1", True, None, None, 0, False, False, None)
        assert connection.execute(text("SELECT count(*) FROM user_sessions")).scalar() == 0
    migrate.downgrade(engine_at_0011, "0011")
    with engine_at_0011.connect() as connection:
        assert connection.execute(text("SELECT username FROM users")).scalar() == "rev1"
