"""Signed checkpoints: what anchors the audit and evidence chains.

A hash chain alone shows an edit only to someone who kept an old hash: whoever can
write the database can delete the newest records, or edit one and recompute every hash
after it. A checkpoint is a signed statement of a chain's head ("record 412 has hash
H; the chain has 412 records; at time T; signed by key F"), and three copies of them
are kept:

1. in the database (`chain_checkpoints`), written in the same transaction as the
   records it covers: **one checkpoint per transaction per chain**, sealed in the
   session's `before_commit` hook at the chain's head, so every committed record is
   covered by the time anyone can see it. Record and checkpoint commit together or not
   at all; the chain's writer lock, taken when the first record was appended, is still
   held, so the head is this transaction's own.
2. in a file outside the database (`SHAHEEN_CHECKPOINT_DIR`, default
   `KEYS_DIR/checkpoints`, one file per database and chain), appended in the
   `after_commit` hook, so only committed checkpoints reach it. Someone who deletes the
   newest records *and* the newest checkpoint rows still leaves the file ahead of the
   database. A crash between commit and append loses one line, never adds a false one.
3. wherever `shaheen audit checkpoint` exports them: another agency, an offline medium.

`ChainVerifier` holds a chain against all of them: a checkpoint beyond the chain's end
means truncation; a record whose hash differs from a checkpoint at its sequence means a
rewrite (even with the chain recomputed: the signatures cannot be); records after the
last checkpoint mean an append outside Shaheen. Signatures are checked against the keys
the chain pinned (`audit/keys.py`), never against the keys folder.

The checkpoint's signed bytes are its canonical JSON (`Checkpoint.message`), so anyone
can check one with a plain Ed25519 tool.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import URL, event, select
from sqlalchemy.orm import InstrumentedAttribute, Session, SessionTransaction

from shaheen.audit.keys import PINNED_INFO, Signer, Trust, pin
from shaheen.audit.models import AuditEvent, ChainCheckpoint
from shaheen.canonical import canonical_json
from shaheen.config import Settings, get_settings
from shaheen.errors import BadInput
from shaheen.evidence.models import EvidenceRecord
from shaheen.store.base import utcnow

log = logging.getLogger(__name__)

FORMAT = "shaheen-checkpoint/1"
EXPORT_FORMAT = "shaheen-checkpoints/1"

#: The chains, with the advisory-lock key their writers take on PostgreSQL.
LOCK_KEYS = {"audit": 0x5348_4145, "evidence": 0x5348_4556}  # "SHAE", "SHEV"
CHAINS = tuple(LOCK_KEYS)

#: session.info keys: chains appended in this transaction; checkpoints awaiting the file;
#: an `Anchor` that overrides the settings (tests, embedding).
PENDING_INFO = "shaheen.chains.pending"
SEALED_INFO = "shaheen.chains.sealed"
ANCHOR_INFO = "shaheen.chains.anchor"


def _columns(chain: str) -> tuple[InstrumentedAttribute[int], InstrumentedAttribute[str]]:
    if chain == "audit":
        return AuditEvent.sequence, AuditEvent.hash
    if chain == "evidence":
        return EvidenceRecord.sequence, EvidenceRecord.sha256
    raise ValueError(f"unknown chain {chain!r}; chains are {', '.join(CHAINS)}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement of one chain's head."""

    chain: str
    sequence: int
    head: str
    count: int
    created_at: datetime
    key: str  # fingerprint of the signing key
    signature: str  # base64 Ed25519 over `message()`

    def statement(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "chain": self.chain,
            "sequence": self.sequence,
            "head": self.head,
            "count": self.count,
            "created_at": self.created_at,
            "key": self.key,
        }

    def message(self) -> bytes:
        """The signed bytes: the canonical JSON of `statement()`."""
        return canonical_json(self.statement())

    def to_json(self) -> dict[str, Any]:
        return {
            **self.statement(),
            "created_at": self.created_at.isoformat(),
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} statement")
        created = datetime.fromisoformat(str(data["created_at"]))
        if created.tzinfo is None:
            raise ValueError("created_at has no time zone")
        return cls(
            chain=str(data["chain"]),
            sequence=int(data["sequence"]),
            head=str(data["head"]),
            count=int(data["count"]),
            created_at=created,
            key=str(data["key"]),
            signature=str(data["signature"]),
        )

    @classmethod
    def of_row(cls, row: ChainCheckpoint) -> Checkpoint:
        return cls(
            chain=row.chain,
            sequence=row.sequence,
            head=row.head_hash,
            count=row.record_count,
            created_at=row.created_at,
            key=row.key_fingerprint,
            signature=row.signature,
        )


