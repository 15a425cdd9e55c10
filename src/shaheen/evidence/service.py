"""The evidence record: what was online, and when, in a form a court can check.

Each record is a canonical snapshot (the account, its posts, the hashes of its media,
the signals behind the decision, the capture time) taken at detection, at referral or
at a re-check. Its SHA-256 covers the canonical JSON of the snapshot *and the previous
record's hash*, so the records form one chain: editing, deleting or re-ordering any
record breaks every hash after it. Each hash is signed with the instance's Ed25519 key
(`cryptography`), so a re-computed chain cannot be passed off as the original either.

The transaction that captures records also commits a signed checkpoint of the chain's
head, copied to a file outside the database (`audit/checkpoints.py`); the signing key
must be one the chain pinned (`audit/keys.py`). So `verify` also catches the newest
records deleted (with or without their checkpoint rows), and records signed by a key
someone dropped into the keys folder.

`export_case` writes a bundle (zip) that a third party checks with SHA-256 and Ed25519
alone: the snapshots, each record's hash and signature as raw bytes, the public keys
that signed them, the chain's links from each record to the signed checkpoint that
covers it, and that checkpoint's exact signed bytes.
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shaheen.audit import checkpoints
from shaheen.audit import service as audit
from shaheen.audit.keys import Signer, Trust, pin, public_keys
from shaheen.audit.models import ChainCheckpoint
from shaheen.canonical import canonical_json, chain_hash
from shaheen.detect.models import Signal
from shaheen.errors import NotFound
from shaheen.evidence.models import EvidenceRecord
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.store.base import utcnow
from shaheen.store.engine import serialise_writers

__all__ = [
    "PURPOSES",
    "EvidenceReport",
    "Signer",
    "capture",
    "count",
    "export_case",
    "public_keys",
    "snapshot_of_account",
    "verify",
]

_LOCK_KEY = checkpoints.LOCK_KEYS["evidence"]  # one writer extends the chain at a time
PURPOSES = ("detection", "decision", "referral", "recheck")
BUNDLE_FORMAT = "shaheen-evidence-bundle/2"


def _payload(record: EvidenceRecord) -> dict[str, Any]:
    return {
        "sequence": record.sequence,
        "purpose": record.purpose,
        "case_id": record.case_id,
        "account_id": record.account_id,
        "post_id": record.post_id,
        "snapshot": record.snapshot,
        "captured_at": record.captured_at,
    }


def snapshot_of_account(session: Session, account_id: int) -> dict[str, Any]:
    """The account as stored now, its posts, their media hashes, and the signals on it."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    posts = session.scalars(
        select(Post).where(Post.account_id == account_id).order_by(Post.id)
    ).all()
    media = session.execute(
        select(PostMedia.post_id, Media.sha256, Media.md5, Media.pdq, Media.mime_type)
        .join(Media, Media.id == PostMedia.media_id)
        .where(PostMedia.post_id.in_([p.id for p in posts]))
        .order_by(PostMedia.post_id, Media.sha256)
    ).all()
    signals = session.execute(
        select(Signal.detector, Signal.detector_version, Signal.post_id, Signal.label, Signal.score)
        .where(Signal.account_id == account_id)
        .order_by(Signal.id)
    ).all()
    return {
        "account": {
            "platform_id": account.platform_id,
            "platform_account_id": account.platform_account_id,
            "handle": account.handle,
            "display_name": account.display_name,
            "bio": account.bio,
            "url": account.url,
            "followers": account.followers,
            "verified": account.verified,
            "risk_score": account.risk_score,
        },
        "posts": [
            {
                "id": p.id,
                "platform_post_id": p.platform_post_id,
                "url": p.url,
                "text": p.text,
                "posted_at": p.posted_at,
                "media": [
                    {"sha256": sha, "md5": md5, "pdq": pdq, "type": mime}
                    for post_id, sha, md5, pdq, mime in media
                    if post_id == p.id
                ],
            }
            for p in posts
        ],
        "signals": [
            {"detector": d, "version": v, "post_id": pid, "label": lbl, "score": round(s, 4)}
            for d, v, pid, lbl, s in signals
        ],
    }


