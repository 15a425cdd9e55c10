"""The evidence chain's anchor: checkpoints, pinned keys, and bundles a third party checks.

The attacks are played against committed data on both databases, as someone with
write access to the database (and, where said, to the keys folder) would play them.
The bundle is verified by `verify_bundle_independently`, which uses only hashlib,
json, zipfile and `cryptography`, and by the OpenSSL commands the README gives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from shaheen.audit import checkpoints
from shaheen.audit.keys import PRIVATE_KEY_NAME, UntrustedKey
from shaheen.audit.models import AuditEvent, ChainCheckpoint, SigningKey
from shaheen.canonical import chain_hash
from shaheen.evidence import service
from shaheen.evidence.models import EvidenceRecord
from shaheen.ingest.media import MediaStore
from shaheen.review.models import Case
from shaheen.store.base import utcnow
from tests.review.conftest import Desk


def capture(desk: Desk, signer: service.Signer, case_ids: list[int], times: int = 1) -> None:
    """One transaction capturing `times` records of each case in turn."""
    with desk.sessions.begin() as session:
        for _ in range(times):
            for case_id in case_ids:
                case = session.get(Case, case_id)
                assert case is not None
                service.capture(
                    session=session,
                    signer=signer,
                    purpose="detection",
                    account_id=case.account_id,
                    case_id=case_id,
                )


def chain_of(desk: Desk, signer: service.Signer, transactions: int = 2) -> int:
    """A case with three records per transaction: checkpoints at 3, 6, …"""
    case_id = desk.case()
    for _ in range(transactions):
        capture(desk, signer, [case_id], times=3)
    return case_id


def file_checkpoints(desk: Desk) -> list[checkpoints.Held]:
    with desk.sessions() as session:
        held, _ = checkpoints.outside_for(
            session=session, chain="evidence", anchor=checkpoints.Anchor.from_settings()
        )
    return held


def check(
    desk: Desk, held: list[checkpoints.Held] | None = None, **kwargs: object
) -> service.EvidenceReport:
    with desk.sessions() as session:
        return service.verify(session=session, outside=held or [], **kwargs)  # type: ignore[arg-type]


def resign_everything(session: Session, signer: service.Signer) -> None:
    """Recompute every hash and link and sign them with `signer` (a stolen or foreign key)."""
    previous = None
    for record in session.scalars(select(EvidenceRecord).order_by(EvidenceRecord.sequence)):
        record.previous_sha256 = previous
        record.sha256 = chain_hash(previous, service._payload(record))
        record.signature = signer.sign(record.sha256)
        record.key_id = signer.key_id
        previous = record.sha256
    session.flush()


def forge_checkpoint(session: Session, signer: service.Signer) -> None:
    top = checkpoints.head(session=session, chain="evidence")
    assert top is not None
    at = utcnow()
    unsigned = checkpoints.Checkpoint(
        "evidence", top[0], top[1], top[0], at, signer.fingerprint, ""
    )
    session.execute(
        insert(ChainCheckpoint).values(
            chain="evidence",
            sequence=top[0],
            head_hash=top[1],
            record_count=top[0],
            created_at=at,
            key_fingerprint=signer.fingerprint,
            signature=signer.sign_bytes(unsigned.message()),
        )
    )


def test_captures_are_checkpointed_and_their_key_pinned(desk: Desk, tmp_path: Path) -> None:
    signer = service.Signer(tmp_path / "keys")
    chain_of(desk, signer)
    with desk.sessions() as session:
        sealed = session.scalars(
            select(ChainCheckpoint.sequence).where(ChainCheckpoint.chain == "evidence")
        ).all()
        pinned = session.scalars(select(SigningKey).where(SigningKey.chain == "evidence")).one()
    assert sealed == [3, 6] and pinned.fingerprint == signer.fingerprint
    assert [h.checkpoint.sequence for h in file_checkpoints(desk)] == [3, 6]
    report = check(desk, file_checkpoints(desk))
    assert report.intact and report.records == 6 and report.checkpoints == 4


def test_deleting_the_newest_records_is_detected(desk: Desk, tmp_path: Path) -> None:
    chain_of(desk, service.Signer(tmp_path / "keys"))
    with desk.sessions.begin() as session:
        session.execute(delete(EvidenceRecord).where(EvidenceRecord.sequence >= 5))
    report = check(desk)
    assert report.first_bad_sequence == 5 and "newest records were deleted" in (report.reason or "")


def test_deleting_the_newest_records_and_checkpoint_is_caught_by_the_file(
    desk: Desk, tmp_path: Path
) -> None:
    chain_of(desk, service.Signer(tmp_path / "keys"))
    with desk.sessions.begin() as session:
        session.execute(delete(EvidenceRecord).where(EvidenceRecord.sequence >= 4))
        session.execute(delete(ChainCheckpoint).where(ChainCheckpoint.sequence >= 4))
    assert check(desk).intact  # the database agrees with itself
    report = check(desk, file_checkpoints(desk))
    assert report.first_bad_sequence == 4
    assert ".evidence.jsonl says it had 6" in (report.reason or "")


def test_a_recomputed_chain_without_the_key_is_detected(desk: Desk, tmp_path: Path) -> None:
    chain_of(desk, service.Signer(tmp_path / "keys"))
    with desk.sessions.begin() as session:
        record = session.scalars(select(EvidenceRecord).where(EvidenceRecord.sequence == 2)).one()
        record.snapshot = {**record.snapshot, "account": {"handle": "innocent"}}
        session.flush()
        previous = None
        for each in session.scalars(select(EvidenceRecord).order_by(EvidenceRecord.sequence)):
            each.previous_sha256 = previous
            each.sha256 = chain_hash(previous, service._payload(each))
            previous = each.sha256
    report = check(desk)
    assert report.first_bad_sequence == 2
    assert report.reason == "its signature does not match its hash"


def test_a_rewrite_with_the_stolen_key_is_caught_by_the_file(desk: Desk, tmp_path: Path) -> None:
    stolen = service.Signer(tmp_path / "keys")
    chain_of(desk, stolen)
    with desk.sessions.begin() as session:
        record = session.scalars(select(EvidenceRecord).where(EvidenceRecord.sequence == 1)).one()
        record.snapshot = {**record.snapshot, "account": {"handle": "someone_innocent"}}
        session.flush()
        resign_everything(session, stolen)
        session.execute(delete(ChainCheckpoint).where(ChainCheckpoint.chain == "evidence"))
        forge_checkpoint(session, stolen)
    assert check(desk).intact  # records, signatures and the one checkpoint all agree
    report = check(desk, file_checkpoints(desk))
    assert report.first_bad_sequence == 3
    assert "differs from the signed checkpoint in" in (report.reason or "")


def test_re_ordered_records_are_detected(desk: Desk, tmp_path: Path) -> None:
    first, second = desk.case(), desk.case(handle="other")
    signer = service.Signer(tmp_path / "keys")
    capture(desk, signer, [first, second])
    capture(desk, signer, [first, second])
    with desk.sessions.begin() as session:
        session.execute(
            update(EvidenceRecord).where(EvidenceRecord.sequence == 2).values(sequence=-2)
        )
        session.execute(
            update(EvidenceRecord).where(EvidenceRecord.sequence == 3).values(sequence=2)
        )
        session.execute(
            update(EvidenceRecord).where(EvidenceRecord.sequence == -2).values(sequence=3)
        )
    report = check(desk)
    assert report.first_bad_sequence == 2 and not report.intact


def test_records_signed_by_a_key_dropped_into_the_folder_do_not_verify(
    desk: Desk, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    chain_of(desk, service.Signer(keys), transactions=1)
    intruder = service.Signer(tmp_path / "intruder")
    shutil.copy(intruder.folder / f"{intruder.key_id}.pub.pem", keys)  # the drop-in
    assert intruder.key_id in service.public_keys(keys)
    with desk.sessions.begin() as session:
        record = session.scalars(select(EvidenceRecord).where(EvidenceRecord.sequence == 3)).one()
        record.snapshot = {**record.snapshot, "account": {"handle": "framed"}}
        session.flush()
        resign_everything(session, intruder)
        session.execute(delete(ChainCheckpoint).where(ChainCheckpoint.chain == "evidence"))
        forge_checkpoint(session, intruder)
    # The keys folder, as the demo passes it, now holds the intruder's key: still refused.
    report = check(desk, keys=service.public_keys(keys))
    assert not report.intact and "never pinned" in (report.reason or "")
    with desk.sessions.begin() as session:  # pinning it by hand does not help either
        session.add(
            SigningKey(
                chain="evidence",
                key_id=intruder.key_id,
                fingerprint=intruder.fingerprint,
                public_key=intruder.public_pem.decode(),
                pinned_at=utcnow(),
            )
        )
    report = check(desk, keys=service.public_keys(keys))
    assert not report.intact and "without an endorsement" in (report.reason or "")


def test_a_replaced_private_key_cannot_capture(desk: Desk, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    case_id = chain_of(desk, service.Signer(keys), transactions=1)
    (keys / PRIVATE_KEY_NAME).unlink()
    with pytest.raises(UntrustedKey, match="is not one the evidence chain trusts"):
        capture(desk, service.Signer(keys), [case_id])
    assert check(desk).records == 3


def independent_check(bundle_path: Path) -> int:
    """Verify a bundle with hashlib, json, zipfile and `cryptography` only (no Shaheen).

    Raises (AssertionError, InvalidSignature, KeyError) at the first thing that fails.
    """
    with zipfile.ZipFile(bundle_path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        keys = {}
        for name in bundle.namelist():
            if name.startswith("keys/") and name.endswith(".pem"):
                key = load_pem_public_key(bundle.read(name))
                assert isinstance(key, Ed25519PublicKey)
                raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
                key_id = name.removeprefix("keys/").removesuffix(".pem")
                assert hashlib.sha256(raw).hexdigest().startswith(key_id)
                keys[key_id] = key
        chain = {link["sequence"]: link for link in json.loads(bundle.read(manifest["chain"]))}
        for sequence, link in chain.items():
            keys[link["key_id"]].verify(
                base64.b64decode(link["signature"]), bytes.fromhex(link["sha256"])
            )
            if sequence - 1 in chain:
                assert link["previous_sha256"] == chain[sequence - 1]["sha256"]
        heads = set()
        for entry in manifest["checkpoints"]:
            statement = bundle.read(entry["statement"])
            fields = json.loads(statement)
            keys[fields["key"][:16]].verify(bundle.read(entry["signature"]), statement)
            assert fields["chain"] == "evidence"
            assert chain[fields["sequence"]]["sha256"] == fields["head"]
            heads.add(fields["sequence"])
        for record in manifest["records"]:
            payload = bundle.read(record["payload"])
            previous = (record["previous_sha256"] or "").encode("ascii")
            digest = hashlib.sha256(previous + b"\n" + payload).hexdigest()
            assert digest == record["sha256"] == chain[record["sequence"]]["sha256"]
            folder = record["payload"].removesuffix("payload.json")
            assert bundle.read(folder + "sha256.bin") == bytes.fromhex(digest)
            keys[record["key_id"]].verify(
                bundle.read(folder + "signature.bin"), bytes.fromhex(digest)
            )
            sequence = record["sequence"]  # linked, without a gap, up to a signed checkpoint
            while sequence not in heads:
                sequence += 1
                assert chain[sequence]["previous_sha256"] == chain[sequence - 1]["sha256"]
        for name in bundle.namelist():
            if name.startswith("media/"):
                assert hashlib.sha256(bundle.read(name)).hexdigest() == name.removeprefix("media/")
        return len(manifest["records"])


def export(desk: Desk, case_id: int, output: Path, tmp_path: Path) -> int:
    with desk.sessions.begin() as session:
        return service.export_case(
            session=session,
            case_id=case_id,
            output=output,
            media=MediaStore(tmp_path / "media"),
            actor="cli:liaison",
        )


def interleaved(desk: Desk, signer: service.Signer) -> tuple[int, int]:
    """Two cases whose records share transactions, so links pass through the other's."""
    ours, theirs = desk.case(), desk.case(handle="someone_else")
    capture(desk, signer, [ours, theirs], times=2)  # 1 ours, 2 theirs, 3 ours, 4 theirs
    capture(desk, signer, [theirs])  # 5
    capture(desk, signer, [ours, theirs])  # 6 ours, 7 theirs
    return ours, theirs


