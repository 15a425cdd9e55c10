"""Exact Hamming-distance search over millions of 256-bit PDQ hashes: multi-index hashing.

Why this structure: split the 256 bits into `m` chunks. A banked hash within distance
`t` of a query differs from it, in at least one chunk, by at most `t // m` bits
(pigeonhole: every chunk differing by more would add up to more than `t`). So each chunk
has a table from chunk value to the hashes holding it; a query probes, in every table,
its own chunk value and every value within `t // m` bits of it, and checks the full
distance of only the hashes found there. Every hash within `t` is found (recall 1.0 by
construction) while a few thousand are checked instead of millions.

Two layouts, chosen by size: up to two million hashes, sixteen 16-bit chunks (radius 1
for t = 31: 17 probes a table, small tables); beyond, eleven 23/24-bit chunks (radius
2: about 290 probes a table, but buckets ~100 times smaller, which is what counts at ten
million). The search loop is compiled with numba: per query it first gathers the rows
of all probed buckets, then checks them in a tight loop that prefetches the hashes it
will need 64 candidates later, so many memory reads are in flight at once.

Storage, about 110 bytes a hash: each hash as a `head` and a `tail` (two uint64 each;
the first check reads only the head, a smaller array that stays in the CPU cache), its
`label` (the bank entry; several frames of one video share one), per chunk the rows
ordered by chunk value (int32) and where each value starts. Saved as `.npy` files and
read whole on load (a second or two at ten million hashes): memory-mapped, the same
index answered 40 % slower, its random reads missing the huge pages that ordinary
memory gets.

Changes: hashes added after the last build go to a small *delta* searched by brute force,
removed labels to a *tombstone* list filtered from results; when the delta outgrows an
eighth of the main part (or 100,000 rows) the two are merged by a rebuild.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from math import comb
from pathlib import Path
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

HASH_BITS = 256
DEFAULT_THRESHOLD = 31
LARGE = 2_000_000  # from this many hashes on, the wide-chunk layout
_LAYOUTS = {"narrow": (16,) * 16, "wide": (24,) * 3 + (23,) * 8}
_DELTA_FLOOR = 100_000
# How many candidates ahead the check loop asks for a hash: random reads into a table
# larger than the CPU cache take ~100 ns, and prefetching 64 ahead more than doubled the
# queries/s at a million hashes (one core, bench/pdq_match.py).
_AHEAD = 64
FORMAT = 2


class IndexFormatError(Exception):
    """A persisted index that cannot be read (another format, missing files)."""


def hex_to_codes(hexes: Iterable[str]) -> np.ndarray:
    """64-character hex hashes as an (N, 4) uint64 array (big-endian words)."""
    raw = b"".join(bytes.fromhex(h) for h in hexes)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def codes_to_hex(codes: np.ndarray) -> list[str]:
    data = np.ascontiguousarray(codes, dtype=">u8").tobytes()
    return [data[i : i + 32].hex() for i in range(0, len(data), 32)]


def distances(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance of each row of `codes` to one (4,) `query` (plain numpy)."""
    counted: np.ndarray = np.bitwise_count(codes ^ query).sum(axis=1, dtype=np.int64)
    return counted


@dataclass(frozen=True, slots=True)
class Match:
    query: int  # position of the query in the batch
    label: int  # the bank entry
    distance: int


