"""Exact Hamming-distance search over millions of 256-bit PDQ hashes: multi-index hashing.

Why this structure: split the 256 bits into `m` chunks. A banked hash within distance
`t` of a query differs from it, in at least one chunk c, by at most `r_c` bits, whenever
the `r_c + 1` add up to more than `t` (pigeonhole: every chunk differing by more would
add up to more than `t`); `t // m` everywhere, less one where that leaves some to spare.
So each chunk has a table from chunk value to the hashes holding it; a query probes, in
every table, its own chunk value and every value within `r_c` bits of it, and checks the
full distance of only the hashes found there. Every hash within `t` is found (recall 1.0
by construction) while a few hundred or thousand are checked instead of millions.

Two layouts, chosen by size. Below 250,000 hashes, sixteen 16-bit chunks (radius 1 for
t = 31: 17 probes a table), each table a start per chunk value into the rows ordered by
it. From there on, eleven 23/24-bit chunks (radius 2, one of them 1: 2,843 chunk values
probed in all, but at a million about 300 hashes found, not 4,150, which is what
costs: each is a random memory read). A start per value would take 450 MB there, so
each table is a bitmap of the values present instead (1-2 MB), read in 512-bit lines,
one cache line: the probes that differ only in a value's low nine bits fall in the same
line, so a query reads 1,106 lines, not 2,843 entries, and a line's running count of
set bits turns a present value into its rank, which indexes its row. Where the wide
layout starts to pay is measured by bench/pdq_layouts.py.

The search loop is compiled with numba: per query it first works out every address it
will read, then reads them asking for each one 32 or 64 reads ahead, so many memory
reads are in flight at once.

Storage, about 100 bytes a hash: each hash as a `head` and a `tail` (two uint64 each;
the first check reads only the head, a smaller array that stays in the CPU cache), its
`label` (the bank entry; several frames of one video share one), and the tables. Saved
as `.npy` files and read whole on load (a second or two at ten million hashes):
memory-mapped, the same index answered 40 % slower, its random reads missing the huge
pages that ordinary memory gets.

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
from functools import cache
from itertools import combinations
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

HASH_BITS = 256
DEFAULT_THRESHOLD = 31
LARGE = 250_000  # from this many hashes on, the wide-chunk layout (bench/pdq_match.py)
_LINE = 9  # a wide chunk's bitmap is read in lines of 2**9 bits: one 64-byte cache line
_LAYOUTS = {"narrow": (16,) * 16, "wide": (24,) * 3 + (23,) * 8}
_DELTA_FLOOR = 100_000
# How many candidates ahead the check loop asks for a hash: random reads into a table
# larger than the CPU cache take ~100 ns, and prefetching 64 ahead more than doubled the
# queries/s at a million hashes (one core, bench/pdq_match.py).
_AHEAD = 64
_AHEAD_LINES = 32  # the same for the lines of wide bitmaps
FORMAT = 3


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


class _Plan(NamedTuple):
    """What one query probes at one threshold, made once (in Python, it would cost more
    than a whole lookup)."""

    radii: np.ndarray  # per chunk, the most bits it may differ by (-1: not probed)
    masks: np.ndarray  # (chunk, probe) bits flipped: the chunk value (narrow), its line (wide)
    rests: np.ndarray  # (chunk, probe) wide: bits still free to differ within the line
    counts: np.ndarray  # probes per chunk


class _Layout:
    """Where each chunk lies in the 256 bits, where its directory starts, and the probes
    for a threshold."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.wide = name == "wide"
        self.widths = np.array(_LAYOUTS[name], dtype=np.int64)
        self.first_bit = np.concatenate(([0], np.cumsum(self.widths)[:-1])).astype(np.int64)
        # narrow: a start per chunk value (and one past the end); wide: 512-bit lines
        sizes = (1 << self.widths) >> _LINE if self.wide else (1 << self.widths) + 1
        self.table_offset = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self.table_size = int(sizes.sum())
        self._plans: dict[int, _Plan] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_plans"] = {}  # made again on first use; no need to carry them
        return state

    @property
    def chunks(self) -> int:
        return len(self.widths)

    def plan(self, threshold: int) -> _Plan:
        made = self._plans.get(threshold)
        if made is None:
            made = self._plans[threshold] = self._make_plan(threshold)
        return made

    def radii(self, threshold: int) -> np.ndarray:
        """The pigeonhole, generalised: a hash within `threshold` of the query differs from
        it by at most `radii[c]` bits in some chunk c, as long as the radii plus one add up
        to more than `threshold` (otherwise each chunk would differ by more, and the sum
        too). Dividing evenly can leave some to spare: those chunks get a radius one
        smaller, the widest first since their probes cost the most."""
        radius = threshold // self.chunks
        radii = np.full(self.chunks, radius, dtype=np.int64)
        spare = self.chunks * (radius + 1) - (threshold + 1)
        radii[np.argsort(-self.widths, kind="stable")[:spare]] -= 1
        return radii

    def _make_plan(self, threshold: int) -> _Plan:
        radii = self.radii(threshold)
        probes: list[list[tuple[int, int]]] = []
        for width, radius in zip(self.widths.tolist(), radii.tolist(), strict=True):
            free = width - _LINE if self.wide else width  # the bits a probe flips
            probes.append(
                [
                    (sum(1 << b for b in chosen), min(radius - bits, _LINE))
                    for bits in range(min(radius, free) + 1)
                    for chosen in combinations(range(free), bits)
                ]
            )
        most = max((len(p) for p in probes), default=0)
        masks = np.zeros((self.chunks, max(most, 1)), dtype=np.int64)
        rests = np.zeros_like(masks)
        counts = np.array([len(p) for p in probes], dtype=np.int64)
        for c, chunk_probes in enumerate(probes):
            for i, (mask, rest) in enumerate(chunk_probes):
                masks[c, i], rests[c, i] = mask, rest
        return _Plan(radii, masks, rests, counts)

    def chunk_values(self, codes: np.ndarray, c: int) -> np.ndarray:
        """Chunk `c` of each hash (numpy, for building)."""
        first, width = int(self.first_bit[c]), int(self.widths[c])
        word, shift = first // 64, first % 64
        value = codes[:, word] >> np.uint64(shift)
        if shift + width > 64:
            value |= codes[:, word + 1] << np.uint64(64 - shift)
        return (value & np.uint64((1 << width) - 1)).astype(np.int64)