def capture(
    *,
    session: Session,
    signer: Signer,
    purpose: str,
    account_id: int,
    case_id: int | None = None,
    captured_at: datetime | None = None,
) -> EvidenceRecord:
    """Append a signed snapshot of the account to the chain."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}")
    serialise_writers(session, _LOCK_KEY)
    pin(session=session, chain="evidence", signer=signer)
    last = session.scalars(
        select(EvidenceRecord).order_by(EvidenceRecord.sequence.desc()).limit(1)
    ).first()
    # Round-trip through JSON so the stored snapshot is exactly what was hashed.
    snapshot = json.loads(canonical_json(snapshot_of_account(session, account_id)))
    record = EvidenceRecord(
        sequence=(last.sequence + 1) if last else 1,
        case_id=case_id,
        account_id=account_id,
        purpose=purpose,
        snapshot=snapshot,
        previous_sha256=last.sha256 if last else None,
        captured_at=captured_at or utcnow(),
        key_id=signer.key_id,
    )
    record.sha256 = chain_hash(record.previous_sha256, _payload(record))
    record.signature = signer.sign(record.sha256)
    session.add(record)
    session.flush()
    checkpoints.stage(session=session, chain="evidence", sequence=record.sequence, signer=signer)
    return record


@dataclass(frozen=True)
class EvidenceReport:
    """The outcome of checking the evidence chain (`intact` looks at `reason`)."""

    records: int
    first_bad_sequence: int | None
    reason: str | None
    checkpoints: int = 0
    sources: tuple[str, ...] = ()

    @property
    def intact(self) -> bool:
        return self.reason is None


def verify(
    *,
    session: Session,
    keys: dict[str, Ed25519PublicKey] | None = None,
    outside: Iterable[checkpoints.Held] = (),
) -> EvidenceReport:
    """Recompute every hash, link and signature in order, and hold the chain against
    its signed checkpoints; name the first record that fails.

    Signatures are checked with the keys the chain pinned, never with key files.
    `keys`, if given, narrows them further: a record signed by a pinned key that is not
    among `keys` fails too. `outside` adds checkpoints kept elsewhere (the checkpoint
    file, an export).
    """
    verifier = checkpoints.ChainVerifier(session=session, chain="evidence", outside=outside)
    if verifier.problem is not None:
        return EvidenceReport(0, *verifier.problem)
    previous: str | None = None
    expected = 1
    for record in session.scalars(
        select(EvidenceRecord).order_by(EvidenceRecord.sequence).execution_options(yield_per=500)
    ):
        problem = _problem(record, previous, expected, verifier, keys)
        if problem is not None:
            return EvidenceReport(expected - 1, record.sequence, problem)
        previous, expected = record.sha256, expected + 1
    end = verifier.finish(expected - 1)
    if end is not None:
        return EvidenceReport(expected - 1, *end)
    return EvidenceReport(
        expected - 1, None, None, verifier.checkpoints, tuple(sorted(verifier.sources))
    )


def _problem(
    record: EvidenceRecord,
    previous: str | None,
    expected: int,
    verifier: checkpoints.ChainVerifier,
    keys: dict[str, Ed25519PublicKey] | None,
) -> str | None:
    if record.sequence != expected:
        return f"record {expected} is missing from the chain"
    if record.previous_sha256 != previous:
        return "its link to the previous record is broken"
    if chain_hash(previous, _payload(record)) != record.sha256:
        return "its content changed after it was captured"
    if keys is not None and (record.key_id or "") not in keys:
        return f"no public key {record.key_id!r} to check its signature"
    problem = verifier.signature(
        sequence=record.sequence,
        key_id=record.key_id,
        signature=record.signature,
        digest=record.sha256,
    )
    if problem == "its signature does not match":
        return "its signature does not match its hash"
    return problem or verifier.record(record.sequence, record.sha256)


def count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EvidenceRecord)) or 0


VERIFY_NOTE = """How to verify this bundle
=========================