@dataclass(frozen=True, slots=True)
class Held:
    """A checkpoint and where it was found: "database", a file, an export."""

    source: str
    checkpoint: Checkpoint


@dataclass(frozen=True, slots=True)
class Anchor:
    """Which key signs the audit chain, and where checkpoint files go."""

    keys_dir: Path
    checkpoint_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Anchor:
        settings = settings or get_settings()
        return cls(settings.keys_dir, settings.checkpoint_dir or settings.keys_dir / "checkpoints")

    def signer(self) -> Signer:
        return Signer(self.keys_dir)

    def file_for(self, session: Session, chain: str) -> Path:
        """This database's checkpoint file for `chain`."""
        return (
            self.checkpoint_dir / f"{database_label(session.get_bind().engine.url)}.{chain}.jsonl"
        )


def database_label(url: URL) -> str:
    """A file-name-safe name for one database, so two databases never share a file.

    The readable part is the database's name; the digest covers where it lives (the
    SQLite file's absolute path, or the server, port and database).
    """
    backend = url.get_backend_name()
    if backend == "sqlite":
        name = url.database or ":memory:"
        where = name if name == ":memory:" else str(Path(name).resolve())
        stem = Path(name).stem if name != ":memory:" else "memory"
    else:
        where = f"{url.host}:{url.port}/{url.database}"
        stem = url.database or backend
    digest = hashlib.sha256(f"{backend}:{where}".encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', stem)}-{digest}"


def anchor_for(session: Session) -> Anchor:
    anchor = session.info.get(ANCHOR_INFO)
    return anchor if isinstance(anchor, Anchor) else Anchor.from_settings()


def stage(*, session: Session, chain: str, sequence: int, signer: Signer | None = None) -> None:
    """Note that this transaction appended record `sequence` to `chain` (sealed at commit).

    `signer` signs the chain's checkpoint (evidence passes the key that signed its
    records); without one the anchor's key does (the audit chain).
    """
    pending: dict[str, tuple[int, Signer | None]] = session.info.setdefault(PENDING_INFO, {})
    first, earlier = pending.get(chain, (sequence, None))
    pending[chain] = (min(first, sequence), signer or earlier)


def head(*, session: Session, chain: str) -> tuple[int, str] | None:
    """The newest record's (sequence, hash) of `chain`, or None for an empty chain."""
    sequence, digest = _columns(chain)
    row = session.execute(select(sequence, digest).order_by(sequence.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def latest(*, session: Session, chain: str) -> Checkpoint | None:
    row = session.scalars(
        select(ChainCheckpoint)
        .where(ChainCheckpoint.chain == chain)
        .order_by(ChainCheckpoint.sequence.desc())
        .limit(1)
    ).first()
    return Checkpoint.of_row(row) if row else None


def seal(*, session: Session, chain: str, signer: Signer) -> Checkpoint | None:
    """Sign and store a checkpoint at `chain`'s head, unless one already covers it.

    The caller holds the chain's writer lock (the commit hook does: the lock taken when
    the records were appended lasts until commit). The chain is gapless from 1, so the
    count is the head's sequence; `verify` counts the rows to check it.
    """
    top = head(session=session, chain=chain)
    if top is None:
        return None
    newest = latest(session=session, chain=chain)
    if newest is not None and newest.sequence >= top[0]:
        return None
    pin(session=session, chain=chain, signer=signer)
    unsigned = Checkpoint(
        chain=chain,
        sequence=top[0],
        head=top[1],
        count=top[0],
        created_at=utcnow(),
        key=signer.fingerprint,
        signature="",
    )
    checkpoint = replace(unsigned, signature=signer.sign_bytes(unsigned.message()))
    session.add(
        ChainCheckpoint(
            chain=chain,
            sequence=checkpoint.sequence,
            head_hash=checkpoint.head,
            record_count=checkpoint.count,
            created_at=checkpoint.created_at,
            key_fingerprint=checkpoint.key,
            signature=checkpoint.signature,
        )
    )
    session.flush()
    session.info.setdefault(SEALED_INFO, []).append(checkpoint)
    return checkpoint


# --- the transaction hooks -------------------------------------------------------------


@event.listens_for(Session, "before_commit")
def _seal_on_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer commit seals
        return
    pending: dict[str, tuple[int, Signer | None]] | None = session.info.pop(PENDING_INFO, None)
    if not pending:
        return
    anchor: Anchor | None = None
    for chain, (_first, signer) in pending.items():
        if signer is None:
            anchor = anchor or anchor_for(session)
            signer = anchor.signer()
        seal(session=session, chain=chain, signer=signer)


@event.listens_for(Session, "after_commit")
def _append_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    sealed: list[Checkpoint] | None = session.info.pop(SEALED_INFO, None)
    if not sealed:
        return
    anchor = anchor_for(session)
    for checkpoint in sealed:
        path = anchor.file_for(session, checkpoint.chain)
        try:
            append(path, checkpoint)
        except OSError as exc:  # the records are committed; say loudly what is missing
            log.error(
                "checkpoint %s of the %s chain not written to %s: %s",
                checkpoint.sequence,
                checkpoint.chain,
                path,
                exc,
            )


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back, or committed and already handled
        for name in (PENDING_INFO, SEALED_INFO, PINNED_INFO):
            session.info.pop(name, None)


# --- files and exports -----------------------------------------------------------------


def append(path: Path, checkpoint: Checkpoint) -> None:
    """Append one checkpoint as a JSON line (one write, so concurrent appends stay whole)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps(checkpoint.to_json(), sort_keys=True, ensure_ascii=True) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode("ascii"))
    finally:
        os.close(descriptor)


def read(path: Path) -> list[Held]:
    """Checkpoints from a checkpoint file (JSON lines), an export, or a single one.

    Raises `BadInput` naming the file (and line) that holds something else.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read checkpoint file {path}: {exc}") from None
    source = str(path)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    try:
        if isinstance(whole, dict) and whole.get("format") == EXPORT_FORMAT:
            return [
                Held(source, Checkpoint.from_json(entry["checkpoint"]))
                for entry in whole["chains"].values()
                if entry.get("checkpoint") is not None
            ]
        if isinstance(whole, dict):
            return [Held(source, Checkpoint.from_json(whole))]
        if isinstance(whole, list):
            return [Held(source, Checkpoint.from_json(entry)) for entry in whole]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(f"{path} is not a Shaheen checkpoint export: {exc}") from None
    held = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            held.append(Held(source, Checkpoint.from_json(json.loads(line))))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"line {number} of {path} is not a checkpoint: {exc}") from None
    return held


def outside_for(
    *, session: Session, chain: str, anchor: Anchor, extra: Path | None = None
) -> tuple[list[Held], list[str]]:
    """The checkpoints of `chain` kept outside the database, and notes on what is missing.

    The database's own checkpoint file is read when it exists (a missing one is only a
    note: the setting may have moved); `extra` is an exported or copied file.
    """
    held: list[Held] = []
    notes: list[str] = []
    path = anchor.file_for(session, chain)
    if path.exists():
        held.extend(h for h in read(path) if h.checkpoint.chain == chain)
    elif latest(session=session, chain=chain) is not None:
        notes.append(f"no checkpoint file {path}: checked against the database's own checkpoints")
    if extra is not None:
        found = [h for h in read(extra) if h.checkpoint.chain == chain]
        if not found:
            notes.append(f"{extra} holds no checkpoint of the {chain} chain")
        held.extend(found)
    return held, notes


def export(*, session: Session) -> dict[str, Any]:
    """The newest checkpoint of each chain with the keys that can check it (JSON-ready)."""
    chains = {}
    for chain in CHAINS:
        checkpoint = latest(session=session, chain=chain)
        trust = Trust.load(session=session, chain=chain)
        chains[chain] = {
            "checkpoint": checkpoint.to_json() if checkpoint else None,
            "keys": trust.rows,
        }
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "database": database_label(session.get_bind().engine.url),
        "how_to_check": (
            "each checkpoint's signature (base64 Ed25519) is over the canonical JSON "
            "(keys sorted, no spaces, UTF-8) of the checkpoint without its signature, "
            "by the key whose SHA-256 fingerprint of the raw public key is `key`"
        ),
        "chains": chains,
    }


# --- verification ----------------------------------------------------------------------


class ChainVerifier:
    """Holds one chain against its checkpoints while the caller walks its records.

    Use: construct (loads the pinned keys and every checkpoint, and checks their
    signatures: `problem` says what failed), call `record()` for each record in
    sequence order after the caller's own hash and link checks, then `finish()`.
    """

    def __init__(self, *, session: Session, chain: str, outside: Iterable[Held] = ()) -> None:
        self.chain = chain
        self.trust = Trust.load(session=session, chain=chain)
        self.held: dict[int, list[Held]] = {}
        self.sources: set[str] = set()
        problems: list[tuple[int, str]] = [(0, p) for p in self.trust.problems]
        rows = session.scalars(
            select(ChainCheckpoint)
            .where(ChainCheckpoint.chain == chain)
            .order_by(ChainCheckpoint.sequence)
            .execution_options(yield_per=1000)
        )
        for held in _chain((Held("database", Checkpoint.of_row(row)) for row in rows), outside):
            checkpoint = held.checkpoint
            if checkpoint.chain != chain:
                continue
            why = self.trust.check(
                key=checkpoint.key,
                sequence=checkpoint.sequence,
                message=checkpoint.message(),
                signature=checkpoint.signature,
            )
            if why is None and checkpoint.count != checkpoint.sequence:
                why = f"it counts {checkpoint.count} records up to record {checkpoint.sequence}"
            if why is not None:
                problems.append(
                    (
                        checkpoint.sequence,
                        f"checkpoint {checkpoint.sequence} in {held.source}: {why}",
                    )
                )
                continue
            self.held.setdefault(checkpoint.sequence, []).append(held)
            self.sources.add(held.source)
        first = min(problems, default=None, key=lambda problem: problem[0])
        self.problem: tuple[int | None, str] | None = (
            None if first is None else (first[0] or None, first[1])
        )
        self.covered = max(self.held, default=0)
        pending = session.info.get(PENDING_INFO, {}).get(chain)
        # Records this very transaction appended are sealed when it commits.
        self.own_from: int | None = pending[0] if pending else None

    @property
    def checkpoints(self) -> int:
        return sum(len(found) for found in self.held.values())

    def record(self, sequence: int, digest: str) -> str | None:
        """Why record `sequence` with hash `digest` contradicts a checkpoint, or None."""
        for held in self.held.get(sequence, ()):
            if held.checkpoint.head != digest:
                return (
                    f"it differs from the signed checkpoint in {held.source}: this record, or "
                    "one before it, was rewritten and the chain recomputed"
                )
        return None

    def signature(
        self, *, sequence: int, key_id: str | None, signature: str | None, digest: str
    ) -> str | None:
        """Why a record's own signature (over its 32-byte hash) does not hold, or None."""
        if key_id is None or signature is None:
            return "it is not signed"
        return self.trust.check(
            key=key_id, sequence=sequence, message=bytes.fromhex(digest), signature=signature
        )

    def finish(self, last: int) -> tuple[int, str] | None:
        """After the walk: truncation, or records no checkpoint covers."""
        beyond = max(self.held, default=0)
        if beyond > last:
            source = self.held[beyond][0].source
            return (
                last + 1,
                f"the chain ends at record {last} but the signed checkpoint in {source} says "
                f"it had {beyond}: the newest records were deleted",
            )
        if last > self.covered and not (
            self.own_from is not None and self.own_from <= self.covered + 1
        ):
            return (
                self.covered + 1,
                f"records {self.covered + 1} to {last} are covered by no signed checkpoint "
                "(appended outside Shaheen, or never sealed: `shaheen audit checkpoint` "
                "seals a chain written before checkpoints existed)",
            )
        return None


def _chain(first: Iterator[Held], second: Iterable[Held]) -> Iterator[Held]:
    yield from first
    yield from second
