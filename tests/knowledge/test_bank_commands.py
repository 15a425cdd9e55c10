"""`shaheen bank add/import/export` as a liaison officer runs them: markings kept, a looser
export refused (and the refusal audited), a downgrade only with a reason, audited."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from shaheen.demo.media import poster
from tests.test_cli import shaheen

DATA = Path(__file__).resolve().parents[1] / "data" / "banks"


def _events(cwd: Path, action: str) -> list[tuple[str, str, dict[str, object]]]:
    with sqlite3.connect(cwd / "var" / "shaheen.db") as db:
        rows = db.execute(
            "SELECT actor, outcome, details FROM audit_events WHERE action = ? ORDER BY sequence",
            (action,),
        ).fetchall()
    return [(actor, outcome, json.loads(details)) for actor, outcome, details in rows]


def test_markings_at_the_command_line(tmp_path: Path) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        done = shaheen(*args, cwd=tmp_path)
        return done.returncode, done.stdout, done.stderr

    assert run("db", "upgrade")[0] == 0
    assert run("bank", "create", "cell", "--tlp", "green", "--source", "desk")[0] == 0
    image = tmp_path / "poster.png"
    poster(7).convert("RGB").save(image)
    code, out, err = run("bank", "add", "cell", str(image))
    assert code == 0 and "2 hashes added" in out, err
    code, out, err = run("bank", "import", "cell", str(DATA / "marked_bundle.json"))
    assert code == 0 and "4 hashes imported" in out and "1 rejected" in out, err
    assert "neither a TLP marking nor defined in the bundle" in err
    code, out, _ = run("bank", "list")
    assert code == 0 and "green" in out and "red" in out  # marked GREEN, exports as RED

    refused = tmp_path / "for-partner.json"
    code, out, err = run("bank", "export", "cell", str(refused), "--tlp", "green")
    assert code == 7 and "holds TLP:RED hashes; exporting them as TLP:GREEN" in err, out
    assert not refused.exists()
    [(actor, outcome, details)] = _events(tmp_path, "bank.export")
    assert actor and outcome == "rejected"  # the operator: `system`, or a signed-in name
    assert details["tlp"] == "green" and "is a downgrade" in str(details["refused"])

    code, _, err = run("bank", "export", "cell", str(refused), "--tlp", "green", "--downgrade")
    assert code == 5 and "needs --reason" in err

    plain = tmp_path / "plain.csv"
    code, out, _ = run("bank", "export", "cell", str(plain))
    assert code == 0 and "6 hashes of 'cell' written" in out and "(TLP:RED)" in out
    assert {line.split(",")[5] for line in plain.read_text().splitlines()[1:]} == {"TLP:RED"}

    code, out, err = run(
        "bank",
        "export",
        "cell",
        str(refused),
        "--tlp",
        "green",
        "--downgrade",
        "--reason",
        "originator cleared the set for GIFCT, letter CTD/412",
    )
    assert code == 0, err
    assert "(TLP:GREEN, downgraded from TLP:RED (audited))" in out
    [(actor, outcome, details)] = _events(tmp_path, "bank.downgrade")
    assert actor and outcome == "ok"
    assert {k: details[k] for k in ("bank", "from", "to", "reason", "count", "loosened")} == {
        "bank": "cell",
        "from": "red",
        "to": "green",
        "reason": "originator cleared the set for GIFCT, letter CTD/412",
        "count": 6,
        "loosened": 2,  # the AMBER+STRICT and the RED hash; the rest were GREEN already
    }
    objects = json.loads(refused.read_text())["objects"]
    assert {
        ref for o in objects if o["type"] == "indicator" for ref in o["object_marking_refs"]
    } == {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}
