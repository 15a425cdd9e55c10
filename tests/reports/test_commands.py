"""`shaheen report …` as cron runs it: a weekly brief into a folder without anyone
signed in; the referrals CSV only for a signed-in reader of referrals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from shaheen.agencies.enums import Role
from shaheen.platforms import service as platforms
from shaheen.store import migrate
from shaheen.store.engine import make_engine
from tests.reports.test_figures import build
from tests.signing import signed_in
from tests.test_cli import shaheen


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'shaheen.db'}"
    (tmp_path / "var").mkdir()
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        platforms.sync_registry(session=session)
        build(session)
    engine.dispose()
    return url


def test_weekly_report_into_a_folder_as_cron_runs_it(tmp_path: Path, url: str) -> None:
    env = {"SHAHEEN_DATABASE_URL": url, "SHAHEEN_REPORT_TIMEZONE": "Asia/Karachi"}
    common = ["--period", "2026-W07", "--cutoff", "2026-02-20T12:00"]
    result = shaheen(
        "report", "weekly", *common, "--format", "json", "--out", "out/", cwd=tmp_path, **env
    )
    assert result.returncode == 0, result.stderr
    written = tmp_path / "out" / "shaheen-weekly-2026-W07.json"
    assert str(written.relative_to(tmp_path)) in result.stdout.replace("\n", "")
    document = json.loads(written.read_text())
    assert document["totals"]["sent"] == 8 and document["cutoff"].startswith("2026-02-20T12:00")
    published = shaheen(
        "report",
        "transparency",
        "--period",
        "2026-02",
        "--cutoff",
        "2026-02-20T12:00",
        "--format",
        "csv",
        "--out",
        "out/t.csv",
        cwd=tmp_path,
        **env,
    )
    assert published.returncode == 0, published.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "t.csv").read_text())))
    cell = {(r[0], r[1], r[2]): r[3] for r in rows}
    assert cell[("platform", "x", "removed")] == "<5"
    assert not any(r[0] == "agency" for r in rows)
    bad = shaheen("report", "weekly", "--period", "2026-W60", cwd=tmp_path, **env)
    assert bad.returncode != 0 and "not a period" in bad.stderr and "Traceback" not in bad.stderr


def test_referrals_csv_needs_a_signed_in_reader(tmp_path: Path, url: str) -> None:
    nobody = shaheen("report", "referrals", "--out", "-", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert nobody.returncode == 8, nobody.stderr
    token = signed_in(url, "b-liaison", "B", Role.LIAISON)
    result = shaheen(
        "report",
        "referrals",
        "--period",
        "2026-W07",
        "--out",
        "-",
        cwd=tmp_path,
        SHAHEEN_DATABASE_URL=url,
        SHAHEEN_TOKEN=token,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["agency"] for r in rows} == {"B"}
    assert [r["to_status"] for r in rows] == ["sent", "removed", "sent", "acknowledged"]