@cache
def _within() -> np.ndarray:
    """(rest, position, word): the bits of a 512-bit line at positions within `rest` bits
    of `position`, as eight words; a wide probe ANDs them with the line it reads."""
    positions = np.arange(1 << _LINE)
    apart = np.bitwise_count(positions[:, None] ^ positions[None, :])
    table = np.zeros((_LINE + 1, 1 << _LINE, 8), dtype=np.uint64)
    for rest in range(_LINE + 1):
        bits = (apart <= rest).reshape(1 << _LINE, 8, 64)
        table[rest] = np.packbits(bits, axis=-1, bitorder="little").view("<u8")[..., 0]
    return table


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
def _gather_buckets(
    order: np.ndarray,
    size: int,
    starts: np.ndarray,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    masks: np.ndarray,
    counts: np.ndarray,
    query: np.ndarray,
    probe_at: np.ndarray,
    probe_end: np.ndarray,
    per_chunk: np.ndarray,
    rows: np.ndarray,
) -> int:
    """Narrow: the rows of every probed bucket into `rows`, chunk by chunk, chunk c's
    ending at `per_chunk[2, c]`. Returns how many; if more than `rows` holds, writes none."""
    chunks = first_bit.shape[0]
    n = 0  # first pass: where each probed bucket lies; start loading its rows
    total = 0
    for c in range(chunks):
        key = _chunk(query, first_bit[c], widths[c])
        per_chunk[0, c] = key
        base = table_offset[c]
        for m in range(counts[c]):
            probe = base + (key ^ masks[c, m])
            begin = c * size + starts[probe]
            end = c * size + starts[probe + 1]
            probe_at[n], probe_end[n] = begin, end
            _prefetch(order, begin)  # type: ignore[call-arg]
            total += end - begin
            n += 1
        per_chunk[1, c] = n  # the buckets of chunk c end here
    if total > rows.shape[0]:
        return total
    gathered = 0  # second pass: the rows of every probed bucket
    b = 0
    for c in range(chunks):
        while b < per_chunk[1, c]:
            for p in range(probe_at[b], probe_end[b]):
                rows[gathered] = order[p]
                gathered += 1
            b += 1
        per_chunk[2, c] = gathered
    return gathered


