"""Ingest throughput and memory, against baselines measured in the same run.

    python bench/ingest.py                       # 1M posts into SQLite
    scripts/with-postgres .venv/bin/python bench/ingest.py   # and into PostgreSQL
    python bench/ingest.py --posts 200000        # a quicker run

Generates synthetic posts as generic JSON Lines (mixed English, Urdu script and Roman
Urdu, ~200 characters, 20,000 authors), then measures, each in a fresh child process so
peak memory is its own:

* parse only: the connector reading the file with no database (the ceiling);
* Shaheen: the importer into a fresh database (SQLite, and PostgreSQL when
  SHAHEEN_TEST_POSTGRES_URL or --postgres is set), then a re-import of the same file
  (every record found unchanged);
* naive ORM: the textbook get-or-create per record with the ORM, on a sample;
* peak memory on a tenth of the file beside the full one: constant memory means the
  two are about equal.

Goals (issue 4): at least 20,000 posts/s into SQLite on 2 cores, peak memory under
300 MB whatever the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, select, text

WORDS = {
    "en": "the caravan cricket weather market news report officials said people city".split(),
    "ur": "آج موسم بہت خوشگوار ہے خبر شہر لوگ حکومت بازار کرکٹ".split(),
    "roman_ur": "aaj mausam bohat acha hai khabar shehar log hukumat bazaar".split(),
}


def generate(path: Path, posts: int, accounts: int = 20_000, seed: int = 1) -> None:
    rng = random.Random(seed)
    platforms = ("x", "facebook", "tiktok", "telegram", "youtube")
    with path.open("w", encoding="utf-8") as out:
        for i in range(posts):
            language = rng.choice(tuple(WORDS))
            words = WORDS[language]
            body = " ".join(rng.choice(words) for _ in range(32))[:200]
            author = i % accounts
            row = {
                "platform": platforms[author % len(platforms)],
                "post_id": f"p{i}",
                "account_id": f"a{author}",
                "account_handle": f"fictional_{author}",
                "account_followers": 100 + author,
                "text": body,
                "posted_at": 1_780_000_000 + i,
                "reach": rng.randint(0, 100_000),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def head_of(path: Path, lines: int, target: Path) -> None:
    with path.open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        for number, line in enumerate(source):
            if number >= lines:
                break
            out.write(line)


# --- children -----------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_parse(path: Path) -> dict[str, Any]:
    from shaheen.ingest.connectors.generic import GenericJsonlConnector
    from shaheen.ingest.sources import FileSource

    started = time.perf_counter()
    count = sum(1 for _ in GenericJsonlConnector().parse(FileSource(path)))
    return {"records": count, "seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}


def _fresh_engine(url: str) -> Any:
    from shaheen.platforms import service as platforms
    from shaheen.store import migrate
    from shaheen.store.engine import make_engine, session_factory

    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_factory(engine).begin() as session:
        platforms.sync_registry(session=session)
    return engine


def child_import(path: Path, url: str, media: Path, again: bool) -> dict[str, Any]:
    from shaheen.ingest.flows import Importer
    from shaheen.ingest.media import MediaStore
    from shaheen.store.engine import session_factory

    engine = _fresh_engine(url)
    importer = Importer(sessions=session_factory(engine), media=MediaStore(media))
    started = time.perf_counter()
    (result,) = importer.import_paths([path])
    first = time.perf_counter() - started
    report: dict[str, Any] = {
        "records": result.posts.new,
        "seconds": first,
        "peak_mb": _peak_mb(),
        "error": result.error,
    }
    if again:
        started = time.perf_counter()
        (repeat,) = importer.import_paths([path])
        report["again_seconds"] = time.perf_counter() - started
        report["again_unchanged"] = repeat.posts.unchanged
    return report


def child_naive(path: Path, url: str) -> dict[str, Any]:
    """Get-or-create per record through the ORM: what a first version usually does."""
    from shaheen.ingest.connectors.base import Record
    from shaheen.ingest.connectors.generic import GenericJsonlConnector
    from shaheen.ingest.models import Account, Post
    from shaheen.ingest.sources import FileSource
    from shaheen.platforms.models import Platform
    from shaheen.store.engine import session_factory

    engine = _fresh_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    count = 0
    with sessions.begin() as session:
        platform_ids = dict(session.execute(select(Platform.code, Platform.id)).all())
        for item in GenericJsonlConnector().parse(FileSource(path)):
            if not isinstance(item, Record) or item.post is None:
                continue
            post, author = item.post, item.accounts[0]
            pid = platform_ids[post.platform]
            account = session.scalar(
                select(Account).where(
                    Account.platform_id == pid,
                    Account.platform_account_id == author.platform_account_id,
                )
            )
            if account is None:
                account = Account(
                    platform_id=pid,
                    platform_account_id=author.platform_account_id,
                    handle=author.handle,
                    followers=author.followers,
                )
                session.add(account)
                session.flush()
            stored = session.scalar(
                select(Post).where(
                    Post.platform_id == pid, Post.platform_post_id == post.platform_post_id
                )
            )
            if stored is None:
                session.add(
                    Post(
                        platform_id=pid,
                        platform_post_id=post.platform_post_id,
                        account_id=account.id,
                        text=post.text,
                        posted_at=post.posted_at,
                        reach=post.reach,
                    )
                )
            count += 1
            if count % 1000 == 0:
                session.flush()
    return {"records": count, "seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}


# --- orchestration ------------------------------------------------------------------


def run_child(*args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def database_url(backend: str, folder: Path, postgres: str | None) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / (uuid.uuid4().hex + '.db')}"
    assert postgres is not None
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(postgres).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--naive-sample", type=int, default=20_000)
    parser.add_argument("--postgres", default=os.environ.get("SHAHEEN_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "parse":
            report = child_parse(Path(rest[0]))
        elif kind == "import":
            report = child_import(Path(rest[0]), rest[1], Path(rest[2]), rest[3] == "again")
        else:
            report = child_naive(Path(rest[0]), rest[1])
        print(json.dumps(report))
        return

    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory(prefix="shaheen-bench-") as tmp:
        folder = Path(tmp)
        data, tenth, sample = (
            folder / "posts.jsonl",
            folder / "tenth.jsonl",
            folder / "sample.jsonl",
        )
        started = time.perf_counter()
        generate(data, args.posts)
        head_of(data, args.posts // 10, tenth)
        head_of(data, args.naive_sample, sample)
        size_mb = data.stat().st_size / 1e6
        print(
            f"generated {args.posts:,} posts ({size_mb:,.0f} MB of JSON Lines) in "
            f"{time.perf_counter() - started:.0f} s; machine: {os.cpu_count()} cores"
        )

        parsed = run_child("parse", str(data))
        parse_rate = parsed["records"] / parsed["seconds"]
        print(
            f"\nparse only (no database)   {parse_rate:>10,.0f} posts/s   "
            f"peak {parsed['peak_mb']:.0f} MB"
        )
        for backend in backends:
            url = database_url(backend, folder, args.postgres)
            ours = run_child("import", str(data), url, str(folder / "media"), "again")
            assert ours["error"] is None, ours["error"]
            rate = ours["records"] / ours["seconds"]
            again = args.posts / ours["again_seconds"]
            small = run_child(
                "import",
                str(tenth),
                database_url(backend, folder, args.postgres),
                str(folder / "media"),
                "once",
            )
            naive = run_child("naive", str(sample), database_url(backend, folder, args.postgres))
            naive_rate = naive["records"] / naive["seconds"]
            print(f"\n{backend}")
            print(f"  Shaheen import        {rate:>10,.0f} posts/s   ({ours['seconds']:.1f} s)")
            print(
                f"  re-import, unchanged  {again:>10,.0f} posts/s   "
                f"({ours['again_unchanged']:,} found unchanged)"
            )
            print(
                f"  naive ORM baseline    {naive_rate:>10,.0f} posts/s   "
                f"(sample of {args.naive_sample:,})"
            )
            print(f"  ratio vs naive ORM    {rate / naive_rate:>10.1f} x")
            print(f"  share of parse ceiling{rate / parse_rate:>10.0%}")
            print(
                f"  peak memory           {ours['peak_mb']:>10.0f} MB for {args.posts:,} posts, "
                f"{small['peak_mb']:.0f} MB for {args.posts // 10:,}"
            )
            if backend == "sqlite":
                verdict = "met" if rate >= 20_000 else "NOT met"
                print(f"  goal >= 20,000 posts/s into SQLite: {verdict}")
            memory = "met" if ours["peak_mb"] < 300 else "NOT met"
            print(f"  goal peak memory < 300 MB: {memory}")


if __name__ == "__main__":
    main()
