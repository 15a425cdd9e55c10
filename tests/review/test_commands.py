"""`shaheen review`, `refer`, `track` and `evidence` as a user runs them, after the demo."""

from __future__ import annotations

import json
from pathlib import Path

from shaheen.agencies.enums import Role
from tests.signing import signed_in
from tests.test_cli import shaheen


def test_review_refer_track_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shaheen.db'}"
    tokens: dict[str, str] = {}

    def run(*args: str, who: str | None = None) -> tuple[int, str, str]:
        env = {"SHAHEEN_DATABASE_URL": url, "COLUMNS": "200"}
        if who is not None:
            env["SHAHEEN_TOKEN"] = tokens[who]
        done = shaheen(*args, cwd=tmp_path, **env)
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
    for name, role in (
        ("rev1", Role.REVIEWER),
        ("liaison", Role.LIAISON),
        ("analyst", Role.ANALYST),
        ("supervisor", Role.SUPERVISOR),
    ):
        tokens[name] = signed_in(url, name, "CTA", role)
    code, _, err = run("review", "queue", "--json")  # nobody signed in
    assert code == 8 and "shaheen login" in err
    code, out, _ = run("review", "queue", "--json", who="analyst")
    [case] = json.loads(out)
    case_id = str(case["case_id"])
    code, _, err = run(
        "review", "decide", case_id, "dismiss", "--reason", "duplicate", who="analyst"
    )
    assert code == 7 and "may not case.decide" in err
    code, _, err = run(
        "review",
        "decide",
        case_id,
        "refer",
        "--reason",
        "recruitment",
        "--organisation",
        "ttp",
        who="rev1",
    )
    assert code == 7 and "legal basis" in err
    code, out, err = run(
        "review",
        "decide",
        case_id,
        "refer",
        "--reason",
        "recruitment",
        "--organisation",
        "ttp",
        "--legal-basis",
        "PECA-2016-s37",
        who="rev1",
    )
    assert code == 0 and "referred" in out, err
    code, out, err = run("refer", "create", case_id, who="liaison")
    assert code == 0, err
    referral = out.split()[1]
    code, out, err = run("refer", "send", referral, who="liaison")
    assert code == 0 and "sent to x" in out, err
    assert list((tmp_path / "var" / "outbox" / "x").iterdir())
    code, _, err = run("track", "record", referral, "draft", who="liaison")
    assert code != 0 and "cannot go from sent to draft" in err
    assert run("track", "record", referral, "removed", "--reference", "X-1", who="liaison")[0] == 0
    code, out, _ = run("refer", "show", referral, who="liaison")
    assert [e["to_status"] for e in json.loads(out)["events"]] == ["draft", "sent", "removed"]
    code, out, _ = run("track", "board", "x", who="liaison")
    assert "removed" in out
    code, out, _ = run("evidence", "verify")
    assert code == 0 and "intact" in out
    code, out, _ = run(
        "evidence", "export", case_id, "--output", str(tmp_path / "case.zip"), who="supervisor"
    )
    assert code == 0 and (tmp_path / "case.zip").exists()
