"""`shaheen task …` and `shaheen share …` as people run them: a province answers a
task, the issuer accepts, the overdue job, a revoked share, and one-line refusals with
their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from shaheen.agencies.enums import Role
from tests.signing import signed_in
from tests.test_cli import shaheen


def test_tasks_and_shares_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shaheen.db'}"
    env = {"SHAHEEN_DATABASE_URL": url}
    assert shaheen("db", "upgrade", cwd=tmp_path, **env).returncode == 0
    for code, kind in (("CTA", "counter_terrorism"), ("CTD-KP", "provincial_ctd")):
        added = shaheen("agency", "add", code, code, "--kind", kind, cwd=tmp_path, **env)
        assert added.returncode == 0, added.stderr
    cta = signed_in(url, "cta-boss", "CTA", Role.SUPERVISOR)
    kp = signed_in(url, "kp-liaison", "CTD-KP", Role.LIAISON)
    kp_reviewer = signed_in(url, "kp-reviewer", "CTD-KP", Role.REVIEWER)

    brief = tmp_path / "brief.txt"
    brief.write_text("Channels to look at this week.\n", encoding="utf-8")
    issued = shaheen(
        "task", "issue", "Weekly return", "--to", "CTD-KP", "--due-days", "7",
        "--attach", str(brief), cwd=tmp_path, SHAHEEN_TOKEN=cta, **env,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    assert "task 1 issued to CTD-KP" in issued.stdout

    nobody = shaheen("task", "ack", "1", cwd=tmp_path, **env)
    assert nobody.returncode == 8 and len(nobody.stderr.strip().splitlines()) == 1
    reviewer = shaheen("task", "ack", "1", cwd=tmp_path, SHAHEEN_TOKEN=kp_reviewer, **env)
    assert reviewer.returncode == 7 and "task.work" in reviewer.stderr
    assert "Traceback" not in reviewer.stderr

    assert shaheen("task", "ack", "1", cwd=tmp_path, SHAHEEN_TOKEN=kp, **env).returncode == 0
    answered = shaheen(
        "task", "answer", "1", "Two channels referred.", cwd=tmp_path, SHAHEEN_TOKEN=kp, **env
    )
    assert answered.returncode == 0, answered.stderr
    early = shaheen("task", "accept", "1", "CTD-KP", cwd=tmp_path, SHAHEEN_TOKEN=kp, **env)
    assert early.returncode == 7 and "only the issuing agency" in early.stderr
    accepted = shaheen("task", "accept", "1", "CTD-KP", cwd=tmp_path, SHAHEEN_TOKEN=cta, **env)
    assert accepted.returncode == 0, accepted.stderr
    shown = json.loads(shaheen("task", "show", "1", cwd=tmp_path, SHAHEEN_TOKEN=kp, **env).stdout)
    assert shown["assignments"][0]["status"] == "accepted"
    assert [a["file_name"] for a in shown["attachments"]] == ["brief.txt"]
    listed = json.loads(
        shaheen("task", "list", "--json", cwd=tmp_path, SHAHEEN_TOKEN=cta, **env).stdout
    )
    assert [(row["id"], row["agency"], row["status"]) for row in listed] == [
        (1, "CTD-KP", "accepted")
    ]
    escalate = shaheen("task", "escalate", cwd=tmp_path, **env)
    assert escalate.returncode == 0 and "nothing to escalate" in escalate.stdout

    shared = shaheen(
        "share", "indicators", "--kind", "phone", "--with", "CTD-KP",
        cwd=tmp_path, SHAHEEN_TOKEN=cta, **env,
    )  # fmt: skip
    assert shared.returncode == 0 and "share 1" in shared.stdout, shared.stderr
    received = json.loads(
        shaheen("share", "list", "--json", cwd=tmp_path, SHAHEEN_TOKEN=kp, **env).stdout
    )["received"]
    assert [(s["id"], s["owner"], s["shared_by"]) for s in received] == [(1, "CTA", "cta-boss")]
    red = shaheen(
        "share", "indicators", "--tlp", "red", "--with", "CTD-KP",
        cwd=tmp_path, SHAHEEN_TOKEN=cta, **env,
    )  # fmt: skip
    assert red.returncode != 0 and "named people only" in red.stderr
    revoked = shaheen("share", "revoke", "1", cwd=tmp_path, SHAHEEN_TOKEN=cta, **env)
    assert revoked.returncode == 0, revoked.stderr
    after = json.loads(
        shaheen("share", "list", "--json", cwd=tmp_path, SHAHEEN_TOKEN=kp, **env).stdout
    )
    assert after["received"] == []