class _Layout:
    """Where each chunk lies in the 256 bits, and the probe masks for a threshold."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.widths = np.array(_LAYOUTS[name], dtype=np.int64)
        self.first_bit = np.concatenate(([0], np.cumsum(self.widths)[:-1])).astype(np.int64)
        sizes = (1 << self.widths) + 1
        self.table_offset = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self.table_size = int(sizes.sum())
        self._masks: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def chunks(self) -> int:
        return len(self.widths)

    def masks(self, threshold: int) -> tuple[np.ndarray, np.ndarray]:
        """Per chunk, every value within `threshold // chunks` bits of 0; and their count.
        Made once per threshold: in Python, they cost more than a whole lookup."""
        made = self._masks.get(threshold)
        if made is None:
            made = self._masks[threshold] = self._make_masks(threshold)
        return made

    def _make_masks(self, threshold: int) -> tuple[np.ndarray, np.ndarray]:
        radius = threshold // self.chunks
        widest = int(self.widths.max())
        most = sum(comb(widest, r) for r in range(radius + 1))
        masks = np.zeros((self.chunks, most), dtype=np.int64)
        counts = np.zeros(self.chunks, dtype=np.int64)
        for c, width in enumerate(self.widths.tolist()):
            values = [
                sum(1 << b for b in chosen)
                for bits in range(radius + 1)
                for chosen in combinations(range(width), bits)
            ]
            masks[c, : len(values)] = values
            counts[c] = len(values)
        return masks, counts

    def chunk_values(self, codes: np.ndarray, c: int) -> np.ndarray:
        """Chunk `c` of each hash (numpy, for building)."""
        first, width = int(self.first_bit[c]), int(self.widths[c])
        word, shift = first // 64, first % 64
        value = codes[:, word] >> np.uint64(shift)
        if shift + width > 64:
            value |= codes[:, word + 1] << np.uint64(64 - shift)
        return (value & np.uint64((1 << width) - 1)).astype(np.int64)


def layout_for(size: int) -> _Layout:
    return _Layout("wide" if size >= LARGE else "narrow")


@intrinsic
def _prefetch(typingctx: Any, array: Any, index: Any) -> Any:
    """Ask the CPU to start loading `array[index]` now (LLVM's prefetch hint)."""
    signature = types.void(array, index)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array_type = sig.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context, builder, array_type, view, [args[1]], wraparound=False
        )
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]),
            "llvm.prefetch.p0",
        )
        # read, high temporal locality, data cache
        hint = [int32(0), int32(3), int32(1)]
        builder.call(function, [builder.bitcast(pointer, byte_pointer), *hint])
        return context.get_dummy_value()

    return signature, codegen


@njit(cache=True, inline="always")
def _popcount(x: np.uint64) -> np.int64:
    # The classic SWAR count; LLVM turns it into the POPCNT instruction.
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, inline="always")
def _chunk(query: np.ndarray, first: np.int64, width: np.int64) -> np.int64:
    word, shift = first // 64, first % 64
    value = query[word] >> np.uint64(shift)
    if shift + width > 64:
        value |= query[word + 1] << np.uint64(64 - shift)
    return np.int64(value & np.uint64((1 << width) - 1))


