"""`shaheen ingest` as a user runs it: exit 0 when every file was read, 5 when one was
refused; zone abbreviations settled on the command line; an account's status
observations shown; never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.ingest.connectors.contract import DATA
from tests.test_cli import shaheen


def test_exit_codes_abbreviations_and_the_account_view(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    read = shaheen(
        "ingest",
        "--tz-abbrev",
        "ist=Asia/Kolkata",
        str(DATA / "crowdtangle" / "zones.csv"),
        str(DATA / "generic" / "values.jsonl"),
        str(DATA / "x" / "users_lookup.jsonl"),
        cwd=tmp_path,
        COLUMNS="200",
    )
    assert read.returncode == 0, read.stdout + read.stderr
    assert "ambiguous time zone 'CST'" in read.stdout  # listed, not fatal
    assert "ambiguous time zone 'IST'" not in read.stdout  # settled
    assert "5 status observation(s) kept" in read.stdout
    assert "Traceback" not in read.stdout + read.stderr

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(DATA / "x" / "flatten.jsonl", inbox / "flatten.jsonl")
    (inbox / "empty.json").write_text("  \n")
    refused = shaheen("ingest", str(inbox), cwd=tmp_path, COLUMNS="200")
    assert refused.returncode == 5
    assert "empty.json: the file is empty (nothing from it was kept)" in refused.stdout
    assert "Traceback" not in refused.stdout + refused.stderr

    bad_zone = shaheen("ingest", "--tz-abbrev", "IST=Mars/Base", str(inbox), cwd=tmp_path)
    assert bad_zone.returncode == 5 and "unknown time zone 'Mars/Base'" in bad_zone.stderr

    view = shaheen("ingest", "account", "x", "920002", cwd=tmp_path, COLUMNS="200")
    assert view.returncode == 0, view.stderr
    assert "@withheld_two" in view.stdout and "withheld in PK" in view.stdout
    missing = shaheen("ingest", "account", "x", "nobody", cwd=tmp_path)
    assert missing.returncode == 6 and "no x account 'nobody'" in missing.stderr
