"""The evidence record: what was online, and when, in a form a court can check.

Each record is a canonical snapshot (the account, its posts, the hashes of its media,
the signals behind the decision, the capture time) taken at detection, at referral or
at a re-check. Its SHA-256 covers the canonical JSON of the snapshot *and the previous
record's hash*, so the records form one chain: editing, deleting or re-ordering any
record breaks every hash after it. Each hash is signed with the instance's Ed25519 key
(`cryptography`), so a re-computed chain cannot be passed off as the original either.

`verify` re-checks hashes, links and signatures; `export_case` writes a bundle (zip)
with a manifest, the snapshots, the media files, the signatures and the public key,
and a note on how to verify it with any SHA-256 and Ed25519 tool.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shaheen.canonical import canonical_json, chain_hash
from shaheen.detect.models import Signal
from shaheen.errors import ConfigError, NotFound
from shaheen.evidence.models import EvidenceRecord
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Media, Post, PostMedia
from shaheen.store.base import utcnow
from shaheen.store.engine import serialise_writers

_LOCK_KEY = 0x5348_4556  # "SHEV": one writer extends the chain at a time on PostgreSQL
PURPOSES = ("detection", "decision", "referral", "recheck")


class Signer:
    """The instance's Ed25519 key pair, kept in `folder` (created on first use)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        private_path = folder / "evidence-ed25519.pem"
        if private_path.exists():
            loaded = serialization.load_pem_private_key(private_path.read_bytes(), None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ConfigError(f"{private_path} is not an Ed25519 private key")
            self.private_key = loaded
        else:
            folder.mkdir(parents=True, exist_ok=True)
            self.private_key = Ed25519PrivateKey.generate()
            pem = self.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        self.public_pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]
        (folder / f"{self.key_id}.pub.pem").write_bytes(self.public_pem)

    def sign(self, sha256_hex: str) -> str:
        return base64.b64encode(self.private_key.sign(bytes.fromhex(sha256_hex))).decode()


def public_keys(folder: Path) -> dict[str, Ed25519PublicKey]:
    """Every public key kept in `folder`, by key id (old keys stay to verify old records)."""
    keys = {}
    for path in sorted(folder.glob("*.pub.pem")):
        key = serialization.load_pem_public_key(path.read_bytes())
        if isinstance(key, Ed25519PublicKey):
            keys[path.name.removesuffix(".pub.pem")] = key
    return keys


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
    return record


@dataclass(frozen=True)
class EvidenceReport:
    records: int
    first_bad_sequence: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.first_bad_sequence is None


def verify(*, session: Session, keys: dict[str, Ed25519PublicKey]) -> EvidenceReport:
    """Recompute every hash, link and signature in order; name the first that fails."""
    previous: str | None = None
    expected = 1
    for record in session.scalars(
        select(EvidenceRecord).order_by(EvidenceRecord.sequence).execution_options(yield_per=500)
    ):
        problem = _problem(record, previous, expected, keys)
        if problem is not None:
            return EvidenceReport(expected - 1, record.sequence, problem)
        previous, expected = record.sha256, expected + 1
    return EvidenceReport(expected - 1, None, None)


def _problem(
    record: EvidenceRecord,
    previous: str | None,
    expected: int,
    keys: dict[str, Ed25519PublicKey],
) -> str | None:
    if record.sequence != expected:
        return f"record {expected} is missing from the chain"
    if record.previous_sha256 != previous:
        return "its link to the previous record is broken"
    if chain_hash(previous, _payload(record)) != record.sha256:
        return "its content changed after it was captured"
    key = keys.get(record.key_id or "")
    if key is None or record.signature is None:
        return f"no public key {record.key_id!r} to check its signature"
    try:
        key.verify(base64.b64decode(record.signature), bytes.fromhex(record.sha256))
    except (InvalidSignature, ValueError):
        return "its signature does not match its hash"
    return None


def count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(EvidenceRecord)) or 0


VERIFY_NOTE = """How to verify this bundle
=========================

manifest.json lists the records of case {case} in chain order. For each record:

1. sha256 = SHA-256 of: previous_sha256 (ASCII hex, empty for the first record of the
   whole chain), a newline (0x0A), then the canonical JSON (keys sorted, no spaces,
   UTF-8) of payload.json, which holds sequence, purpose, case_id, account_id, post_id,
   snapshot and captured_at (ISO-8601). It must equal the record's sha256.
2. The Ed25519 signature (base64, in signature) over the 32 bytes of sha256 must verify
   with public-key.pem (key id {key_id}).
3. Media files under media/ are named by their SHA-256; hash each to check it.

Records of other cases sit between these in the chain; each record's previous_sha256
ties it to its predecessor, which the issuing unit can produce on request.
"""


def export_case(
    *, session: Session, case_id: int, output: Path, media: MediaStore, signer: Signer
) -> int:
    """Write the case's evidence bundle to `output` (zip); return the records in it."""
    records = session.scalars(
        select(EvidenceRecord)
        .where(EvidenceRecord.case_id == case_id)
        .order_by(EvidenceRecord.sequence)
    ).all()
    if not records:
        raise NotFound(f"no evidence captured for case {case_id}")
    manifest = []
    media_hashes: set[str] = set()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for record in records:
            folder = f"records/{record.sequence:08d}"
            bundle.writestr(f"{folder}/payload.json", canonical_json(_payload(record)))
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
                }
            )
            for post in record.snapshot.get("posts", []):
                media_hashes.update(m["sha256"] for m in post.get("media", []))
        for sha in sorted(media_hashes):
            path = media.path_for(sha)
            if path.exists():
                bundle.write(path, f"media/{sha}")
        bundle.writestr(
            "manifest.json",
            json.dumps({"case": case_id, "records": manifest}, indent=2, ensure_ascii=False),
        )
        bundle.writestr("public-key.pem", signer.public_pem)
        bundle.writestr("VERIFY.txt", VERIFY_NOTE.format(case=case_id, key_id=signer.key_id))
    return len(records)
