"""Two imports at once: the network build never steps over a post still to be committed.

PostgreSQL hands out ids when rows are inserted and shows them when their transaction
commits, so an import that took an id first can commit last. SQLite has one writer at a
time, so there the case cannot arise; the sequential half of the test runs on both.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from shaheen.ingest import service as ingest
from shaheen.ingest.schemas import AccountRecord, PostRecord
from shaheen.network import flows, service
from shaheen.network.schemas import BuildResult
from shaheen.store.engine import on_postgresql


def import_one(session: Session, key: str) -> None:
    """An account and its post, as an import's batch stores them."""
    platforms = ingest.platform_ids(session=session)
    account = AccountRecord("x", f"account-{key}", handle=f"handle_{key}")
    _, ids = ingest.upsert_accounts(session=session, platform_ids=platforms, records=[account])
    post = PostRecord("x", f"post-{key}", f"account-{key}", text=f"a post {key}")
    ingest.upsert_posts(session=session, platform_ids=platforms, account_ids=ids, records=[post])


def build(sessions: sessionmaker[Session]) -> BuildResult:
    with sessions.begin() as session:
        return flows.build(session)


def test_a_post_committed_after_a_later_one_is_built_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        if not on_postgresql(session):
            import_sequentially_then_build(sessions)
            return
    inserted, release = threading.Event(), threading.Event()

    def slow_import() -> None:  # takes the lower ids, commits last
        with sessions.begin() as session:
            import_one(session, "early")
            inserted.set()
            assert release.wait(30)

    early = threading.Thread(target=slow_import)
    early.start()
    assert inserted.wait(30)
    with sessions.begin() as session:
        import_one(session, "late")
    results: list[BuildResult] = []
    builder = threading.Thread(target=lambda: results.append(build(sessions)))
    builder.start()
    builder.join(1.0)
    assert builder.is_alive(), "the build must wait for the import still running"
    release.set()
    early.join(30)
    builder.join(30)
    assert (results[0].posts, results[0].accounts) == (2, 2)
    assert build(sessions).posts == 0  # nothing left behind, nothing read twice
    with sessions() as session:
        assert (
            service.watermark(session=session, key=flows.POSTS)
            == service.arrived(session=session)[1]
        )


def import_sequentially_then_build(sessions: sessionmaker[Session]) -> None:
    for key in ("early", "late"):
        with sessions.begin() as session:
            import_one(session, key)
    first = build(sessions)
    assert (first.posts, first.accounts) == (2, 2)
    assert build(sessions).posts == 0


def test_the_build_reads_no_further_than_what_has_arrived(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        import_one(session, "one")
        accounts, posts = service.arrived(session=session)
        assert accounts > 0 and posts > 0
        assert service.new_posts(session=session, after=0, upto=posts - 1, limit=10) == []
        assert len(service.new_posts(session=session, after=0, upto=posts, limit=10)) == 1


def test_a_failed_read_under_the_lock_leaves_no_lock_behind(
    sessions: sessionmaker[Session],
) -> None:
    from sqlalchemy import text

    from shaheen.ingest.service import ARRIVALS_LOCK_KEY
    from shaheen.store.engine import after_writers

    with sessions.begin() as session:
        try:
            with after_writers(session, ARRIVALS_LOCK_KEY):
                session.execute(text("SELECT * FROM no_such_table"))
        except Exception as exc:  # the read's own error comes out
            assert "no_such_table" in str(exc)
        else:
            raise AssertionError("the failed read was swallowed")
    with sessions.begin() as session:
        if on_postgresql(session):  # no connection still holds it, idle in the pool
            held = session.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = 0 AND objid = :key AND objsubid = 1"
                ),
                {"key": ARRIVALS_LOCK_KEY},
            )
            assert held == 0
        import_one(session, "after-a-failure")