@njit(cache=True)
def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    bigger = np.empty(capacity, array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@njit(cache=True, nogil=True)
def _one(
    head: np.ndarray,
    tail: np.ndarray,
    flat_order: np.ndarray,
    size: int,
    starts: np.ndarray,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    masks: np.ndarray,
    mask_counts: np.ndarray,
    query: np.ndarray,
    threshold: int,
    radius: int,
    bucket_begin: np.ndarray,
    bucket_end: np.ndarray,
    per_chunk: np.ndarray,
    rows: np.ndarray,
    heads: np.ndarray,
    code: np.ndarray,
    hit_row: np.ndarray,
    hit_distance: np.ndarray,
    count: int,
) -> int:
    """Every row within `threshold` of one query, each once, written from `hit_*[count]`
    on; returns the new count, or -(the capacity needed) when the scratch is too small.
    `head` is the heads flattened (two words a row), `flat_order` the tables' rows."""
    chunks = first_bit.shape[0]
    n = 0  # first pass: where each probed bucket lies; start loading its rows
    total = 0
    for c in range(chunks):
        key = _chunk(query, first_bit[c], widths[c])
        per_chunk[0, c] = key
        base = table_offset[c]
        for m in range(mask_counts[c]):
            probe = base + (key ^ masks[c, m])
            begin = c * size + starts[probe]
            end = c * size + starts[probe + 1]
            bucket_begin[n], bucket_end[n] = begin, end
            _prefetch(flat_order, begin)  # type: ignore[call-arg]
            total += end - begin
            n += 1
        per_chunk[1, c] = n  # the buckets of chunk c end here
    if total > rows.shape[0] or count + total > hit_row.shape[0]:
        return -(count + total)
    gathered = 0  # second pass: the rows of every probed bucket, chunk by chunk
    b = 0
    for c in range(chunks):
        while b < per_chunk[1, c]:
            for p in range(bucket_begin[b], bucket_end[b]):
                rows[gathered] = flat_order[p]
                gathered += 1
            b += 1
        per_chunk[2, c] = gathered  # the rows chunk c found end here
    q0, q1, q2, q3 = query[0], query[1], query[2], query[3]
    for i in range(gathered):  # third pass: reads far ahead of their use
        if i + _AHEAD < gathered:
            _prefetch(head, 2 * np.int64(rows[i + _AHEAD]))  # type: ignore[call-arg]
        row = 2 * np.int64(rows[i])
        heads[i] = _popcount(head[row] ^ q0) + _popcount(head[row + 1] ^ q1)
    c = 0
    for i in range(gathered):  # last pass: the few rows still within reach
        while i >= per_chunk[2, c]:
            c += 1
        if heads[i] > threshold:
            continue
        row = np.int64(rows[i])
        t0, t1 = tail[row, 0], tail[row, 1]
        distance = heads[i] + _popcount(t0 ^ q2) + _popcount(t1 ^ q3)
        if distance > threshold:
            continue
        # A row within reach is in the bucket of every chunk where it differs from the
        # query by at most `radius` bits: report it from the first such chunk only.
        seen = False
        if c > 0:
            code[0], code[1], code[2], code[3] = head[2 * row], head[2 * row + 1], t0, t1
            for e in range(c):
                differs = np.uint64(_chunk(code, first_bit[e], widths[e]) ^ per_chunk[0, e])
                if _popcount(differs) <= radius:
                    seen = True
                    break
        if not seen:
            hit_row[count], hit_distance[count] = row, distance
            count += 1
    return count


@njit(cache=True, nogil=True)
def _probe(
    head: np.ndarray,
    tail: np.ndarray,
    flat_order: np.ndarray,
    size: int,
    starts: np.ndarray,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    masks: np.ndarray,
    mask_counts: np.ndarray,
    queries: np.ndarray,
    threshold: int,
    radius: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, row, distance) of every row within `threshold` of each query, a row once
    per query."""
    chunks = first_bit.shape[0]
    probes = int(mask_counts.sum())
    bucket_begin = np.empty(probes, np.int64)
    bucket_end = np.empty(probes, np.int64)
    per_chunk = np.empty((3, chunks), np.int64)
    rows = np.empty(4096, np.int32)
    heads = np.empty(4096, np.int64)
    code = np.empty(4, np.uint64)
    out_query = np.empty(4096, np.int64)
    out_row = np.empty(4096, np.int64)
    out_distance = np.empty(4096, np.int64)
    count = 0
    for q in range(queries.shape[0]):
        found = -1
        while found < 0:
            found = _one(
                head, tail, flat_order, size, starts, table_offset, first_bit, widths,
                masks, mask_counts, queries[q], threshold, radius, bucket_begin,
                bucket_end, per_chunk, rows, heads, code, out_row, out_distance, count,
            )  # fmt: skip
            if found < 0:
                needed = -found
                if needed - count > rows.shape[0]:
                    rows = np.empty(2 * (needed - count), np.int32)
                    heads = np.empty(2 * (needed - count), np.int64)
                if needed > out_row.shape[0]:
                    out_query = _grown(out_query, 2 * needed)
                    out_row = _grown(out_row, 2 * needed)
                    out_distance = _grown(out_distance, 2 * needed)
        out_query[count:found] = q
        count = found
    return out_query[:count], out_row[:count], out_distance[:count]


@njit(cache=True, nogil=True)
def _lookup(
    head: np.ndarray,
    tail: np.ndarray,
    flat_order: np.ndarray,
    size: int,
    starts: np.ndarray,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    masks: np.ndarray,
    mask_counts: np.ndarray,
    labels: np.ndarray,
    delta_codes: np.ndarray,
    delta_labels: np.ndarray,
    removed: np.ndarray,
    query: np.ndarray,
    threshold: int,
    radius: int,
    bucket_begin: np.ndarray,
    bucket_end: np.ndarray,
    per_chunk: np.ndarray,
    rows: np.ndarray,
    heads: np.ndarray,
    code: np.ndarray,
    hit_row: np.ndarray,
    hit_distance: np.ndarray,
    keys: np.ndarray,
) -> int:
    """One query through main part, delta and tombstones, into preallocated arrays:
    `hit_row` gets the labels, `hit_distance` their closest distance, closest first.
    Returns how many, or -(the capacity needed) when the scratch is too small."""
    found: int = 0
    if labels.shape[0]:
        found = _one(
            head, tail, flat_order, size, starts, table_offset, first_bit, widths, masks,
            mask_counts, query, threshold, radius, bucket_begin, bucket_end, per_chunk,
            rows, heads, code, hit_row, hit_distance, 0,
        )  # fmt: skip
        if found < 0:
            return found - int(delta_codes.shape[0])
    if found + delta_codes.shape[0] > keys.shape[0]:
        return -(found + int(delta_codes.shape[0]))
    # (label, distance) packed in one int64 (labels below 2**54, distances below 512),
    # so that two in-place sorts give the closest hit of each label, closest first
    n = 0
    for i in range(found):
        label = labels[hit_row[i]]
        if removed.shape[0] and _holds(removed, label):
            continue
        keys[n] = (label << 9) | hit_distance[i]
        n += 1
    q0, q1, q2, q3 = query[0], query[1], query[2], query[3]
    for r in range(delta_codes.shape[0]):
        distance = (
            _popcount(delta_codes[r, 0] ^ q0)
            + _popcount(delta_codes[r, 1] ^ q1)
            + _popcount(delta_codes[r, 2] ^ q2)
            + _popcount(delta_codes[r, 3] ^ q3)
        )
        if distance > threshold:
            continue
        label = delta_labels[r]
        if removed.shape[0] and _holds(removed, label):
            continue
        keys[n] = (label << 9) | distance
        n += 1
    keys[:n].sort()
    kept = 0
    last = np.int64(-1)
    for i in range(n):
        label = keys[i] >> 9
        if label != last:
            keys[kept] = ((keys[i] & 511) << 54) | label
            kept += 1
            last = label
    keys[:kept].sort()
    for i in range(kept):
        hit_row[i] = keys[i] & ((np.int64(1) << 54) - 1)
        hit_distance[i] = keys[i] >> 54
    return kept


@njit(cache=True, inline="always")
def _holds(ordered: np.ndarray, value: np.int64) -> bool:
    at = np.searchsorted(ordered, value)
    return bool(at < ordered.shape[0] and ordered[at] == value)


@njit(cache=True, nogil=True)
def _scan(
    codes: np.ndarray, queries: np.ndarray, threshold: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same answer by comparing every row (for the small delta)."""
    capacity = 1024
    out_query = np.empty(capacity, np.int64)
    out_row = np.empty(capacity, np.int64)
    out_distance = np.empty(capacity, np.int64)
    count = 0
    for q in range(queries.shape[0]):
        for row in range(codes.shape[0]):
            distance = np.int64(0)
            for w in range(4):
                distance += _popcount(codes[row, w] ^ queries[q, w])
            if distance <= threshold:
                if count == capacity:
                    capacity *= 2
                    out_query = _grown(out_query, capacity)
                    out_row = _grown(out_row, capacity)
                    out_distance = _grown(out_distance, capacity)
                out_query[count], out_row[count], out_distance[count] = q, row, distance
                count += 1
    return out_query[:count], out_row[:count], out_distance[:count]


class _Segment:
    """The built, immutable part of the index."""

    def __init__(self, arrays: dict[str, np.ndarray], layout: _Layout) -> None:
        self.layout = layout
        self.head, self.tail = arrays["head"], arrays["tail"]
        self.labels = arrays["labels"]
        self.order, self.starts = arrays["order"], arrays["starts"]
        # the flat views the search loop takes, made once rather than on every call
        self.flat_head = np.asarray(self.head).reshape(-1)
        self.flat_order = np.asarray(self.order).reshape(-1)

    @classmethod
    def build(cls, codes: np.ndarray, labels: np.ndarray) -> _Segment:
        layout = layout_for(len(codes))
        order = np.empty((layout.chunks, len(codes)), dtype=np.int32)
        starts = np.zeros(layout.table_size, dtype=np.int32)
        for c in range(layout.chunks):
            # one chunk at a time: all chunk values at once would double peak memory
            values = layout.chunk_values(codes, c)
            order[c] = np.argsort(values, kind="stable")
            offset, size = int(layout.table_offset[c]), (1 << int(layout.widths[c]))
            counts = np.bincount(values, minlength=size)
            np.cumsum(counts, out=starts[offset + 1 : offset + size + 1])
            del values, counts
        arrays = {
            "head": np.ascontiguousarray(codes[:, :2]),
            "tail": np.ascontiguousarray(codes[:, 2:]),
            "labels": np.asarray(labels, dtype=np.int64),
            "order": order,
            "starts": starts,
        }
        return cls(arrays, layout)

    @classmethod
    def empty(cls) -> _Segment:
        return cls.build(np.zeros((0, 4), np.uint64), np.zeros(0, np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "head": self.head,
            "tail": self.tail,
            "labels": self.labels,
            "order": self.order,
            "starts": self.starts,
        }

    def codes(self) -> np.ndarray:
        return np.concatenate([np.asarray(self.head), np.asarray(self.tail)], axis=1)

    def __len__(self) -> int:
        return len(self.labels)

    def search(self, queries: np.ndarray, threshold: int) -> tuple[np.ndarray, ...]:
        """(query, row, distance) of every row within `threshold` of a query."""
        if not len(self.labels):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        layout = self.layout
        masks, counts = layout.masks(threshold)
        found: tuple[np.ndarray, ...] = _probe(
            self.flat_head,
            self.tail,
            self.flat_order,
            len(self.labels),
            self.starts,
            layout.table_offset,
            layout.first_bit,
            layout.widths,
            masks,
            counts,
            queries,
            threshold,
            threshold // layout.chunks,
        )
        return found


class _Scratch:
    """One thread's working arrays for single lookups, reused from call to call."""

    def __init__(self, layout: _Layout, threshold: int, capacity: int = 4096) -> None:
        self.layout = layout
        probes = int(layout.masks(threshold)[1].sum())
        self.query = np.zeros(4, np.uint64)
        self.code = np.zeros(4, np.uint64)
        self.bucket_begin = np.zeros(probes, np.int64)
        self.bucket_end = np.zeros(probes, np.int64)
        self.per_chunk = np.zeros((3, layout.chunks), np.int64)
        self.grow(capacity)

    def grow(self, capacity: int) -> None:
        self.rows = np.zeros(capacity, np.int32)
        self.heads = np.zeros(capacity, np.int64)
        self.hit_row = np.zeros(capacity, np.int64)
        self.hit_distance = np.zeros(capacity, np.int64)
        self.keys = np.zeros(capacity, np.int64)


class PDQIndex:
    """Exact search within a Hamming threshold; see the module docstring."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD) -> None:
        if not 0 <= threshold < HASH_BITS:
            raise ValueError(f"threshold must be between 0 and {HASH_BITS - 1}")
        self.threshold = threshold
        self._main = _Segment.empty()
        self._delta_codes = np.zeros((0, 4), np.uint64)
        self._delta_labels = np.zeros(0, np.int64)
        self._removed = np.zeros(0, np.int64)
        self.watermark = 0  # the highest entry id the index has seen (for syncing)
        self._local = threading.local()  # each thread's lookup scratch
        self._distinct: bool | None = None  # see _one_row_per_label

    def __getstate__(self) -> dict[str, Any]:
        # an engine's workers each get a copy (detect/engines.py): the arrays travel, each
        # thread's scratch does not
        state = dict(self.__dict__)
        del state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def __len__(self) -> int:
        return len(self._main) + len(self._delta_codes) - self._removed_rows()

    @classmethod
    def build(
        cls, codes: np.ndarray, labels: np.ndarray, threshold: int = DEFAULT_THRESHOLD
    ) -> PDQIndex:
        index = cls(threshold)
        codes = np.ascontiguousarray(codes, dtype=np.uint64).reshape(-1, 4)
        index._main = _Segment.build(codes, np.asarray(labels, dtype=np.int64))
        index.watermark = int(np.max(labels)) if len(labels) else 0
        return index

    # -- changes ------------------------------------------------------------------------

    def add(self, codes: np.ndarray, labels: np.ndarray) -> None:
        """Add hashes; merged into the main part once the delta grows large."""
        labels = np.asarray(labels, dtype=np.int64)
        codes = np.asarray(codes, dtype=np.uint64).reshape(-1, 4)
        self._delta_codes = np.concatenate([self._delta_codes, codes])
        self._delta_labels = np.concatenate([self._delta_labels, labels])
        self._distinct = None
        if len(labels):
            self.watermark = max(self.watermark, int(labels.max()))
        if len(self._delta_codes) > max(_DELTA_FLOOR, len(self._main) // 8):
            self.compact()

    def remove(self, labels: Iterable[int]) -> None:
        """Forget every hash of these labels."""
        gone = np.fromiter(labels, dtype=np.int64)
        self._removed = np.union1d(self._removed, gone)

    def compact(self) -> None:
        """Rebuild one main part from main, delta and tombstones."""
        codes = np.concatenate([self._main.codes(), self._delta_codes])
        labels = np.concatenate([np.asarray(self._main.labels), self._delta_labels])
        keep = ~np.isin(labels, self._removed)
        self._main = _Segment.build(np.ascontiguousarray(codes[keep]), labels[keep])
        self._distinct = None
        self._delta_codes = np.zeros((0, 4), np.uint64)
        self._delta_labels = np.zeros(0, np.int64)
        self._removed = np.zeros(0, np.int64)

    def labels(self) -> np.ndarray:
        """The labels present (after removals), sorted and distinct."""
        present = np.union1d(np.asarray(self._main.labels), self._delta_labels)
        return np.setdiff1d(present, self._removed)

    def _removed_rows(self) -> int:
        if not len(self._removed):
            return 0
        return int(np.isin(self._main.labels, self._removed).sum()) + int(
            np.isin(self._delta_labels, self._removed).sum()
        )

    # -- queries ------------------------------------------------------------------------

    def search(self, queries: np.ndarray, threshold: int | None = None) -> list[Match]:
        """Every label within `threshold` (default: the index's) of each query, closest
        distance per (query, label), sorted by query then distance."""
        who, labels, found = self.search_arrays(queries, threshold)
        rows = zip(who.tolist(), labels.tolist(), found.tolist(), strict=True)
        return [Match(q, label, distance) for q, label, distance in rows]

    def search_arrays(
        self, queries: np.ndarray, threshold: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`search` as three arrays (query, label, distance), in the same order: for
        batches with many matches (a query near a family of re-encoded copies matches
        hundreds), where making a Python object per match costs more than the search."""
        who, labels, _, found = self.search_rows(queries, threshold)
        if not self._one_row_per_label():  # the frames of a video: keep the closest
            order = np.lexsort((found, labels, who))  # by query, label, then distance
            who, labels, found = who[order], labels[order], found[order]
            first = np.ones(len(who), dtype=bool)  # the closest hit of each (query, label)
            first[1:] = (who[1:] != who[:-1]) | (labels[1:] != labels[:-1])
            who, labels, found = who[first], labels[first], found[first]
        order = np.lexsort((labels, found, who))  # by query, then distance
        return who[order], labels[order], found[order]

    def search_rows(
        self, queries: np.ndarray, threshold: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(query, label, row, distance) of every indexed row within `threshold`, each
        row once per query; `row` tells apart the frames of one label."""
        limit = self.threshold if threshold is None else threshold
        self._check(limit)
        queries = np.ascontiguousarray(queries, dtype=np.uint64).reshape(-1, 4)
        who, rows, found = self._main.search(queries, limit)
        labels = np.asarray(self._main.labels)[rows]
        if len(self._delta_codes):
            d_who, d_rows, d_found = _scan(self._delta_codes, queries, limit)
            who = np.concatenate([who, d_who])
            labels = np.concatenate([labels, self._delta_labels[d_rows]])
            rows = np.concatenate([rows, d_rows + len(self._main)])
            found = np.concatenate([found, d_found])
        if len(self._removed):
            keep = ~np.isin(labels, self._removed)
            who, labels, rows, found = who[keep], labels[keep], rows[keep], found[keep]
        return who, labels, rows, found

    def _one_row_per_label(self) -> bool:
        """Whether no label has two rows (PDQ entries: labels are ids added in order),
        worked out once after each change."""
        if self._distinct is None:
            labels = np.concatenate([np.asarray(self._main.labels), self._delta_labels])
            self._distinct = bool(np.all(labels[1:] > labels[:-1]))
        return self._distinct

    def _check(self, limit: int) -> None:
        if not 0 <= limit <= self.threshold:
            raise ValueError(f"the index answers exactly up to distance {self.threshold}")

    def lookup(
        self, query: str | np.ndarray, threshold: int | None = None
    ) -> list[tuple[int, int]]:
        """(label, distance) of every label within `threshold` of one hash (64 hex
        characters or four uint64 words), closest first.

        The path for one query per call, as an HTTP lookup makes: the masks are made
        once per threshold, the working arrays once per thread, and one compiled call
        does the probing, the delta, the tombstones and the sorting; what is left in
        Python is reading the hex and making the answer's list.
        """
        limit = self.threshold if threshold is None else threshold
        self._check(limit)
        main = self._main
        layout = main.layout
        scratch: _Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None or scratch.layout is not layout:
            scratch = self._local.scratch = _Scratch(layout, self.threshold)
        code = scratch.query
        if isinstance(query, str):
            if len(query) != 64:
                raise ValueError(f"a PDQ hash is 64 hex characters, not {len(query)}")
            code[0], code[1] = int(query[:16], 16), int(query[16:32], 16)
            code[2], code[3] = int(query[32:48], 16), int(query[48:], 16)
        else:
            code[:] = query
        masks, counts = layout.masks(limit)
        while True:
            found: int = _lookup(
                main.flat_head, main.tail, main.flat_order, len(main.labels), main.starts,
                layout.table_offset, layout.first_bit, layout.widths, masks, counts,
                main.labels, self._delta_codes, self._delta_labels, self._removed, code,
                limit, limit // layout.chunks, scratch.bucket_begin, scratch.bucket_end,
                scratch.per_chunk, scratch.rows, scratch.heads, scratch.code,
                scratch.hit_row, scratch.hit_distance, scratch.keys,
            )  # fmt: skip
            if found >= 0:
                break
            scratch.grow(2 * -found)
        labels = scratch.hit_row[:found].tolist()
        return list(zip(labels, scratch.hit_distance[:found].tolist(), strict=True))

    def row_labels(self) -> np.ndarray:
        """The label of every live row (a label counted once per row it has)."""
        labels = np.concatenate([np.asarray(self._main.labels), self._delta_labels])
        return labels[~np.isin(labels, self._removed)] if len(self._removed) else labels

    # -- persistence --------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write the index to `folder`, replacing what was there only once complete."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".index-", dir=folder.parent))
        arrays = {
            **self._main.arrays(),
            "delta_codes": self._delta_codes,
            "delta_labels": self._delta_labels,
            "removed": self._removed,
        }
        for name, array in arrays.items():
            np.save(staging / f"{name}.npy", np.asarray(array))
        manifest = {
            "format": FORMAT,
            "layout": self._main.layout.name,
            "threshold": self.threshold,
            "watermark": self.watermark,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest))
        retired = folder.with_name(folder.name + ".old")
        if folder.exists():
            folder.replace(retired)
        staging.replace(folder)
        shutil.rmtree(retired, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> PDQIndex:
        """The index saved in `folder`."""
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
            if manifest.get("format") != FORMAT:
                raise IndexFormatError(f"{folder}: index format {manifest.get('format')}")
            index = cls(int(manifest["threshold"]))
            main = {
                name: np.load(folder / f"{name}.npy")
                for name in ("head", "tail", "labels", "order", "starts")
            }
            index._main = _Segment(main, _Layout(manifest["layout"]))
            index._delta_codes = np.load(folder / "delta_codes.npy")
            index._delta_labels = np.load(folder / "delta_labels.npy")
            index._removed = np.load(folder / "removed.npy")
            index.watermark = int(manifest["watermark"])
        except (OSError, ValueError, KeyError) as exc:
            raise IndexFormatError(f"{folder}: cannot read the index ({exc})") from exc
        return index
