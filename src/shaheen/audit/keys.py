"""The instance's Ed25519 signing key, and which keys each chain trusts.

A key file in the keys folder proves nothing by itself: anyone who can write that
folder can drop one in. So each chain *pins* the keys it trusts in `signing_keys`: the
first key that signs for a chain is trusted on first use, and every later key needs an
endorsement, the rotation statement signed by the key it replaces. `Trust.load` rebuilds
that line of succession from the table and checks every endorsement, so a pinned row
added by hand, or a key file nobody endorsed, never makes a record verify.

Rotation retires the old key after the chain's head at that moment: a record or
checkpoint signed by it at a later sequence is refused, so a stolen old key cannot
extend the chain either.

Private key files are created 0600, and a key file that others can read is refused
with its path, rather than used.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.audit.models import SigningKey
from shaheen.canonical import canonical_json
from shaheen.errors import ConfigError, ShaheenError
from shaheen.store.base import utcnow

PRIVATE_KEY_NAME = "evidence-ed25519.pem"
PINNED_INFO = "shaheen.keys.pinned"  # session.info: (chain, fingerprint) checked this transaction


class InsecureKeyFile(ConfigError):
    """A private key file that other users can read or write."""


class UntrustedKey(ShaheenError):
    """A key that a chain has not pinned, or has retired, was asked to sign for it."""


def fingerprint_of(public_key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key; its first 16 digits are the key id."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_pem(pem: bytes | str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM, or `ConfigError`."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise ConfigError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("not an Ed25519 public key")
    return key


def _check_private_file(path: Path) -> None:
    if os.name != "posix":  # modes mean nothing elsewhere; the folder's ACL must do
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InsecureKeyFile(
            f"private key {path} has mode {mode:04o}: other users can read it; "
            f"run `chmod 600 {path}` (Shaheen refuses to sign with it until then)"
        )


def _load_private(path: Path) -> Ed25519PrivateKey:
    _check_private_file(path)
    loaded = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 private key")
    return loaded


def _create_private(path: Path) -> Ed25519PrivateKey:
    """Write a new key with mode 0600 from the start (never a window where it is 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _load_private(path)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


class Signer:
    """The instance's Ed25519 key pair, kept in `folder` (created on first use).

    `private_path` names another key file (rotation loads the next key that way); the
    public key is written beside it as `KEYID.pub.pem` for people and old tools.
    """

    def __init__(self, folder: Path, *, private_path: Path | None = None) -> None:
        self.folder = folder
        self.private_path = private_path or folder / PRIVATE_KEY_NAME
        if self.private_path.exists():
            self.private_key = _load_private(self.private_path)
        else:
            self.private_key = _create_private(self.private_path)
        public_key = self.private_key.public_key()
        self.public_pem = public_pem(public_key)
        self.fingerprint = fingerprint_of(public_key)
        self.key_id = self.fingerprint[:16]
        published = folder / f"{self.key_id}.pub.pem"
        if not published.exists():
            published.write_bytes(self.public_pem)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def sign(self, sha256_hex: str) -> str:
        """Base64 Ed25519 signature over the 32 bytes of a SHA-256 digest."""
        return self.sign_bytes(bytes.fromhex(sha256_hex))

    def sign_bytes(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode()


def public_keys(folder: Path) -> dict[str, Ed25519PublicKey]:
    """Every public key kept in `folder`, by key id.

    Only a convenience for people: `verify` trusts the keys pinned in the database,
    never this folder.
    """
    keys = {}
    for path in sorted(folder.glob("*.pub.pem")):
        key = serialization.load_pem_public_key(path.read_bytes())
        if isinstance(key, Ed25519PublicKey):
            keys[path.name.removesuffix(".pub.pem")] = key
    return keys


def rotation_statement(
    *, chain: str, old: str, new: str, endorsed_after: int, at: datetime
) -> bytes:
    """The bytes the old key signs to bring in the new one (canonical JSON)."""
    return canonical_json(
        {
            "format": "shaheen-key-rotation/1",
            "chain": chain,
            "from": old,
            "to": new,
            "retired_after": endorsed_after,
            "at": at,
        }
    )


def pin(*, session: Session, chain: str, signer: Signer) -> None:
    """Make sure `chain` trusts `signer`'s key; pin it if the chain has no key yet.

    Raises `UntrustedKey` for a key the chain has never pinned while it trusts another
    (a replaced key file), and for a key that was rotated out. Call it while holding the
    chain's writer lock, so two first keys cannot be pinned at once. The answer is
    remembered for the rest of the transaction.
    """
    checked: set[tuple[str, str]] = session.info.setdefault(PINNED_INFO, set())
    if (chain, signer.fingerprint) in checked:
        return
    rows = session.scalars(
        select(SigningKey).where(SigningKey.chain == chain).order_by(SigningKey.id)
    ).all()
    mine = next((row for row in rows if row.fingerprint == signer.fingerprint), None)
    if mine is None:
        if rows:
            raise UntrustedKey(
                f"the signing key {signer.key_id} in {signer.private_path} is not one the "
                f"{chain} chain trusts (it trusts {', '.join(r.key_id for r in rows)}); "
                "restore the key file, or bring a new key in with `shaheen evidence "
                "rotate-key`, which the old key signs"
            )
        mine = SigningKey(
            chain=chain,
            key_id=signer.key_id,
            fingerprint=signer.fingerprint,
            public_key=signer.public_pem.decode("ascii"),
            pinned_at=utcnow(),
        )
        session.add(mine)
        session.flush()
    successor = next((row for row in rows if row.endorsed_by == signer.fingerprint), None)
    if successor is not None:
        raise UntrustedKey(
            f"the signing key {signer.key_id} in {signer.private_path} was rotated out of "
            f"the {chain} chain (replaced by {successor.key_id}); it signs nothing more"
        )
    checked.add((chain, signer.fingerprint))


@dataclass
class Trust:
    """The keys a chain trusts, rebuilt from `signing_keys` with every endorsement checked."""

    chain: str
    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)  # by fingerprint
    pems: dict[str, str] = field(default_factory=dict)
    by_id: dict[str, str] = field(default_factory=dict)  # key id -> fingerprint
    retired_after: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # for exports

    @classmethod
    def load(cls, *, session: Session, chain: str) -> Trust:
        trust = cls(chain)
        rows = session.scalars(
            select(SigningKey).where(SigningKey.chain == chain).order_by(SigningKey.id)
        ).all()
        for position, row in enumerate(rows):
            problem = trust._admit(row, first=position == 0)
            if problem is not None:
                trust.problems.append(problem)
        return trust

    def _admit(self, row: SigningKey, *, first: bool) -> str | None:
        try:
            key = load_public_pem(row.public_key)
        except ConfigError:
            return f"pinned key {row.key_id} of the {self.chain} chain is not an Ed25519 key"
        if fingerprint_of(key) != row.fingerprint or row.fingerprint[:16] != row.key_id:
            return (
                f"pinned key {row.key_id} of the {self.chain} chain does not match its fingerprint"
            )
        if row.endorsed_by is None:
            if not first:
                return (
                    f"signing key {row.key_id} is pinned for the {self.chain} chain without an "
                    "endorsement by a trusted key (added outside Shaheen?)"
                )
        else:
            endorser = self.keys.get(row.endorsed_by)
            if endorser is None or row.endorsement is None or row.endorsed_after is None:
                return (
                    f"signing key {row.key_id} of the {self.chain} chain is endorsed by a key "
                    "the chain does not trust"
                )
            statement = rotation_statement(
                chain=self.chain,
                old=row.endorsed_by,
                new=row.fingerprint,
                endorsed_after=row.endorsed_after,
                at=row.pinned_at,
            )
            if not _valid(endorser, row.endorsement, statement):
                return (
                    f"the endorsement of signing key {row.key_id} ({self.chain} chain) "
                    "does not verify"
                )
            self.retired_after[row.endorsed_by] = row.endorsed_after
        self.keys[row.fingerprint] = key
        self.pems[row.fingerprint] = row.public_key
        self.by_id[row.key_id] = row.fingerprint
        self.rows.append(
            {
                "key_id": row.key_id,
                "fingerprint": row.fingerprint,
                "public_key": row.public_key,
                "pinned_at": row.pinned_at.isoformat(),
                "endorsed_by": row.endorsed_by,
                "endorsed_after": row.endorsed_after,
                "endorsement": row.endorsement,
            }
        )
        return None

    def check(self, *, key: str, sequence: int, message: bytes, signature: str) -> str | None:
        """Why `signature` (by key fingerprint or key id) does not hold at `sequence`, or None."""
        fingerprint = self.by_id.get(key, key)
        public_key = self.keys.get(fingerprint)
        if public_key is None:
            return f"signed by key {key[:16]}, which the {self.chain} chain never pinned"
        retired = self.retired_after.get(fingerprint)
        if retired is not None and sequence > retired:
            return f"signed by key {key[:16]} after it was rotated out (at {retired})"
        if not _valid(public_key, signature, message):
            return "its signature does not match"
        return None


def _valid(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
