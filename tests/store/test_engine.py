"""Engines: clear errors for bad URLs and unreachable servers; times kept in UTC."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.models import Agency
from shaheen.errors import ConfigError, DatabaseUnavailable
from shaheen.store.engine import check_connection, make_engine, redact


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_server_names_the_url_and_the_fix() -> None:
    port = _closed_port()
    engine = make_engine(f"postgresql+psycopg://someone:hunter2@127.0.0.1:{port}/shaheen")
    with pytest.raises(DatabaseUnavailable) as caught:
        check_connection(engine)
    message = str(caught.value)
    assert f"127.0.0.1:{port}/shaheen" in message
    assert "hunter2" not in message
    assert "SHAHEEN_DATABASE_URL" in message
    assert "\n" not in message


def test_a_malformed_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        make_engine("not a url at all")


def test_plain_postgresql_urls_use_psycopg() -> None:
    engine = make_engine("postgresql://u@localhost/db")
    assert engine.dialect.driver == "psycopg"


def test_redact_hides_passwords() -> None:
    assert "secret" not in redact("postgresql+psycopg://u:secret@h/db")


def test_times_come_back_aware_in_utc(session: Session) -> None:
    karachi = timezone(timedelta(hours=5))
    created = datetime(2026, 3, 1, 17, 30, tzinfo=karachi)
    session.add(Agency(code="T1", name="t", kind=AgencyKind.REGULATOR, created_at=created))
    session.flush()
    session.expire_all()
    stored = session.scalar(select(Agency.created_at).where(Agency.code == "T1"))
    assert stored == created
    assert stored is not None and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored.astimezone(UTC).hour == 12


def test_naive_times_are_refused(session: Session) -> None:
    session.add(
        Agency(code="T2", name="t", kind=AgencyKind.REGULATOR, created_at=datetime(2026, 1, 1))
    )
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


class _Aborted(Exception):
    """What the driver raises when PostgreSQL aborts a transaction (its code)."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"aborted ({sqlstate})")
        self.sqlstate = sqlstate


def test_a_deadlocks_victim_runs_again_and_other_errors_do_not() -> None:
    from sqlalchemy.exc import OperationalError

    from shaheen.store.engine import again_if_transient

    tries: list[int] = []

    def work(code: str, failures: int) -> str:
        tries.append(1)
        if len(tries) <= failures:
            raise OperationalError("UPDATE posts ...", {}, _Aborted(code))
        return "committed"

    assert again_if_transient(lambda: work("40P01", 2)) == "committed" and len(tries) == 3
    tries.clear()
    with pytest.raises(OperationalError, match="40P01"):  # three tries, then its error
        again_if_transient(lambda: work("40P01", 3))
    assert len(tries) == 3
    tries.clear()
    with pytest.raises(OperationalError, match="23505"):  # a unique key: at once
        again_if_transient(lambda: work("23505", 1))
    assert len(tries) == 1
