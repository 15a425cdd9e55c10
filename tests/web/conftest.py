"""A live desk for browser tests: a migrated database (SQLite, and PostgreSQL where the
test cluster runs) seeded with two agencies, their people (passwords and TOTP secrets
the tests know), an Urdu-writing account with matched terms and a hash-matched image,
served by `shaheen serve` on a free port; and one headless Chromium for the session.

Chromium is Debian's (`/usr/bin/chromium`, installed by `make`), driven through
`executable_path`: `playwright install` downloads browsers from the internet and is
never run. Without the browser the tests skip (or fail under SHAHEEN_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shaheen.access import credentials
from shaheen.agencies.enums import AgencyKind, Role
from shaheen.agencies.service import ensure_agency, ensure_user
from shaheen.config import get_settings
from shaheen.detect.enums import SubjectKind
from shaheen.detect.models import Signal
from shaheen.detect.service import bundled_lexicon
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.knowledge import service as knowledge
from shaheen.network.enums import EdgeKind
from shaheen.network.models import NetworkEdge
from shaheen.platforms import service as platforms
from shaheen.review.models import Case
from shaheen.store import migrate
from shaheen.store.engine import make_engine, session_factory
from tests.conftest import FreshDatabases

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple 42"
URDU_POST = "تحریک طالبان پاکستان کے قافلے میں شامل ہو جاؤ، رابطہ کریں"
ROMAN_POST = "TTP zindabad, qafla aage barh raha hai"


@dataclass
class Person:
    username: str
    password: str
    totp_secret: str | None
    steps_used: set[int] = field(default_factory=set)

    def code(self) -> str:
        """A TOTP code not used before (sign-in refuses a reused one)."""
        assert self.totp_secret is not None
        now = datetime.now(UTC)
        for ahead in range(0, 3):
            at = now + timedelta(seconds=30 * ahead)
            step = int(at.timestamp()) // 30
            if step not in self.steps_used:
                self.steps_used.add(step)
                return credentials.totp_code(self.totp_secret, at)
        raise AssertionError("no fresh TOTP step left")


@dataclass
class Desk:
    url: str
    backend: str
    people: dict[str, Person]
    case_id: int  # the Urdu account's case, high reach: needs a second reviewer
    other_cases: list[int]
    foreign_case: int  # a case of the other agency
    database_url: str = ""  # for tests that add records of their own or compute figures


def _png(size: int = 8) -> bytes:
    """A small real PNG (a red square) without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _seed(url: str, media_dir: Path) -> tuple[dict[str, Person], int, list[int], int]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    people: dict[str, Person] = {}
    lexicon = bundled_lexicon()
    with sessions.begin() as session:
        platforms.sync_registry(session=session)
        knowledge.load(
            session=session,
            merged=knowledge.merge([knowledge.parse(knowledge.bundled_path())]),
            actor="test",
        )
        cta = ensure_agency(
            session=session, code="CTA", name="CTA", kind=AgencyKind.COUNTER_TERRORISM
        )
        kp = ensure_agency(
            session=session, code="CTD-KP", name="CTD KP", kind=AgencyKind.PROVINCIAL_CTD
        )
        for username, role, agency, temporary in (
            ("rev1", Role.REVIEWER, cta, True),
            ("rev2", Role.REVIEWER, cta, False),
            ("boss", Role.SUPERVISOR, cta, False),
            ("liaison", Role.LIAISON, cta, False),
            ("kp-rev", Role.REVIEWER, kp, False),
            ("kp-liaison", Role.LIAISON, kp, False),  # works tasks between agencies
            ("auditor", Role.AUDITOR, cta, False),
        ):
            user = ensure_user(
                session=session, agency=agency, username=username, display_name=username, role=role
            )
            user.password_hash = credentials.hash_password(PASSWORD)
            user.must_change_password = temporary
            user.totp_secret = credentials.new_totp_secret()
            people[username] = Person(username, PASSWORD, user.totp_secret)
        site = platforms.get_by_code(session=session, code="telegram")
        ttp = knowledge.organisation_id(session=session, slug="ttp")

        def account(agency_id: int, pid: str, followers: int, handle: str | None) -> Case:
            found = Account(
                platform_id=site.id,
                platform_account_id=pid,
                handle=handle,
                display_name="قافلہ میڈیا" if handle is None else handle,
                url=f"https://t.me/{handle}" if handle else None,
                followers=followers,
                risk_explanation={
                    "score": 0.93,
                    "parts": {"posts": 0.9, "profile": 0.4},
                    "posts_scanned": 2,
                    "posts_flagged": 2,
                    "organisations": ["ttp"],
                    "reasons": [{"kind": "profile", "terms": ["TTP"], "organisations": ["ttp"]}],
                },
            )
            session.add(found)
            session.flush()
            case = Case(
                agency_id=agency_id,
                account_id=found.id,
                risk_score=0.93,
                reach=followers,
                priority=0.9 if followers > 1000 else 0.5,
                organisation_id=ttp,
                language="ur",
            )
            session.add(case)
            session.flush()
            return case

        main = account(cta.id, "tg-1900000001", 250_000, None)  # no handle: id shown
        for number, (text, language) in enumerate(((URDU_POST, "ur"), (ROMAN_POST, "roman_ur"))):
            post = Post(
                platform_id=site.id,
                platform_post_id=f"m-{number}",
                account_id=main.account_id,
                text=text,
                language=language,
                posted_at=datetime(2026, 11, 20, 9, number, tzinfo=UTC),
            )
            session.add(post)
            session.flush()
            hits = [
                {
                    "term": h.term.value,
                    "kind": h.term.kind.value,
                    "matched": h.matched,
                    "start": h.start,
                    "end": h.end,
                    "field": "text",
                }
                for h in lexicon.scan(text)
            ]
            assert hits, text  # the fixture must carry matched terms to highlight
            session.add(
                Signal(
                    detector="lexicon",
                    detector_version="t",
                    subject=SubjectKind.POST,
                    platform_id=site.id,
                    account_id=main.account_id,
                    post_id=post.id,
                    organisation_id=ttp,
                    label="propaganda",
                    score=0.9,
                    evidence={"hits": hits, "field": "text"},
                )
            )
        image = _png()
        digest = hashlib.sha256(image).hexdigest()
        media = Media(
            sha256=digest,
            md5=hashlib.md5(image).hexdigest(),
            mime_type="image/png",
            size_bytes=len(image),
        )
        session.add(media)
        session.flush()
        session.add(PostMedia(post_id=post.id, media_id=media.id))
        session.add(
            Signal(
                detector="hash_match",
                detector_version="t",
                subject=SubjectKind.MEDIA,
                platform_id=site.id,
                account_id=main.account_id,
                post_id=post.id,
                media_id=media.id,
                organisation_id=ttp,
                label="match",
                score=0.95,
                evidence={
                    "bank": "test-posters",
                    "signal_type": "pdq",
                    "distance": 9,
                    "threshold": 31,
                },
            )
        )
        other_cases = [account(cta.id, f"tg-19000001{n}", 300, f"qafla_{n}") for n in range(2)]
        others = [case.id for case in other_cases]
        # the main account forwards qafla_0's posts and shares its links: neighbours
        for kind, count in ((EdgeKind.FORWARD, 3), (EdgeKind.SHARED_URL, 1)):
            session.add(
                NetworkEdge(
                    source_id=main.account_id,
                    target_id=other_cases[0].account_id,
                    kind=kind,
                    count=count,
                    weight=float(count),
                )
            )
        foreign = account(kp.id, "tg-1900000099", 500, "kp_only").id
        main_id = main.id
    target = MediaStore(media_dir).path_for(digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(image)
    engine.dispose()
    return people, main_id, others, foreign


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest,
    fresh_databases: FreshDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Desk]:
    """`shaheen serve` over a seeded database of each backend."""
    backend = request.param
    url = fresh_databases.url(backend)  # skips PostgreSQL where no cluster runs
    var = tmp_path_factory.mktemp(f"web-{backend}")
    people, case_id, others, foreign = _seed(url, var / "media")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHAHEEN_")},
        "SHAHEEN_DATABASE_URL": url,
        "SHAHEEN_MEDIA_DIR": str(var / "media"),
        # the seed's audit entries are signed with the test run's key: the same one
        "SHAHEEN_KEYS_DIR": str(get_settings().keys_dir.resolve()),
        "SHAHEEN_OUTBOX_DIR": str(var / "outbox"),
        "SHAHEEN_MODEL_DIR": str(var / "models"),
        "SHAHEEN_INDEX_DIR": str(var / "index"),
        "SHAHEEN_SESSION_FILE": str(var / "session"),
        "SHAHEEN_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "shaheen", "serve", "--port", str(port)],
        env=env,
        cwd=var,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    err = server.stderr.read().decode() if server.stderr else ""
                    pytest.fail(f"shaheen serve did not start: {err[-2000:]}")
                time.sleep(0.2)
        yield Desk(base, backend, people, case_id, others, foreign, url)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session."""
    if not CHROMIUM.exists():
        if os.environ.get("SHAHEEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing (Debian's chromium; `make` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def sign_in(browser: Any, desk: Desk, username: str) -> Any:
    """A new browser context signed in as `username`; returns its page."""
    person = desk.people[username]
    context = browser.new_context(base_url=desk.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", person.password)
    page.fill("#code", person.code())
    page.click("#login button[type=submit]")
    return page
