"""`shaheen bank …`, `shaheen hash` and `shaheen match` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.detect.media.conftest import MediaFiles
from tests.test_cli import shaheen

DATA = Path(__file__).resolve().parents[2] / "data" / "banks"


def test_bank_hash_match_export_import(tmp_path: Path, media_files: MediaFiles) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        done = shaheen(*args, cwd=tmp_path)
        return done.returncode, done.stdout, done.stderr

    assert run("db", "upgrade")[0] == 0
    assert run("kb", "load")[0] == 0
    assert run("bank", "create", "ttp", "--organisation", "ttp", "--tlp", "green")[0] == 0
    code, out, err = run("bank", "add", "ttp", str(media_files.original), str(media_files.video))
    assert code == 0 and "4 hashes added" in out, err

    code, out, _ = run("match", "--json", str(media_files.reupload), str(media_files.unrelated))
    reupload, unrelated = (json.loads(line) for line in out.splitlines())
    assert code == 0 and unrelated["matches"] == []
    assert [m["signal_type"] for m in reupload["matches"]] == ["pdq"]
    assert reupload["matches"][0]["organisation"] == "ttp"

    code, out, _ = run("hash", str(media_files.original))
    assert code == 0 and "pdq" in out and "quality" in out

    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    code, out, err = run("hash", str(empty), str(media_files.unrelated))
    assert code == 5 and "empty.jpg: empty file" in err and "unrelated.png" in out

    assert run("bank", "export", "ttp", str(tmp_path / "ttp.json"))[0] == 0
    assert run("bank", "create", "partner")[0] == 0
    code, out, _ = run("bank", "import", "partner", str(tmp_path / "ttp.json"))
    assert code == 0 and "4 hashes imported" in out

    bad = tmp_path / "bad.txt"
    bad.write_text("pdq " + "a" * 64 + "\npdq nothex\n")
    code, out, err = run("bank", "import", "partner", str(bad))  # the good line is kept
    assert code == 0 and "1 hashes imported" in out and "1 rejected" in out
    assert "bad.txt: line 2: a pdq hash is 64 hex digits" in err and "Traceback" not in err

    bare = DATA / "pdq_bare.txt"
    code, out, err = run("bank", "import", "partner", str(bare), "--signal-type", "pdq")
    assert code == 0 and "4 hashes imported" in out and "pdq_bare.txt: line 6" in err
    code, out, err = run("bank", "import", "partner", str(DATA / "partner_bundle.json"))
    assert code == 0 and "3 hashes imported" in out and "7 skipped" in out, err
    assert "skipped: " in err and "ipv4-addr:value" in err and "a SHA-256 file hash" in err
    code, _, err = run("bank", "import", "partner", str(tmp_path / "missing.csv"))
    assert code == 5 and "cannot read" in err  # a file refused whole
    code, out, _ = run("bank", "list")
    assert code == 0 and "partner" in out

    code, _, err = run("bank", "add", "nobody", str(media_files.original))
    assert code == 6 and "no bank named 'nobody'" in err