def test_a_bundle_verifies_independently_of_shaheen(desk: Desk, tmp_path: Path) -> None:
    ours, _theirs = interleaved(desk, service.Signer(tmp_path / "keys"))
    output = tmp_path / "case.zip"
    assert export(desk, ours, output, tmp_path) == 3
    assert independent_check(output) == 3
    with zipfile.ZipFile(output) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        links = json.loads(bundle.read("chain.json"))
        names = bundle.namelist()
        assert "How to verify" in bundle.read("VERIFY.txt").decode()
    assert [r["sequence"] for r in manifest["records"]] == [1, 3, 6]
    assert [c["sequence"] for c in manifest["checkpoints"]] == [4, 7]
    assert [link["sequence"] for link in links] == [1, 2, 3, 4, 6, 7]
    assert not any("00000002" in name for name in names)  # others' content stays out
    with desk.sessions() as session:
        exported = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "evidence.export")
        ).one()
    assert (exported.actor, exported.object_id, exported.details["records"]) == (
        "cli:liaison",
        str(ours),
        3,
    )


def test_the_independent_check_fails_on_a_tampered_bundle(desk: Desk, tmp_path: Path) -> None:
    ours, _ = interleaved(desk, service.Signer(tmp_path / "keys"))
    output = tmp_path / "case.zip"
    export(desk, ours, output, tmp_path)
    with zipfile.ZipFile(output) as bundle:
        contents = {name: bundle.read(name) for name in bundle.namelist()}
    edited = json.loads(contents["records/00000003/payload.json"])
    edited["snapshot"]["account"]["handle"] = "not_them"
    for name, change in (
        ("records/00000003/payload.json", json.dumps(edited).encode()),
        ("chain.json", contents["chain.json"].replace(b'"sequence": 2', b'"sequence": 5')),
    ):
        tampered = tmp_path / "tampered.zip"
        with zipfile.ZipFile(tampered, "w") as bundle:
            for each, data in contents.items():
                bundle.writestr(each, change if each == name else data)
        with pytest.raises((AssertionError, KeyError)):
            independent_check(tampered)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_bundle_verifies_with_sha256sum_and_openssl(desk: Desk, tmp_path: Path) -> None:
    ours, _ = interleaved(desk, service.Signer(tmp_path / "keys"))
    output = tmp_path / "case.zip"
    export(desk, ours, output, tmp_path)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(output) as bundle:
        bundle.extractall(folder)
    manifest = json.loads((folder / "manifest.json").read_text())

    def sh(command: str) -> str:
        done = subprocess.run(
            ["bash", "-c", command], cwd=folder, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    for record in manifest["records"]:
        folder_name = f"records/{record['sequence']:08d}"
        digest = sh(
            f"{{ printf '%s\\n' '{record['previous_sha256'] or ''}'; "
            f"cat {folder_name}/payload.json; }} | sha256sum"
        ).split()[0]
        assert digest == record["sha256"]
        assert "Verified Successfully" in sh(
            f"openssl pkeyutl -verify -pubin -inkey keys/{record['key_id']}.pem -rawin "
            f"-in {folder_name}/sha256.bin -sigfile {folder_name}/signature.bin"
        )
    for entry in manifest["checkpoints"]:
        assert "Verified Successfully" in sh(
            f"openssl pkeyutl -verify -pubin -inkey keys/{entry['key_id']}.pem -rawin "
            f"-in {entry['statement']} -sigfile {entry['signature']}"
        )
    key_id = manifest["records"][0]["key_id"]
    fingerprint = sh(
        f"openssl pkey -pubin -in keys/{key_id}.pem -outform DER | tail -c 32 | sha256sum"
    )
    assert fingerprint.startswith(key_id)
    # a wrong message fails the same command
    done = subprocess.run(
        [
            "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", f"keys/{key_id}.pem",
            "-rawin", "-in", "manifest.json", "-sigfile", "records/00000001/signature.bin",
        ],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0


def readme_recipe() -> str:
    """The Python block of the README's "How a third party verifies a bundle"."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### How a third party verifies a bundle", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_recipe_verifies_a_bundle_and_refuses_a_tampered_one(
    desk: Desk, tmp_path: Path
) -> None:
    ours, _ = interleaved(desk, service.Signer(tmp_path / "keys"))
    output = tmp_path / "case.zip"
    export(desk, ours, output, tmp_path)
    script = tmp_path / "check_bundle.py"
    script.write_text(readme_recipe())

    def run(bundle: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), str(bundle)], capture_output=True, text=True, check=False
        )

    good = run(output)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "3 records verified"
    with zipfile.ZipFile(output) as bundle:
        contents = {name: bundle.read(name) for name in bundle.namelist()}
    checkpoint = next(
        name for name in contents if name.endswith(".json") and "checkpoints/" in name
    )
    edited = contents[checkpoint].replace(b'"count":', b'"count":1')  # a different statement
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as bundle:
        for name, data in contents.items():
            bundle.writestr(name, edited if name == checkpoint else data)
    bad = run(tampered)
    assert bad.returncode != 0 and "InvalidSignature" in bad.stderr