This bundle holds the evidence records of case {case} and what ties them to the
issuing unit's signed record. Only SHA-256 and Ed25519 are needed (sha256sum and
OpenSSL 3, or Python with `cryptography`); no Shaheen code.

manifest.json    the case's records in chain order, and the checkpoints below
records/N/       payload.json (the canonical JSON that was hashed), sha256.bin (the
                 record's 32-byte SHA-256, which is what was signed) and signature.bin
                 (the 64-byte Ed25519 signature)
keys/KEYID.pem   the public keys that signed them; KEYID is the first 16 hex digits of
                 the SHA-256 of the raw 32-byte key. Compare the fingerprint with the
                 one the unit publishes or another agency holds.
keys.json        those keys' pinning and rotation record: a later key is endorsed by
                 the earlier one's signature
chain.json       the chain's links (sequence, previous_sha256, sha256, signature, key)
                 from each record of this case to the checkpoint that covers it; other
                 cases' records appear only as hashes
checkpoints/     the signed checkpoints covering the records: NAME.json holds the exact
                 signed bytes (canonical JSON: chain, sequence, head, count, created_at,
                 key fingerprint), NAME.sig the raw Ed25519 signature
media/SHA256     the media files, named by their SHA-256

1. Each record: SHA-256 over previous_sha256 (ASCII hex; empty for the first record of
   the whole chain), a newline (0x0A), then payload.json must equal its sha256:
     {{ printf '%s\\n' "$PREVIOUS_SHA256"; cat records/N/payload.json; }} | sha256sum
   and the signature must verify over sha256.bin:
     openssl pkeyutl -verify -pubin -inkey keys/KEYID.pem -rawin \\
       -in records/N/sha256.bin -sigfile records/N/signature.bin
2. chain.json: every entry's signature verifies over its sha256 with keys/KEY.pem,
   and each entry's previous_sha256 equals the sha256 of the entry before it.
3. Each checkpoint verifies, and its head equals the sha256 at its sequence in chain.json:
     openssl pkeyutl -verify -pubin -inkey keys/KEYID.pem -rawin \\
       -in checkpoints/NAME.json -sigfile checkpoints/NAME.sig
4. A key's fingerprint:
     openssl pkey -pubin -in keys/KEYID.pem -outform DER | tail -c 32 | sha256sum
5. Media files: sha256sum media/* (each name is its hash).
"""


def export_case(
    *,
    session: Session,
    case_id: int,
    output: Path,
    media: MediaStore,
    signer: Signer | None = None,
    actor: str | None = None,
) -> int:
    """Write the case's evidence bundle to `output` (zip); return the records in it.

    The keys in the bundle are the ones the chain pinned, whichever signed each record
    (`signer` is accepted for old callers and not needed). With `actor`, the export is
    written to the audit log.
    """
    del signer  # the pinned keys, not today's key file, say who signed
    records = session.scalars(
        select(EvidenceRecord)
        .where(EvidenceRecord.case_id == case_id)
        .order_by(EvidenceRecord.sequence)
    ).all()
    if not records:
        raise NotFound(f"no evidence captured for case {case_id}")
    covering = _covering_checkpoints(session, [r.sequence for r in records])
    links = _links(session, records, covering)
    trust = Trust.load(session=session, chain="evidence")
    used = {entry["key_id"] for entry in links} | {c.key[:16] for c in covering.values()}
    pems = {key_id: trust.pems.get(trust.by_id.get(key_id, "")) for key_id in used}
    unknown = sorted(key_id for key_id, pem in pems.items() if pem is None)
    if unknown:
        raise NotFound(
            f"records of case {case_id} are signed by key(s) {', '.join(unknown)} that the "
            "evidence chain does not trust; run `shaheen evidence verify`"
        )
    manifest = []
    media_hashes: set[str] = set()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for record in records:
            folder = f"records/{record.sequence:08d}"
            bundle.writestr(f"{folder}/payload.json", canonical_json(_payload(record)))
            bundle.writestr(f"{folder}/sha256.bin", bytes.fromhex(record.sha256))
            bundle.writestr(f"{folder}/signature.bin", base64.b64decode(record.signature or ""))
            manifest.append(
                {
                    "sequence": record.sequence,
                    "purpose": record.purpose,
                    "captured_at": record.captured_at.isoformat(),
                    "sha256": record.sha256,
                    "previous_sha256": record.previous_sha256,
                    "signature": record.signature,
                    "key_id": record.key_id,
                    "payload": f"{folder}/payload.json",
                    "checkpoint": covering[record.sequence].sequence,
                }
            )
            for post in record.snapshot.get("posts", []):
                media_hashes.update(m["sha256"] for m in post.get("media", []))
        for sha in sorted(media_hashes):
            path = media.path_for(sha)
            if path.exists():
                bundle.write(path, f"media/{sha}")
        listed = []
        for checkpoint in sorted(set(covering.values()), key=lambda c: c.sequence):
            name = f"checkpoints/evidence-{checkpoint.sequence:08d}"
            bundle.writestr(f"{name}.json", checkpoint.message())
            bundle.writestr(f"{name}.sig", base64.b64decode(checkpoint.signature))
            listed.append(
                {
                    "sequence": checkpoint.sequence,
                    "head": checkpoint.head,
                    "key_id": checkpoint.key[:16],
                    "statement": f"{name}.json",
                    "signature": f"{name}.sig",
                }
            )
        for key_id, pem in sorted(pems.items()):
            bundle.writestr(f"keys/{key_id}.pem", pem or "")
        bundle.writestr("keys.json", json.dumps(trust.rows, indent=2))
        bundle.writestr("chain.json", json.dumps(links, indent=1))
        bundle.writestr(
            "manifest.json",
            json.dumps(
                {
                    "format": BUNDLE_FORMAT,
                    "case": case_id,
                    "exported_at": utcnow().isoformat(),
                    "records": manifest,
                    "checkpoints": listed,
                    "chain": "chain.json",
                },
                indent=2,
                ensure_ascii=False,
            ),
        )
        bundle.writestr("VERIFY.txt", VERIFY_NOTE.format(case=case_id))
    if actor is not None:
        audit.record(
            session=session,
            actor=actor,
            action="evidence.export",
            object_type="case",
            object_id=case_id,
            details={"records": len(records), "file": output.name},
        )
    return len(records)


def _covering_checkpoints(
    session: Session, sequences: list[int]
) -> dict[int, checkpoints.Checkpoint]:
    """For each record, the first signed checkpoint at or after it (its transaction's)."""
    covering = {}
    for sequence in sequences:
        row = session.scalars(
            select(ChainCheckpoint)
            .where(ChainCheckpoint.chain == "evidence", ChainCheckpoint.sequence >= sequence)
            .order_by(ChainCheckpoint.sequence)
            .limit(1)
        ).first()
        if row is None:
            raise NotFound(
                f"evidence record {sequence} is covered by no signed checkpoint yet; "
                "run `shaheen audit checkpoint` to seal the chain, then export again"
            )
        covering[sequence] = checkpoints.Checkpoint.of_row(row)
    return covering


def _links(
    session: Session,
    records: Iterable[EvidenceRecord],
    covering: dict[int, checkpoints.Checkpoint],
) -> list[dict[str, Any]]:
    """The chain's links from each record to its checkpoint: hashes only, no content."""
    wanted: set[int] = set()
    for record in records:
        wanted.update(range(record.sequence, covering[record.sequence].sequence + 1))
    rows = session.execute(
        select(
            EvidenceRecord.sequence,
            EvidenceRecord.previous_sha256,
            EvidenceRecord.sha256,
            EvidenceRecord.signature,
            EvidenceRecord.key_id,
        )
        .where(EvidenceRecord.sequence.in_(sorted(wanted)))
        .order_by(EvidenceRecord.sequence)
    ).all()
    return [
        {
            "sequence": sequence,
            "previous_sha256": previous,
            "sha256": digest,
            "signature": signature,
            "key_id": key_id,
        }
        for sequence, previous, digest, signature, key_id in rows
    ]
