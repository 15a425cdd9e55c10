"""The `shaheen` command as a user runs it: exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from shaheen.agencies.enums import Role
from tests.conftest import BACKENDS, FreshDatabases
from tests.signing import signed_in


def shaheen(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHAHEEN_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "shaheen", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,  # the demo trains a model and runs ten simulated days
        check=False,
    )


def person(tmp_path: Path, role: Role = Role.ANALYST, url: str | None = None) -> str:
    """A session token of a new person of agency CTA (added first where missing)."""
    url = url or f"sqlite:///{tmp_path / 'var' / 'shaheen.db'}"
    shaheen(
        "agency",
        "add",
        "CTA",
        "Counter-Terrorism Authority",
        cwd=tmp_path,
        SHAHEEN_DATABASE_URL=url,
    )
    return signed_in(url, f"{role.value}-{uuid.uuid4().hex[:8]}", "CTA", role)


def test_version(tmp_path: Path) -> None:
    result = shaheen("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("shaheen ")


def test_stats_before_upgrade_says_what_to_run(tmp_path: Path) -> None:
    result = shaheen("stats", cwd=tmp_path)
    assert result.returncode == 4
    assert "run `shaheen db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = shaheen("stats", cwd=tmp_path, SHAHEEN_DATABSE_URL="sqlite:///x.db")
    assert result.returncode == 2
    assert "unknown setting SHAHEEN_DATABSE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_line_and_exit_3(tmp_path: Path) -> None:
    result = shaheen(
        "stats", cwd=tmp_path, SHAHEEN_DATABASE_URL="postgresql+psycopg://u@127.0.0.1:1/db"
    )
    assert result.returncode == 3
    assert "cannot connect to postgresql+psycopg://u@127.0.0.1:1/db" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_knowledge_base_file_is_exit_5(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    bad = tmp_path / "unit.yaml"
    bad.write_text('version: "u"\nextensions:\n  - slug: nobody\n    terms: {handles: [x]}\n')
    result = shaheen("kb", "load", str(bad), cwd=tmp_path)
    assert result.returncode == 5
    assert "unknown organisation 'nobody'" in result.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_load_list_demo_stats(
    backend: str, tmp_path: Path, fresh_databases: FreshDatabases
) -> None:
    url = fresh_databases.url(backend)
    upgrade = shaheen("db", "upgrade", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "added 7 default platforms" in upgrade.stdout

    load = shaheen("kb", "load", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert load.returncode == 0, load.stderr
    assert "organisations added" in load.stdout
    again = shaheen("kb", "load", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert "nothing changed" in again.stdout

    listed = json.loads(
        shaheen("kb", "list", "--json", cwd=tmp_path, SHAHEEN_DATABASE_URL=url).stdout
    )
    slugs = {org["slug"] for org in listed["organisations"]}
    assert {"ttp", "bla", "blf"} <= slugs

    demo = shaheen("demo", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert demo.returncode == 0, demo.stderr
    assert "Demo summary" in demo.stdout and "youtube" in demo.stdout

    stats = json.loads(shaheen("stats", "--json", cwd=tmp_path, SHAHEEN_DATABASE_URL=url).stdout)
    # twelve accounts and 96 posts a platform, and the network story's re-created account
    # and nine accounts pushing a narrative with a post each (tests/demo/test_flows.py)
    assert stats["totals"]["accounts"] == 12 * 7 + 1 + 9
    assert stats["totals"]["posts"] == 96 * 7 + 9

    verify = shaheen("audit", "verify", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert verify.returncode == 0 and "audit chain intact" in verify.stdout

    # The demo scanned everything and left a few cases (three from the scan, one the
    # network opened for a re-created account), a tip and an overdue referral.
    assert stats["totals"]["signals"] > 0 and stats["totals"]["open_cases"] == 4
    assert "Left for you on this instance" in demo.stdout
    # The demo is the instance: the commands a newcomer types next work on default settings.
    evidence = shaheen("evidence", "verify", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert evidence.returncode == 0 and "evidence chain intact" in evidence.stdout, (
        evidence.stdout + evidence.stderr
    )
    token = person(tmp_path, Role.LIAISON, url)
    queue = shaheen(
        "review", "queue", "--json", cwd=tmp_path, SHAHEEN_DATABASE_URL=url, SHAHEEN_TOKEN=token
    )
    assert len(json.loads(queue.stdout)) == stats["totals"]["open_cases"]
    tips_listed = shaheen(
        "tip", "list", cwd=tmp_path, SHAHEEN_DATABASE_URL=url, COLUMNS="200", SHAHEEN_TOKEN=token
    )
    assert "qafla_demo_recruits" in tips_listed.stdout
    overdue = shaheen("track", "overdue", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert overdue.returncode == 0 and "youtube" in overdue.stdout, overdue.stdout
    phones = shaheen(
        "indicators",
        "export",
        "--kind",
        "phone",
        cwd=tmp_path,
        SHAHEEN_DATABASE_URL=url,
        SHAHEEN_TOKEN=token,
    )
    rows = phones.stdout.strip().splitlines()
    assert rows[0].startswith("kind,value,posts,accounts,platforms,organisations")
    assert len(rows) > 1 and all(row.startswith("phone,+92300000") for row in rows[1:])
    risky = shaheen(
        "risk",
        "--limit",
        "3",
        cwd=tmp_path,
        SHAHEEN_DATABASE_URL=url,
        COLUMNS="200",
        SHAHEEN_TOKEN=token,
    )
    assert "known account" in risky.stdout
    rescan = shaheen("scan", cwd=tmp_path, SHAHEEN_DATABASE_URL=url)
    assert rescan.returncode == 0 and "scanned 0 posts" in rescan.stdout


DATA = Path(__file__).parent / "data" / "ingest"


def test_ingest_reports_counts_and_record_errors(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    result = shaheen("ingest", str(DATA / "x" / "damaged.jsonl"), cwd=tmp_path, COLUMNS="200")
    assert result.returncode == 0, result.stderr
    assert "damaged.jsonl" in result.stdout and "x_api_v2" in result.stdout
    assert "line 3, data[0]: tweet has no author_id" in result.stdout
    runs = shaheen("ingest", "runs", cwd=tmp_path, COLUMNS="200")
    assert "completed" in runs.stdout
    errors = shaheen("ingest", "errors", cwd=tmp_path, COLUMNS="200")
    assert errors.stdout.count("rejected") == 4


def test_ingest_of_a_broken_file_fails_with_exit_5(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    result = shaheen(
        "ingest", str(DATA / "telegram" / "truncated.json"), cwd=tmp_path, COLUMNS="200"
    )
    assert result.returncode == 5
    assert "malformed or truncated JSON" in result.stdout
    assert "the 1 records read before it were kept" in result.stdout


def test_ingest_with_a_format_and_mapping(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    result = shaheen(
        "ingest",
        "--format",
        "generic_csv",
        "--map",
        "post_id=id",
        "--map",
        "account_id=author",
        "--map",
        "text=message",
        "--map",
        "url=link",
        str(DATA / "generic" / "mapped.csv"),
        cwd=tmp_path,
        COLUMNS="200",
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(shaheen("stats", "--json", cwd=tmp_path).stdout)
    assert stats["totals"]["posts"] == 2
    bad = shaheen(
        "ingest", "--map", "txt=message", str(DATA / "generic" / "mapped.csv"), cwd=tmp_path
    )
    assert bad.returncode == 5 and "'txt' is not one of" in bad.stderr


def test_tips_from_the_command_line(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    added = shaheen(
        "tip",
        "add",
        "https://www.tiktok.com/@fictional/video/1",
        "--note",
        "recruitment video",
        cwd=tmp_path,
    )
    assert added.returncode == 0 and "recorded for tiktok" in added.stdout
    refused = shaheen("tip", "add", "not a url", cwd=tmp_path)
    assert refused.returncode == 5 and "is not a web address" in refused.stderr
    anonymous = shaheen("tip", "list", cwd=tmp_path, COLUMNS="200")
    assert anonymous.returncode == 8 and "shaheen login" in anonymous.stderr
    listed = shaheen("tip", "list", cwd=tmp_path, COLUMNS="200", SHAHEEN_TOKEN=person(tmp_path))
    assert "recruitment video" in listed.stdout


def test_eval_json_and_model_info(tmp_path: Path) -> None:
    heldout = Path(__file__).parent / "data" / "detect" / "heldout.csv"
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0  # records the model's hash
    result = shaheen("eval", str(heldout), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"labels", "by_language", "confusion", "model_version"}
    assert set(report["labels"]["propaganda"]) == {"precision", "recall", "f1", "support"}
    assert report["labels"]["propaganda"]["precision"] >= 0.9
    info = json.loads(shaheen("model", "info", cwd=tmp_path).stdout)
    assert info["version"] == report["model_version"] and info["examples"] == 3480
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,spam\n")
    refused = shaheen("eval", str(bad), cwd=tmp_path)
    assert refused.returncode == 5 and "unknown label 'spam'" in refused.stderr


def test_scan_needs_an_existing_agency(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    result = shaheen("scan", "--agency", "NOPE", cwd=tmp_path)
    assert result.returncode == 6
    assert "agency 'NOPE' does not exist; add it with `shaheen agency add NOPE NAME`" in (
        result.stderr.replace("\n", " ")
    )


def test_hostile_text_prints_as_text(tmp_path: Path) -> None:
    """A tip's note with Rich markup and ANSI escapes shows its characters, never their effect."""
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    note = "[bold red]URGENT[/] \x1b[2J\x1b]0;owned\x07"
    added = shaheen("tip", "add", "https://t.me/[red]chan[/]", "--note", note, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    listed = shaheen("tip", "list", cwd=tmp_path, COLUMNS="200", SHAHEEN_TOKEN=person(tmp_path))
    assert listed.returncode == 0
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert "[bold red]URGENT[/]" in listed.stdout and "\\x1b[2J" in listed.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("review", "show", "99999999999999999999999"),
        ("refer", "show", "0"),
        ("ingest", "errors", "18446744073709551616"),
        ("audit", "log", "--before", "-1"),
        ("network", "task", "99999999999999999999999", "--to", "CTD-KP"),
        ("network", "neighbours", "0"),
        ("network", "campaigns", "--show", "18446744073709551616"),
    ],
)
def test_ids_no_database_can_hold_are_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    """An id past 64 bits (or below 1) is refused by the argument parser, not by a driver."""
    result = shaheen(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Invalid value" in result.stderr


def test_track_record_at_needs_an_iso_time(tmp_path: Path) -> None:
    result = shaheen("track", "record", "1", "removed", "--at", "yesterday", cwd=tmp_path)
    assert result.returncode == 5, result.stderr
    assert "--at 'yesterday' is not an ISO 8601 time" in result.stderr
    assert "Traceback" not in result.stderr
