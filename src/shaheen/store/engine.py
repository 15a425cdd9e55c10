"""Engine and session construction, and the first contact with the database.

The caller owns the transaction (a CLI command, a request, a flow): services only
`flush()`. `session_scope()` is the one place that commits or rolls back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shaheen.errors import ConfigError, DatabaseUnavailable

log = logging.getLogger(__name__)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection; WAL lets the web UI read
    # while an import writes. The driver's own implicit transactions break SAVEPOINT,
    # so it is switched to autocommit and SQLAlchemy emits BEGIN itself (_begin_sqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: index pages of big imports stay hot
    # A writer waits for another's short transaction (an import batch, a tip) instead of
    # failing at once with "database is locked".
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


#: How long a SQLite writer waits for the write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 60_000

#: Connections a process keeps open. The HTTP server runs each request's database work in
#: a thread pool of 40 (anyio's default); a smaller pool would open and close an overflow
#: connection per request under load (a PostgreSQL connect costs milliseconds), so the
#: pool holds up to that many. Connections open on first use: a CLI command opens one.
POOL_SIZE = 40

#: Execution option for transactions that will write (see `write_scope`).
WRITE_NOW = {"sqlite_begin": "IMMEDIATE"}


def _begin_sqlite(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for `url`; SQLite files get their folder and pragmas."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"SHAHEEN_DATABASE_URL {url!r} is not a database URL; "
            "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        pool: dict[str, Any] = {}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_size": POOL_SIZE, "max_overflow": 0}
        engine = create_engine(url, echo=echo, **pool)
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    if parsed.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=0)


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise `DatabaseUnavailable` with the cause and the fix."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot connect to {redact(str(engine.url))}: {reason}; "
            "check SHAHEEN_DATABASE_URL and that the server is running"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to `engine` (objects stay readable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def write_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A short transaction that writes, committed on success.

    On SQLite it takes the write lock at BEGIN (IMMEDIATE): a deferred transaction that
    read first and then writes fails at once with "database is locked" if another
    writer committed in between, without waiting; an immediate one waits its turn
    (busy timeout). PostgreSQL ignores the option.
    """
    with factory.begin() as session:
        session.connection(execution_options=WRITE_NOW)
        yield session


def on_postgresql(session: Session) -> bool:
    """Whether the session's database is PostgreSQL (else SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def serialise_writers(session: Session, key: int) -> None:
    """Hold a transaction-level lock on `key` so writers of a hash chain take turns.

    PostgreSQL needs it (concurrent transactions would both extend the same link);
    SQLite serialises writes by itself.
    """
    if on_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


# deadlock detected, serialization failure: PostgreSQL aborted the transaction to let
# another finish, and asks the client to run it again
_TRANSIENT = frozenset({"40P01", "40001"})
_T = TypeVar("_T")


def _is_transient(exc: BaseException) -> bool:
    """A database error that goes away when the whole transaction runs again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in _TRANSIENT


def again_if_transient(work: Callable[[], _T], attempts: int = 3) -> _T:
    """`work()`, one whole transaction, run again when PostgreSQL chose it as a
    deadlock's victim: jobs of one service (import, scan, intake) lock posts, accounts
    and queued assessments in orders no single sort can make the same for all.

    By hand rather than a retry library: none is among the dependencies, and this is
    three tries of one transaction on two error codes, with a short pause for the
    winner to commit."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if attempt == attempts or not _is_transient(exc):
                raise
            log.warning("transaction run again after %s (try %d)", exc.orig, attempt)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def announce_writer(session: Session, key: int) -> None:
    """Hold a shared transaction-level lock on `key` until commit, before inserting rows
    that a reader follows by id (a watermark). Writers do not wait for each other;
    `after_writers` waits for all of them. SQLite serialises writes by itself."""
    if on_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": key})


@contextmanager
def after_writers(session: Session, key: int) -> Iterator[None]:
    """Inside, no transaction that announced itself on `key` is running: every id such
    writers took is committed, and ids taken later are higher (PostgreSQL's sequences
    only rise). So a reader that reads the highest id here and follows ids up to it
    never steps over one still to be committed. New writers wait meanwhile: keep short.

    Why: with two imports at once, ids are taken in one order and committed in another,
    and a watermark taken from what is visible would skip the late one's rows for good.
    """
    if not on_postgresql(session):
        yield
        return
    # A lock of the session, not of the transaction, or it would be held until the
    # reader's commit; the savepoint keeps the transaction usable for the unlock if the
    # reads fail (a lock left on a pooled connection would stop every import).
    session.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    try:
        with session.begin_nested():
            yield
    finally:
        session.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
