"""Matching hashed media against every bank: PDQ and vPDQ through the index, MD5 exactly.

The two indexes (PDQ entries; the frames of vPDQ entries) live under the index folder
and are brought up to date from the database when loaded: entries added since the
index's watermark are added, entries gone are removed, and the index is saved again
only if something changed. A restart therefore reads the saved arrays and nothing more.

vPDQ, as Meta's vPDQ defines it: both videos' frames are reduced to the distinct
hashes of quality at least 50; the *query* percentage is the share of the query's
frames within the threshold of some frame of the banked video, the *target* percentage
the share of the banked video's frames within reach of some query frame. A video
matches when either reaches its threshold (80 % by default): a clip cut from a banked
video matches by the first, a longer video that contains a banked one by the second.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from shaheen.detect.media.hashing import ORIENTATIONS, QUALITY_THRESHOLD, MediaHashes
from shaheen.detect.media.index import (
    DEFAULT_THRESHOLD,
    IndexFormatError,
    PDQIndex,
    hex_to_codes,
)
from shaheen.knowledge.banks_interop import vpdq_frames
from shaheen.knowledge.enums import EntryCategory, SignalType
from shaheen.knowledge.models import HashBank, HashBankEntry, Organisation

log = logging.getLogger(__name__)
Found = dict[int, dict[str, object]]  # per file: entry id -> distance and percentages
VIDEO_MATCH_PERCENT = 80.0
#: Matched entries' details a matcher keeps (a few hundred bytes each).
DETAILS_KEPT = 100_000


@dataclass(frozen=True)
class BankMatch:
    """One bank entry a file matched, with the numbers that say how closely."""

    entry_id: int
    bank: str
    signal_type: str
    organisation: str | None
    label: str
    tags: str
    distance: int | None = None  # PDQ: bits apart (best frame for vPDQ)
    query_percent: float | None = None  # vPDQ only
    target_percent: float | None = None
    # PDQ: how the file differs from the banked picture when it matched only as an
    # altered copy ("mirrored", "borders trimmed", ...); None when it matched as it is
    transform: str | None = None

    @property
    def similarity(self) -> float:
        """1.0 for an identical file; lower as the match loosens (for risk scoring)."""
        if self.signal_type == SignalType.MD5:
            return 1.0
        if self.signal_type == SignalType.VPDQ:
            return round(max(self.query_percent or 0, self.target_percent or 0) / 100, 4)
        return round(1.0 - (self.distance or 0) / 128, 4)


# Entries below PDQ's quality threshold are kept in their bank but never matched, and so
# are a partner's known false positives (NEGATIVE_CLASS): they travel with the list to
# say "this is harmless", never to raise a signal.
_MATCHABLE = and_(
    or_(HashBankEntry.quality.is_(None), HashBankEntry.quality >= QUALITY_THRESHOLD),
    HashBankEntry.category != EntryCategory.NEGATIVE_CLASS,
)


def sync_index(session: Session, folder: Path, signal_type: SignalType, threshold: int) -> PDQIndex:
    """The saved index for `signal_type`, brought up to date with the database."""
    index: PDQIndex | None = None
    if (folder / "manifest.json").exists():
        try:
            index = PDQIndex.load(folder)
        except IndexFormatError as exc:
            log.warning("rebuilding the %s index: %s", signal_type, exc)
        if index is not None and index.threshold != threshold:
            index = None  # exactness depends on the threshold it was built for
    changed = index is None
    if index is None:
        index = PDQIndex(threshold)
    new_rows = session.execute(
        select(HashBankEntry.id, HashBankEntry.value)
        .where(
            HashBankEntry.signal_type == signal_type,
            HashBankEntry.id > index.watermark,
            _MATCHABLE,
        )
        .order_by(HashBankEntry.id)
    ).all()
    if new_rows:
        codes, labels = _codes(signal_type, new_rows)
        if len(index) == 0 and changed:
            index = PDQIndex.build(codes, labels, threshold)
        else:
            index.add(codes, labels)
        index.watermark = max(index.watermark, int(new_rows[-1][0]))
        changed = True
    changed |= _forget_removed(session, index, signal_type)
    if changed:
        index.save(folder)
    return index


def _codes(signal_type: SignalType, rows: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    if signal_type is SignalType.PDQ:
        return hex_to_codes(v for _, v in rows), np.array([i for i, _ in rows], dtype=np.int64)
    hexes, labels = [], []
    for entry_id, value in rows:
        kept = {pdq for pdq, quality, _ in vpdq_frames(value) if quality >= QUALITY_THRESHOLD}
        hexes.extend(sorted(kept))
        labels.extend([entry_id] * len(kept))
    return hex_to_codes(hexes), np.array(labels, dtype=np.int64)


def _forget_removed(session: Session, index: PDQIndex, signal_type: SignalType) -> bool:
    """Remove from the index the entries no longer in the database; True if any."""
    count = session.scalar(
        select(func.count()).where(HashBankEntry.signal_type == signal_type, _MATCHABLE)
    )
    present = index.labels()
    if count == len(present):
        return False
    alive = set(
        session.scalars(select(HashBankEntry.id).where(HashBankEntry.signal_type == signal_type))
    )
    gone = [int(label) for label in present.tolist() if label not in alive]
    if gone:
        index.remove(gone)
    return bool(gone)


class HashIndex:
    """The pure half of matching: a batch's PDQ and vPDQ searches against the two indexes,
    with no database. It pickles, so an engine's workers hold one each (loaded once per
    worker) while the driver's `Matcher.resolve` adds MD5 and the entries' details."""

    def __init__(
        self,
        pdq: PDQIndex,
        vpdq: PDQIndex,
        threshold: int = DEFAULT_THRESHOLD,
        video_percent: float = VIDEO_MATCH_PERCENT,
    ) -> None:
        self.pdq, self.vpdq = pdq, vpdq
        self.threshold = threshold
        self.video_percent = video_percent
        labels, counts = np.unique(vpdq.row_labels(), return_counts=True)
        self.frames_per_video = dict(zip(labels.tolist(), counts.tolist(), strict=True))

    def search(self, files: list[MediaHashes]) -> list[Found]:
        """Per file, the PDQ and vPDQ entries it matches with their numbers."""
        found: list[Found] = [{} for _ in files]
        self._match_pdq(files, found)
        self._match_vpdq(files, found)
        return found

    def _match_pdq(self, files: list[MediaHashes], found: list[Found]) -> None:
        """Each file's plain hash and its altered forms (orientations, bars trimmed) in one
        search; per bank entry the closest, the plain hash winning a tie."""
        hexes: list[str] = []
        asked: list[tuple[int, str | None]] = []  # per query: the file, the alteration
        for position, file in enumerate(files):
            if (file.pdq_quality or 0) < QUALITY_THRESHOLD:
                continue
            for value, how in file.pdq_queries():
                hexes.append(value)
                asked.append((position, None if how == ORIENTATIONS[0] else how))
        if not hexes or len(self.pdq) == 0:
            return
        best: dict[tuple[int, int], tuple[int, int]] = {}  # (file, entry) -> (distance, query)
        who, labels, distances = self.pdq.search_arrays(hex_to_codes(hexes))
        for query, label, distance in zip(
            who.tolist(), labels.tolist(), distances.tolist(), strict=True
        ):
            key = (asked[query][0], label)
            if key not in best or (distance, query) < best[key]:
                best[key] = (distance, query)
        for (position, entry), (distance, query) in best.items():
            found[position][entry] = {"distance": distance, "transform": asked[query][1]}

    def _match_vpdq(self, files: list[MediaHashes], found: list[Found]) -> None:
        if len(self.vpdq) == 0:
            return
        for position, file in enumerate(files):
            frames = sorted({f.pdq for f in file.frames if f.quality >= QUALITY_THRESHOLD})
            if not frames:
                continue
            found[position].update(self.video_matches(frames))

    def video_matches(self, frames: list[str]) -> dict[int, dict[str, object]]:
        """vPDQ matches of a video given its distinct good-quality frame hashes."""
        who, labels, rows, distance = self.vpdq.search_rows(hex_to_codes(frames))
        query_frames: dict[int, set[int]] = defaultdict(set)
        target_frames: dict[int, set[int]] = defaultdict(set)
        best: dict[int, int] = {}
        for q, label, row, d in zip(
            who.tolist(), labels.tolist(), rows.tolist(), distance.tolist(), strict=True
        ):
            query_frames[label].add(q)
            target_frames[label].add(row)
            best[label] = min(best.get(label, d), d)
        out: dict[int, dict[str, object]] = {}
        for label in query_frames:
            query_percent = 100.0 * len(query_frames[label]) / len(frames)
            target_percent = 100.0 * len(target_frames[label]) / self.frames_per_video[label]
            if max(query_percent, target_percent) >= self.video_percent:
                out[label] = {
                    "distance": best[label],
                    "query_percent": round(query_percent, 1),
                    "target_percent": round(target_percent, 1),
                }
        return out


class Matcher:
    """Answers "which bank entries does this file match?" for hashed files."""

    def __init__(
        self,
        pdq: PDQIndex,
        vpdq: PDQIndex,
        session: Session,
        threshold: int = DEFAULT_THRESHOLD,
        video_percent: float = VIDEO_MATCH_PERCENT,
    ) -> None:
        self.index = HashIndex(pdq, vpdq, threshold, video_percent)
        self.pdq, self.vpdq = pdq, vpdq
        self.session = session
        self.threshold = threshold
        self.video_percent = video_percent
        # Matched entries' details (bank, label, organisation), read once per matcher: the
        # API keeps a matcher at most a minute (`detect/api.py`), so an edited bank label
        # shows within that; shallow copies bound to other sessions share this dict.
        self._known: dict[int, dict[str, object]] = {}

    @classmethod
    def load(
        cls,
        session: Session,
        folder: Path,
        threshold: int = DEFAULT_THRESHOLD,
        video_percent: float = VIDEO_MATCH_PERCENT,
    ) -> Matcher:
        pdq = sync_index(session, folder / "pdq", SignalType.PDQ, threshold)
        vpdq = sync_index(session, folder / "vpdq", SignalType.VPDQ, threshold)
        return cls(pdq, vpdq, session, threshold, video_percent)

    def match(self, files: list[MediaHashes]) -> list[list[BankMatch]]:
        """Per file, every bank entry it matches, closest first."""
        return self.resolve(files, self.index.search(files))

    def resolve(self, files: list[MediaHashes], found: list[Found]) -> list[list[BankMatch]]:
        """The matches of `HashIndex.search` (run here or on an engine's worker) with the
        MD5 entries added and each entry's details: per file, closest first."""
        found = [dict(per_file) for per_file in found]
        self._match_md5(files, found)
        details = self._details({entry for per_file in found for entry in per_file})
        out = []
        for per_file in found:
            matches = [
                BankMatch(entry_id=entry, **details[entry], **numbers)  # type: ignore[arg-type]
                for entry, numbers in per_file.items()
                if entry in details
            ]
            out.append(sorted(matches, key=lambda m: (-m.similarity, m.entry_id)))
        return out

    def lookup(self, pdq: str) -> list[BankMatch]:
        """The PDQ bank entries within the threshold of one hash, closest first: the
        index's single-lookup path, for an API that answers one hash per request."""
        hits = self.pdq.lookup(pdq)
        details = self._details({entry for entry, _ in hits})
        return [
            BankMatch(entry_id=entry, distance=distance, **details[entry])  # type: ignore[arg-type]
            for entry, distance in hits
            if entry in details
        ]

    def video_matches(self, frames: list[str]) -> dict[int, dict[str, object]]:
        """vPDQ matches of a video given its distinct good-quality frame hashes."""
        return self.index.video_matches(frames)

    def _match_md5(
        self, files: list[MediaHashes], found: list[dict[int, dict[str, object]]]
    ) -> None:
        by_md5: dict[str, list[int]] = defaultdict(list)
        for position, file in enumerate(files):
            by_md5[file.md5].append(position)
        if not by_md5:
            return
        rows = self.session.execute(
            select(HashBankEntry.id, HashBankEntry.value).where(
                HashBankEntry.signal_type == SignalType.MD5,
                HashBankEntry.value.in_(list(by_md5)),
                HashBankEntry.category != EntryCategory.NEGATIVE_CLASS,
            )
        )
        for entry_id, value in rows:
            for position in by_md5[value]:
                found[position][entry_id] = {}

    def _details(self, entries: set[int]) -> dict[int, dict[str, object]]:
        known = self._known
        missing = [entry for entry in entries if entry not in known]
        if missing:
            if len(known) + len(missing) > DETAILS_KEPT:
                known.clear()  # rare: a scan matching more entries than a bank usually has
            known.update(self._read_details(missing))
        return {entry: known[entry] for entry in entries if entry in known}

    def _read_details(self, entries: list[int]) -> dict[int, dict[str, object]]:
        rows = self.session.execute(
            select(
                HashBankEntry.id,
                HashBank.name,
                HashBankEntry.signal_type,
                Organisation.slug,
                HashBank.label,
                HashBankEntry.tags,
            )
            .join(HashBank, HashBank.id == HashBankEntry.bank_id)
            .outerjoin(Organisation, Organisation.id == HashBankEntry.organisation_id)
            .where(HashBankEntry.id.in_(sorted(entries)))
        )
        return {
            entry_id: {
                "bank": bank,
                "signal_type": str(signal_type),
                "organisation": slug,
                "label": label,
                "tags": tags,
            }
            for entry_id, bank, signal_type, slug, label, tags in rows
        }