@njit(cache=True, nogil=True)
def _gather_lines(
    first: np.ndarray,
    more: np.ndarray,
    bits: np.ndarray,
    ranks: np.ndarray,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    masks: np.ndarray,
    rests: np.ndarray,
    counts: np.ndarray,
    within: np.ndarray,
    query: np.ndarray,
    probe_at: np.ndarray,
    probe_rest: np.ndarray,
    per_chunk: np.ndarray,
    slots: np.ndarray,
    rows: np.ndarray,
) -> int:
    """Wide: the rows of every chunk value within reach that some hash holds, into
    `rows` as `_gather_buckets` does. Returns how many; if more than fit, writes none."""
    chunks = first_bit.shape[0]
    n = 0  # first pass, no memory read: the lines to read
    for c in range(chunks):
        key = _chunk(query, first_bit[c], widths[c])
        per_chunk[0, c] = key
        for i in range(counts[c]):
            probe_at[n] = table_offset[c] + ((key >> _LINE) ^ masks[c, i])
            probe_rest[n] = rests[c, i]
            n += 1
        per_chunk[1, c] = n
    found = 0  # second pass: the values present in those lines, as ranks among all
    i = 0
    for c in range(chunks):
        position = per_chunk[0, c] & ((1 << _LINE) - 1)
        word_at = position >> 6
        bit = np.uint64(1) << np.uint64(position & 63)
        while i < per_chunk[1, c]:
            if i + _AHEAD_LINES < n:
                _prefetch(bits, 8 * probe_at[i + _AHEAD_LINES])  # type: ignore[call-arg]
            base = 8 * probe_at[i]
            rank = np.int64(ranks[probe_at[i]])
            if probe_rest[i] == 0:  # most probes: one bit of one word
                word = bits[base + word_at]
                if word & bit:
                    for j in range(word_at):
                        rank += _popcount(bits[base + j])
                    if found < slots.shape[0]:
                        slots[found] = rank + _popcount(word & (bit - np.uint64(1)))
                    found += 1
            else:
                reach = within[probe_rest[i], position]
                for j in range(8):
                    word = bits[base + j]
                    hits = word & reach[j]
                    while hits:
                        lowest = hits & (~hits + np.uint64(1))
                        if found < slots.shape[0]:
                            slots[found] = rank + _popcount(word & (lowest - np.uint64(1)))
                        found += 1
                        hits ^= lowest
                    rank += _popcount(word)
            i += 1
        per_chunk[1, c] = found  # from here on: where chunk c's values end
    if found > slots.shape[0]:
        return found
    gathered = 0  # third pass: the rows of each value
    s = 0
    for c in range(chunks):
        while s < per_chunk[1, c]:
            if s + _AHEAD < found:
                _prefetch(first, slots[s + _AHEAD])  # type: ignore[call-arg]
            row = first[slots[s]]
            if row >= 0:
                if gathered < rows.shape[0]:
                    rows[gathered] = row
                gathered += 1
            else:  # a value several hashes share: their count, then their rows
                at = -row - 1
                for t in range(at + 1, at + 1 + more[at]):
                    if gathered < rows.shape[0]:
                        rows[gathered] = more[t]
                    gathered += 1
            s += 1
        per_chunk[2, c] = gathered
    return gathered


@njit(cache=True, nogil=True)
def _within_reach(
    head: np.ndarray,
    tail: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    radii: np.ndarray,
    query: np.ndarray,
    threshold: int,
    per_chunk: np.ndarray,
    rows: np.ndarray,
    gathered: int,
    heads: np.ndarray,
    code: np.ndarray,
    hit_row: np.ndarray,
    hit_distance: np.ndarray,
    count: int,
) -> int:
    """The gathered rows within `threshold`, each once, written from `hit_*[count]` on;
    returns the new count."""
    q0, q1, q2, q3 = query[0], query[1], query[2], query[3]
    for i in range(gathered):  # reads far ahead of their use
        if i + _AHEAD < gathered:
            _prefetch(head, 2 * np.int64(rows[i + _AHEAD]))  # type: ignore[call-arg]
        row = 2 * np.int64(rows[i])
        heads[i] = _popcount(head[row] ^ q0) + _popcount(head[row + 1] ^ q1)
    c = 0
    for i in range(gathered):  # the few rows still within reach
        while i >= per_chunk[2, c]:
            c += 1
        if heads[i] > threshold:
            continue
        row = np.int64(rows[i])
        t0, t1 = tail[row, 0], tail[row, 1]
        distance = heads[i] + _popcount(t0 ^ q2) + _popcount(t1 ^ q3)
        if distance > threshold:
            continue
        # A row within reach is found through every chunk where it differs from the
        # query by at most that chunk's radius: report it from the first such chunk only.
        seen = False
        if c > 0:
            code[0], code[1], code[2], code[3] = head[2 * row], head[2 * row + 1], t0, t1
            for e in range(c):
                differs = np.uint64(_chunk(code, first_bit[e], widths[e]) ^ per_chunk[0, e])
                if _popcount(differs) <= radii[e]:
                    seen = True
                    break
        if not seen:
            hit_row[count], hit_distance[count] = row, distance
            count += 1
    return count


