"""`shaheen review`, `refer`, `track` and `evidence` as a user runs them, after the demo."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import shaheen


def test_review_refer_track_from_the_command_line(tmp_path: Path) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        done = shaheen(*args, cwd=tmp_path, COLUMNS="200")
        return done.returncode, done.stdout, done.stderr

    assert run("db", "upgrade")[0] == 0
    assert run("kb", "load")[0] == 0
    code, out, _ = run("review", "legal-bases")
    assert code == 0 and "ATA-1997-s11W" in out
    # a case to decide: ingest one propagandist account and scan it
    export = tmp_path / "posts.jsonl"
    lines = [
        {
            "platform": "x",
            "account_id": "a1",
            "handle": "qafla_media_demo",
            "post_id": f"p{i}",
            "text": "Join Tehreek-e-Taliban Pakistan, the caravan needs you. #TTP",
            "followers": 900,
        }
        for i in range(3)
    ]
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert run("ingest", str(export), "--format", "generic_jsonl")[0] == 0
    assert run("agency", "add", "CTA", "Counter-Terrorism Authority")[0] == 0
    code, out, err = run("scan")
    assert code == 0, err
    code, out, _ = run("review", "queue", "--json")
    [case] = json.loads(out)
    case_id = str(case["case_id"])
    assert run("agency", "user", "CTA", "rev1", "--role", "reviewer")[0] == 0
    assert run("agency", "user", "CTA", "liaison", "--role", "liaison")[0] == 0
    code, _, err = run(
        "review",
        "decide",
        case_id,
        "refer",
        "--reason",
        "recruitment",
        "--as",
        "rev1",
        "--organisation",
        "ttp",
    )
    assert code == 7 and "legal basis" in err
    code, out, err = run(
        "review",
        "decide",
        case_id,
        "refer",
        "--reason",
        "recruitment",
        "--as",
        "rev1",
        "--organisation",
        "ttp",
        "--legal-basis",
        "PECA-2016-s37",
    )
    assert code == 0 and "referred" in out, err
    code, out, err = run("refer", "create", case_id, "--as", "liaison")
    assert code == 0, err
    referral = out.split()[1]
    code, out, err = run("refer", "send", referral, "--as", "liaison")
    assert code == 0 and "sent to x" in out, err
    assert list((tmp_path / "var" / "outbox" / "x").iterdir())
    code, _, err = run("track", "record", referral, "draft", "--as", "liaison")
    assert code != 0 and "cannot go from sent to draft" in err
    assert (
        run("track", "record", referral, "removed", "--as", "liaison", "--reference", "X-1")[0] == 0
    )
    code, out, _ = run("refer", "show", referral)
    assert [e["to"] for e in json.loads(out)["events"]] == ["draft", "sent", "removed"]
    code, out, _ = run("track", "board", "x")
    assert "removed" in out
    code, out, _ = run("evidence", "verify")
    assert code == 0 and "intact" in out
    code, out, _ = run("evidence", "export", case_id, "--output", str(tmp_path / "case.zip"))
    assert code == 0 and (tmp_path / "case.zip").exists()
