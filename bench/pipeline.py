"""The pipeline end to end: ingest → scan (text, media hashes, storing results) → case
intake, on SQLite and PostgreSQL, locally and on Ray; and ingest-to-queue latency of
`shaheen run` in continuous mode.

    python bench/pipeline.py [--posts 20000]                     # SQLite only
    scripts/with-postgres python bench/pipeline.py --posts 1000000   # and PostgreSQL
    ... --backends postgresql --engines inline,local2 --latency-files 0   # some of it

Synthetic posts, generic JSON Lines in files of 10,000: one account in 50 spreads
propaganda (sentences composed as in the seed corpus), the others chatter; one post in
ten carries a media item whose hashes the collector already computed (SHA-256, MD5,
PDQ), stored as hashed; the scan matches them against the banks (empty here: what
a full bank's lookups cost is bench/pdq_match.py's figure).

Each configuration runs on a fresh database: ingest (the importer over the files),
then scan with case intake (`pipeline.flows.scan`); posts/s per stage and end to end,
and the ratio of each configuration to the first (SQLite, inline), measured
in the same run. Configurations (`--engine` of `shaheen scan`): inline (in this
process), local processes on one and on two cores, Ray on two cores (a local instance,
when Ray is installed); the workers' start-up (loading the lexicon, model and index once
each) counts in the scan. Continuous mode: `shaheen run`'s service in a thread with 0.5 s intervals,
files of 500 posts dropped every second; for each file, seconds from its drop until
the case of its propaganda account is in the review queue (p50, p99).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, insert, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.service import ensure_agency
from shaheen.config import load_settings
from shaheen.demo.seed_corpus import compose
from shaheen.detect import service as detection
from shaheen.detect.classifier import TextClassifier
from shaheen.evidence.service import Signer
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.knowledge import service as knowledge
from shaheen.pipeline import flows
from shaheen.pipeline.run import RunOptions, Service
from shaheen.platforms import service as platforms
from shaheen.review.models import Case
from shaheen.runtime import Database
from shaheen.store import migrate
from shaheen.store.base import utcnow
from shaheen.store.engine import make_engine, session_factory

CHATTER = [
    "aaj mausam bohat acha hai, cricket dekhne chalein?",
    "happy birthday bro! party kab hai",
    "the market was closed today because of the rain",
    "آج بازار میں بہت رش تھا",
]
PER_FILE = 10_000
#: The configurations by name: (engine, workers).
ENGINES: dict[str, tuple[str, int | None]] = {
    "inline": ("inline", None),
    "local1": ("local", 1),
    "local2": ("local", 2),
    "ray2": ("ray", 2),
}


@dataclass
class Figures:
    name: str
    posts: int
    ingest_s: float
    scan_s: float
    cases: int

    @property
    def end_to_end(self) -> float:
        return self.posts / (self.ingest_s + self.scan_s)


def write_exports(
    folder: Path, count: int, per_file: int = PER_FILE, seed: int = 7, prefix: str = ""
) -> None:
    """`count` posts in JSON Lines files, ids after `prefix` (media hashes added later)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    accounts = max(50, count // 20)
    for start in range(0, count, per_file):
        with (folder / f"export-{start // per_file:05d}.jsonl").open("w") as out:
            for post in range(start, min(count, start + per_file)):
                account = post % accounts
                spreading = account % 50 == 0
                body = (
                    compose(rng, rng.choice(("en", "roman_ur")), "propaganda")
                    if spreading
                    else rng.choice(CHATTER)
                )
                record = {
                    "platform": "x",
                    "post_id": f"{prefix}p{post}",
                    "account_id": f"{prefix}a{account}",
                    "account_handle": f"user{account}",
                    "account_followers": rng.randrange(10, 50_000),
                    "text": f"{body} #{post}",
                }
                out.write(json.dumps(record) + "\n")


def add_media_hashes(sessions: sessionmaker[Session], seed: int = 11) -> int:
    """A media item, hashed by the collector, on one post in ten."""
    rng = random.Random(seed)
    with sessions.begin() as session:
        posts = session.execute(select(Post.id).where(Post.id % 10 == 0)).scalars().all()
        now = utcnow()
        rows = [
            {
                "sha256": f"{rng.getrandbits(256):064x}",
                "md5": f"{rng.getrandbits(128):032x}",
                "pdq": f"{rng.getrandbits(256):064x}",
                "pdq_quality": 100,
                "mime_type": "image/jpeg",
                "size_bytes": 50_000,
                "hashed_at": now,
            }
            for _ in posts
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(Media), rows[start : start + 5000])
        media = session.execute(select(Media.id).order_by(Media.id)).scalars().all()
        links = [{"post_id": p, "media_id": m} for p, m in zip(posts, media, strict=False)]
        for start in range(0, len(links), 5000):
            session.execute(insert(PostMedia), links[start : start + 5000])
    return len(rows)


def fresh_database(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / uuid.uuid4().hex}.db"
    base = os.environ["SHAHEEN_TEST_POSTGRES_URL"]
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with create_engine(base, isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def prepare(url: str, model: TextClassifier, folder: Path) -> tuple[Database, int]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        platforms.sync_registry(session=session)
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="bench",
        )
        agency = ensure_agency(session=session, code="CTA", name="CTA", kind=AgencyKind.CYBER_CRIME)
        detection.save_model(session=session, model=model, model_dir=folder / "models")
        return Database(engine, sessions), agency.id


def run_config(
    name: str,
    backend: str,
    engine: str,
    workers: int | None,
    exports: Path,
    model: TextClassifier,
    work: Path,
) -> Figures:
    folder = Path(tempfile.mkdtemp(dir=work))
    database, agency_id = prepare(fresh_database(backend, folder), model, folder)
    started = time.perf_counter()
    importer = Importer(sessions=database.sessions, media=MediaStore(folder / "media"))
    results = importer.import_paths(sorted(exports.iterdir()))
    add_media_hashes(database.sessions)
    ingest_s = time.perf_counter() - started
    posts = sum(r.posts.new for r in results)
    setup = flows.ScanSetup(
        model_dir=folder / "models",
        media_dir=folder / "media",
        index_dir=folder / "index",
        match_threshold=31,
        engine=engine,
        workers=workers,
    )
    with flows.build_scanner(database.sessions, setup) as scanner:
        started = time.perf_counter()  # workers start inside: their start-up counts
        flows.scan(
            database.sessions,
            scanner,
            agency_id=agency_id,
            threshold=0.6,
            actor="system",
            signer=Signer(folder / "keys"),
        )
        scan_s = time.perf_counter() - started
    with database.sessions() as session:
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
    database.engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return Figures(name, posts, ingest_s, scan_s, cases)


def continuous_latency(
    backend: str, model: TextClassifier, work: Path, files: int, per_file: int = 500
) -> list[float]:
    """Seconds from each file's drop into the inbox to its propaganda account's case."""
    folder = Path(tempfile.mkdtemp(dir=work))
    database, _ = prepare(fresh_database(backend, folder), model, folder)
    settings = load_settings(
        database_url=str(database.engine.url),
        model_dir=folder / "models",
        media_dir=folder / "media",
        index_dir=folder / "index",
        keys_dir=folder / "keys",
    )
    options = RunOptions(
        inbox=folder / "inbox",
        every={"ingest": 0.5, "scan": 0.5},
        jobs=("ingest", "scan"),
        settle=0.2,
    )
    service = Service(database, settings, options)
    service.start()
    thread = threading.Thread(target=service.run_forever, daemon=True)
    thread.start()
    staging = folder / "staging"
    dropped: dict[str, float] = {}
    for number in range(files):
        batch = staging / str(number)
        write_exports(batch, per_file, per_file, seed=100 + number, prefix=f"f{number}")
        (source,) = batch.iterdir()
        lines = source.read_text()
        part = options.inbox / f"drop-{number}.jsonl.part"
        options.inbox.mkdir(parents=True, exist_ok=True)
        part.write_text(lines)
        part.rename(options.inbox / f"drop-{number}.jsonl")
        dropped[f"f{number}a0"] = time.time()
        time.sleep(1.0)
    deadline = time.time() + 120
    opened: dict[str, float] = {}
    while len(opened) < len(dropped) and time.time() < deadline:
        with database.sessions() as session:
            rows = session.execute(
                select(Account.platform_account_id, Case.opened_at)
                .join(Case, Case.account_id == Account.id)
                .where(Account.platform_account_id.in_(list(dropped)))
            ).all()
        opened = {account: at.timestamp() for account, at in rows}
        time.sleep(0.2)
    service.stopping.set()
    thread.join(timeout=60)
    service.close()
    database.engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return sorted(opened[a] - dropped[a] for a in opened)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--latency-files", type=int, default=10, help="0: no continuous run")
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="comma-separated (PostgreSQL if available)"
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated, of {', '.join(ENGINES)} (the first is the baseline)",
    )
    args = parser.parse_args()
    wanted = args.backends.split(",")
    backends = [b for b in ("sqlite", "postgresql") if b in wanted]
    if not os.environ.get("SHAHEEN_TEST_POSTGRES_URL") and "postgresql" in backends:
        backends.remove("postgresql")
    # (engine, workers): in this process, local processes on 1 and 2 cores, Ray on 2
    engines = [ENGINES[name] for name in args.engines.split(",") if name in ENGINES]
    if any(engine == "ray" for engine, _ in engines) and not args.no_ray:
        try:
            import ray  # noqa: F401
        except ImportError:
            print("Ray is not installed: the ray configuration is left out")
            args.no_ray = True
    if args.no_ray:
        engines = [(engine, workers) for engine, workers in engines if engine != "ray"]
    work = Path(tempfile.mkdtemp(prefix="shaheen-bench-"))
    try:
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
        print(f"{args.posts:,} posts; training the model on the seed corpus")
        model = detection.train(detection.seed_examples(), detection.bundled_lexicon(), "bench")
        exports = work / "exports"
        write_exports(exports, args.posts)
        figures = []
        for backend in backends:
            for engine, workers in engines:
                cores = (
                    "this process" if workers is None else f"{workers} core" + "s" * (workers > 1)
                )
                name = f"{backend}, {engine} ({cores})"
                print(f"running {name} …", flush=True)
                figures.append(run_config(name, backend, engine, workers, exports, model, work))
        base = figures[0]
        print()
        print(
            f"{'configuration':36} {'ingest/s':>10} {'scan+intake/s':>14} {'end to end/s':>13}"
            f" {'cases':>6} {'× baseline (e2e)':>17}"
        )
        for f in figures:
            print(
                f"{f.name:36} {f.posts / f.ingest_s:10,.0f} {f.posts / f.scan_s:14,.0f} "
                f"{f.end_to_end:13,.0f} {f.cases:6,} {f.end_to_end / base.end_to_end:16.2f}×"
            )
        print()
        for backend in backends if args.latency_files else []:
            latencies = continuous_latency(backend, model, work, args.latency_files)
            if not latencies:
                print(f"{backend}: continuous mode opened no case within two minutes")
                continue
            p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
            print(
                f"{backend}, continuous (shaheen run, 0.5 s intervals): ingest-to-queue "
                f"p50 {statistics.median(latencies):.2f} s, p99 {p99:.2f} s "
                f"over {len(latencies)} files of 500 posts"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