@njit(cache=True, nogil=True)
def _one(
    head: np.ndarray,
    tail: np.ndarray,
    size: int,
    order: np.ndarray,
    starts: np.ndarray,
    first: np.ndarray,
    more: np.ndarray,
    bits: np.ndarray,
    ranks: np.ndarray,
    wide: bool,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    radii: np.ndarray,
    masks: np.ndarray,
    rests: np.ndarray,
    counts: np.ndarray,
    within: np.ndarray,
    query: np.ndarray,
    threshold: int,
    probe_at: np.ndarray,
    probe_extra: np.ndarray,
    per_chunk: np.ndarray,
    slots: np.ndarray,
    rows: np.ndarray,
    heads: np.ndarray,
    code: np.ndarray,
    hit_row: np.ndarray,
    hit_distance: np.ndarray,
    count: int,
) -> int:
    """Every row within `threshold` of one query, each once, written from `hit_*[count]`
    on; returns the new count, or -(the capacity needed) when the scratch is too small.
    The arguments: a segment's arrays (`_Segment.kernel`, those of the other layout
    empty), a plan's (`_Segment.plan`), the query, and the scratch (`_Scratch`)."""
    if wide:
        gathered = _gather_lines(
            first, more, bits, ranks, table_offset, first_bit, widths, masks, rests,
            counts, within, query, probe_at, probe_extra, per_chunk, slots, rows,
        )  # fmt: skip
    else:
        gathered = _gather_buckets(
            order, size, starts, table_offset, first_bit, widths, masks, counts, query,
            probe_at, probe_extra, per_chunk, rows,
        )  # fmt: skip
    if gathered > rows.shape[0] or count + gathered > hit_row.shape[0]:
        return -(count + gathered)
    return _within_reach(
        head, tail, first_bit, widths, radii, query, threshold, per_chunk, rows, gathered,
        heads, code, hit_row, hit_distance, count,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _probe(
    head: np.ndarray,
    tail: np.ndarray,
    size: int,
    order: np.ndarray,
    starts: np.ndarray,
    first: np.ndarray,
    more: np.ndarray,
    bits: np.ndarray,
    ranks: np.ndarray,
    wide: bool,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    radii: np.ndarray,
    masks: np.ndarray,
    rests: np.ndarray,
    counts: np.ndarray,
    within: np.ndarray,
    queries: np.ndarray,
    threshold: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, row, distance) of every row within `threshold` of each query, a row once
    per query."""
    probes = int(counts.sum())
    probe_at = np.empty(probes, np.int64)
    probe_extra = np.empty(probes, np.int64)
    per_chunk = np.empty((3, first_bit.shape[0]), np.int64)
    slots = np.empty(4096, np.int64)
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
                head, tail, size, order, starts, first, more, bits, ranks, wide,
                table_offset, first_bit, widths, radii, masks, rests, counts, within,
                queries[q], threshold, probe_at, probe_extra, per_chunk, slots, rows, heads,
                code, out_row, out_distance, count,
            )  # fmt: skip
            if found < 0:
                needed = -found
                if needed - count > rows.shape[0]:
                    slots = np.empty(2 * (needed - count), np.int64)
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
    size: int,
    order: np.ndarray,
    starts: np.ndarray,
    first: np.ndarray,
    more: np.ndarray,
    bits: np.ndarray,
    ranks: np.ndarray,
    wide: bool,
    table_offset: np.ndarray,
    first_bit: np.ndarray,
    widths: np.ndarray,
    radii: np.ndarray,
    masks: np.ndarray,
    rests: np.ndarray,
    counts: np.ndarray,
    within: np.ndarray,
    labels: np.ndarray,
    delta_codes: np.ndarray,
    delta_labels: np.ndarray,
    removed: np.ndarray,
    query: np.ndarray,
    threshold: int,
    probe_at: np.ndarray,
    probe_extra: np.ndarray,
    per_chunk: np.ndarray,
    slots: np.ndarray,
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
            head, tail, size, order, starts, first, more, bits, ranks, wide, table_offset,
            first_bit, widths, radii, masks, rests, counts, within, query, threshold,
            probe_at, probe_extra, per_chunk, slots, rows, heads, code, hit_row,
            hit_distance, 0,
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

    NAMES: ClassVar[dict[str, tuple[str, ...]]] = {
        "narrow": ("head", "tail", "labels", "order", "starts"),
        "wide": ("head", "tail", "labels", "first", "more", "bits", "ranks"),
    }

    def __init__(self, arrays: dict[str, np.ndarray], layout: _Layout) -> None:
        self.layout = layout
        self._arrays = arrays
        self.head, self.tail, self.labels = arrays["head"], arrays["tail"], arrays["labels"]
        none32, none64 = np.zeros(0, np.int32), np.zeros(0, np.uint64)
        # what the search loop takes, flat, the other layout's arrays empty: made once
        # rather than on every call
        self.kernel = (
            np.asarray(self.head).reshape(-1),
            self.tail,
            len(self.labels),
            np.asarray(arrays.get("order", none32)).reshape(-1),
            arrays.get("starts", none32),
            arrays.get("first", none32),
            arrays.get("more", none32),
            arrays.get("bits", none64),
            arrays.get("ranks", none32),
            layout.wide,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # an engine's workers each get a copy (detect/engines.py): the arrays once, not
        # again as the flat views `kernel` holds (a view pickles as a copy of its data)
        return (_Segment, (self._arrays, self.layout))

    @classmethod
    def build(cls, codes: np.ndarray, labels: np.ndarray) -> _Segment:
        layout = layout_for(len(codes))
        arrays = {
            "head": np.ascontiguousarray(codes[:, :2]),
            "tail": np.ascontiguousarray(codes[:, 2:]),
            "labels": np.asarray(labels, dtype=np.int64),
        }
        directory = _bitmaps if layout.wide else _buckets
        arrays.update(directory(codes, layout))
        return cls(arrays, layout)

    @classmethod
    def empty(cls) -> _Segment:
        return cls.build(np.zeros((0, 4), np.uint64), np.zeros(0, np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)

    def plan(self, threshold: int) -> tuple[Any, ...]:
        """The probe arrays the search loop takes for `threshold`."""
        layout = self.layout
        plan = layout.plan(threshold)
        geometry = (layout.table_offset, layout.first_bit, layout.widths)
        return (*geometry, plan.radii, plan.masks, plan.rests, plan.counts, _within())

    def codes(self) -> np.ndarray:
        return np.concatenate([np.asarray(self.head), np.asarray(self.tail)], axis=1)

    def __len__(self) -> int:
        return len(self.labels)

    def search(self, queries: np.ndarray, threshold: int) -> tuple[np.ndarray, ...]:
        """(query, row, distance) of every row within `threshold` of a query."""
        if not len(self.labels):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        found: tuple[np.ndarray, ...] = _probe(  # type: ignore[call-arg]
            *self.kernel, *self.plan(threshold), queries, threshold
        )
        return found


def _buckets(codes: np.ndarray, layout: _Layout) -> dict[str, np.ndarray]:
    """Narrow: per chunk the rows ordered by chunk value, and where each value starts."""
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
    return {"order": order, "starts": starts}


def _bitmaps(codes: np.ndarray, layout: _Layout) -> dict[str, np.ndarray]:
    """Wide: per chunk a bitmap of the values present, a running count of set bits per
    512-bit line (`ranks`: a present value's rank among all is that plus the set bits
    before it in its line), and per present value, in rank order, its row (`first`), or
    when several hashes share it -(1 + where in `more` their count and rows are)."""
    size = len(codes)
    most = 2 * (2**31 - 1) // (3 * layout.chunks)  # what keeps positions in `more` int32
    if size > most:
        raise ValueError(f"an index holds at most {most:,} hashes")
    bits = np.zeros(layout.table_size * 8, dtype=np.uint64)
    # Room for the most there can be, cut to size at the end: pages never written are
    # never in memory, and shrinking gives the rest back without a copy.
    first = np.empty(layout.chunks * size, dtype=np.int32)
    more = np.empty(layout.chunks * (size + size // 2), dtype=np.int32)
    present = shared = 0
    for c in range(layout.chunks):
        values = layout.chunk_values(codes, c)
        order = np.argsort(values, kind="stable").astype(np.int32)
        line = int(layout.table_offset[c])
        present, shared = _present(values[order], order, bits, line, first, present, more, shared)
        del values, order
    first.resize(present, refcheck=False)
    more.resize(shared, refcheck=False)
    per_line = np.bitwise_count(bits.reshape(-1, 8)).sum(axis=1, dtype=np.int64)
    ranks = np.zeros(len(per_line), dtype=np.int32)
    np.cumsum(per_line[:-1], out=ranks[1:])
    return {"first": first, "more": more, "bits": bits, "ranks": ranks}


@njit(cache=True)
def _present(
    values: np.ndarray,
    order: np.ndarray,
    bits: np.ndarray,
    line: int,
    first: np.ndarray,
    present: int,
    more: np.ndarray,
    shared: int,
) -> tuple[int, int]:
    """One chunk's values (sorted, with their rows in `order`) set in its bitmap, which
    starts at `line`, and written to `first` and `more` from `present` and `shared` on;
    returns how far each is filled now."""
    n = values.shape[0]
    i = 0
    while i < n:
        value = values[i]
        j = i + 1
        while j < n and values[j] == value:
            j += 1
        bits[8 * line + (value >> 6)] |= np.uint64(1) << np.uint64(value & 63)
        if j - i == 1:
            first[present] = order[i]
        else:  # the count of rows, then the rows
            first[present] = -(shared + 1)
            more[shared] = j - i
            more[shared + 1 : shared + 1 + j - i] = order[i:j]
            shared += 1 + j - i
        present += 1
        i = j
    return present, shared


class _Scratch:
    """One thread's working arrays for single lookups, reused from call to call."""

    def __init__(self, layout: _Layout, threshold: int, capacity: int = 4096) -> None:
        self.layout = layout
        # Sized for the index's threshold: a lower one never probes more (lowering it by
        # one lowers one chunk's radius by one).
        probes = int(layout.plan(threshold).counts.sum())
        self.query = np.zeros(4, np.uint64)
        self.code = np.zeros(4, np.uint64)
        self.probe_at = np.zeros(probes, np.int64)  # a bucket's start, or a line
        self.probe_extra = np.zeros(probes, np.int64)  # its end, or the bits still free
        self.per_chunk = np.zeros((3, layout.chunks), np.int64)
        self.grow(capacity)

    def grow(self, capacity: int) -> None:
        self.slots = np.zeros(capacity, np.int64)
        self.rows = np.zeros(capacity, np.int32)
        self.heads = np.zeros(capacity, np.int64)
        self.hit_row = np.zeros(capacity, np.int64)
        self.hit_distance = np.zeros(capacity, np.int64)
        self.keys = np.zeros(capacity, np.int64)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order `_lookup` takes them."""
        return (
            self.probe_at, self.probe_extra, self.per_chunk, self.slots, self.rows,
            self.heads, self.code, self.hit_row, self.hit_distance, self.keys,
        )  # fmt: skip


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
        while True:
            found: int = _lookup(  # type: ignore[call-arg]
                *main.kernel, *main.plan(limit), main.labels, self._delta_codes,
                self._delta_labels, self._removed, code, limit, *scratch.arrays(),
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
            layout = _Layout(manifest["layout"])
            main = {name: np.load(folder / f"{name}.npy") for name in _Segment.NAMES[layout.name]}
            index._main = _Segment(main, layout)
            index._delta_codes = np.load(folder / "delta_codes.npy")
            index._delta_labels = np.load(folder / "delta_labels.npy")
            index._removed = np.load(folder / "removed.npy")
            index.watermark = int(manifest["watermark"])
        except (OSError, ValueError, KeyError) as exc:
            raise IndexFormatError(f"{folder}: cannot read the index ({exc})") from exc
        return index
