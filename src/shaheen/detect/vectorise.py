"""Character n-gram TF-IDF features computed with numpy, a whole batch at a time.

Why not scikit-learn's `TfidfVectorizer`: it builds every n-gram of every text as a
Python string and looks each up in a dict, which was half the cost of the whole text
path (bench/detect.py). Here a batch of texts becomes one array of code points; the
n-grams are rolling polynomial hashes over that array, so the per-n-gram work happens
in numpy. Fitting keeps the hash buckets seen in at least `min_df` training texts and
gives them compact column numbers (the model keeps the sorted kept buckets; lookup
tables are rebuilt from them when loaded), so the model stays small and an n-gram
never seen in training costs nothing. Transforming, the hot path, does the same in one
numba-compiled pass per batch (`_known_counts`): hash, look up, count per row, in
column order, with no intermediate arrays; a test holds its output equal, bit for bit,
to the numpy way.

The features: n-grams of each length in `ngram_range` over the text with its
whitespace collapsed and padded by one space (so word starts and ends count, and
n-grams span neighbouring words), sublinear term frequency, smoothed IDF, rows scaled
to unit length, as `TfidfVectorizer(analyzer="char", sublinear_tf=True)` would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import njit
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize

_BITS = 22  # 4M buckets: collisions among the ~10^5 n-grams kept are rare
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_SEPARATOR = "\x00"  # cannot occur in the texts: normalisation removes control characters


def _padded(text: str) -> str:
    return " " + " ".join(text.replace(_SEPARATOR, " ").split()) + " "


def hashed_ngrams(
    texts: Sequence[str], ngram_range: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(row, bucket) of every character n-gram of every text, as two arrays."""
    joined = _SEPARATOR.join(_padded(t) for t in texts) + _SEPARATOR
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    is_separator = codes == 0
    # row of each position: how many separators come before it
    row_of = np.cumsum(is_separator) - is_separator
    separators_before = np.concatenate(([0], np.cumsum(is_separator)))
    rows, buckets = [], []
    low, high = ngram_range
    with np.errstate(over="ignore"):  # the hashes are meant to wrap around 2^64
        rolling = codes.copy()
        for n in range(1, high + 1):
            if n > 1:
                rolling = rolling[:-1] * _MULTIPLIER + codes[n - 1 :]
            if n < low:
                continue
            starts = np.arange(len(rolling))
            whole = separators_before[starts + n] == separators_before[starts]
            mixed = (rolling[whole] + np.uint64(n)) * _MIX
            mixed ^= mixed >> np.uint64(31)
            mixed *= _MULTIPLIER
            buckets.append((mixed >> np.uint64(64 - _BITS)).astype(np.int64))
            rows.append(row_of[starts[whole]].astype(np.int64))
    return np.concatenate(rows), np.concatenate(buckets)


def ngrams_with_buckets(text: str, ngram_range: tuple[int, int]) -> list[tuple[str, int]]:
    """Every character n-gram of one text with its hash bucket, in `hashed_ngrams`' order
    (for explaining a score: which n-grams of this text carried it)."""
    padded = _padded(text)
    _, buckets = hashed_ngrams([text], ngram_range)
    low, high = ngram_range
    grams = [padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)]
    return list(zip(grams, buckets.tolist(), strict=True))


class CharNgramVectorizer(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """TF-IDF over hashed character n-grams; see the module docstring."""

    def __init__(self, ngram_range: tuple[int, int] = (4, 5), min_df: int = 2) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, texts: Sequence[str], y: Any = None) -> CharNgramVectorizer:
        counts = self._bucket_counts(texts)
        document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
        kept = np.flatnonzero(document_frequency >= self.min_df)
        self.buckets_ = kept  # sorted: a bucket's column is its position here
        self.idf_ = np.log((1 + len(texts)) / (1 + document_frequency[kept])) + 1.0
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in texts], out=starts[1:])
        low, high = self.ngram_range
        indptr, indices, counts = _known_counts(
            codes, starts, low, high, self._slots(), len(self.idf_), _SPACE, _DE_BRUIJN_BITS
        )
        matrix = sp.csr_matrix((counts, indices, indptr), shape=(len(texts), len(self.idf_)))
        matrix.data = (1.0 + np.log(matrix.data)) * self.idf_[matrix.indices]
        return normalize(matrix)

    def _columns(self) -> np.ndarray:
        """Bucket -> column (-1: not kept), built on first use and never pickled: a direct
        table looks n-grams up ~40 times faster than searching the sorted buckets."""
        table: np.ndarray | None = self.__dict__.get("_column_table")
        if table is None:
            table = np.full(1 << _BITS, -1, dtype=np.int32)
            table[self.buckets_] = np.arange(len(self.buckets_), dtype=np.int32)
            self.__dict__["_column_table"] = table
        return table

    def _slots(self) -> np.ndarray:
        """The kept buckets in an open-addressing hash table (`_column_slots`), built on
        first use and never pickled. The direct table of 4M entries (16 MB) outgrows the
        CPU caches, and each n-gram looked up there was a cache miss; this one, a few
        hundred kilobytes, stays in them."""
        slots: np.ndarray | None = self.__dict__.get("_column_slots")
        if slots is None:
            slots = _column_slots(np.asarray(self.buckets_, dtype=np.int64))
            self.__dict__["_column_slots"] = slots
        return slots

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_column_table", None)
        state.pop("_column_slots", None)
        return state

    def _bucket_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        rows, buckets = hashed_ngrams(texts, self.ngram_range)
        matrix = sp.csr_matrix(
            (np.ones(len(rows)), (rows, buckets)), shape=(len(texts), 1 << _BITS)
        )
        matrix.sum_duplicates()
        return matrix


# What `str.split()` splits on (and NUL, which `_padded` turns into a space), up to the
# last such character, U+3000.
_SPACE = np.array([chr(c).isspace() or c == 0 for c in range(0x3001)], dtype=np.bool_)
# ctz of a 64-bit word with one bit set, by de Bruijn multiplication (numba has no ctz)
_DE_BRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DE_BRUIJN_BITS = np.zeros(64, dtype=np.int64)
for _bit in range(64):
    _DE_BRUIJN_BITS[((1 << _bit) * 0x03F79D71B4CB0A89 % (1 << 64)) >> 58] = _bit


@njit(cache=True, nogil=True)
def _known_counts(
    codes: np.ndarray,
    starts: np.ndarray,
    low: int,
    high: int,
    slots: np.ndarray,
    width: int,
    space: np.ndarray,
    de_bruijn_bits: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The count of each kept column in each text, as a CSR matrix's indptr, indices
    (sorted within each row) and data: what `hashed_ngrams`, the column lookup and
    scipy's summing of duplicates give, in one pass (`transform` spent most of its time
    building, sorting and summing the intermediate arrays).

    Text r is codes[starts[r]:starts[r + 1]], padded here as `_padded` does (one space
    around, whitespace runs collapsed to one space); each n-gram's hash is
    `hashed_ngrams`', in uint64 throughout (numba would turn uint64 mixed with int64
    into float64). A row's columns are tallied in a dense array and marked in a bitmap
    of `width` bits, which, read word by word, gives them in order: no sort (sorting
    each row was four fifths of the time).
    """
    rows = len(starts) - 1
    total = 0  # at most: padding only shortens a text, or adds its two spaces
    longest = 0
    for r in range(rows):
        length = starts[r + 1] - starts[r] + 2
        longest = max(longest, length)
        for n in range(low, high + 1):
            if length >= n:
                total += length - n + 1
    padded = np.empty(longest, dtype=np.uint64)
    indptr = np.zeros(rows + 1, dtype=np.int32)
    indices = np.empty(total, dtype=np.int32)
    counts = np.empty(total, dtype=np.float64)
    tally = np.zeros(width, dtype=np.int32)
    bitmap = np.zeros((width + 63) // 64, dtype=np.uint64)
    multiplier = np.uint64(0x9E3779B97F4A7C15)
    mix = np.uint64(0xFF51AFD7ED558CCD)
    shift = np.uint64(64 - _BITS)
    one = np.uint64(1)
    mask = len(slots) - 1
    written = 0
    blank = np.uint64(0x20)
    for r in range(rows):
        end = 1
        padded[0] = blank
        gap = False
        for i in range(starts[r], starts[r + 1]):
            code = codes[i]
            if code < len(space) and space[code]:
                gap = end > 1
            else:
                if gap:
                    padded[end] = blank
                    end += 1
                    gap = False
                padded[end] = code
                end += 1
        padded[end] = blank
        end += 1
        first_word = len(bitmap)
        last_word = -1
        for i in range(end):
            rolling = np.uint64(0)
            for n in range(1, high + 1):
                if i + n > end:
                    break
                rolling = rolling * multiplier + padded[i + n - 1]
                if n < low:
                    continue
                mixed = (rolling + np.uint64(n)) * mix
                mixed ^= mixed >> np.uint64(31)
                mixed *= multiplier
                bucket = np.int64(mixed >> shift)
                slot = bucket & mask
                while True:
                    entry = slots[slot]
                    if entry < 0:
                        break
                    if entry >> 32 == bucket:
                        column = entry & 0xFFFFFFFF
                        # no branch on a first sighting: setting a set bit again is
                        # cheaper than a mispredicted test
                        word = column >> 6
                        bitmap[word] |= one << np.uint64(column & 63)
                        first_word = min(first_word, word)
                        last_word = max(last_word, word)
                        tally[column] += 1
                        break
                    slot = (slot + 1) & mask
        for word in range(first_word, last_word + 1):
            bits = bitmap[word]
            while bits:
                lowest = bits & (~bits + one)
                column = word * 64 + de_bruijn_bits[(lowest * _DE_BRUIJN) >> np.uint64(58)]
                indices[written] = column
                counts[written] = tally[column]
                tally[column] = 0
                written += 1
                bits ^= lowest
            bitmap[word] = 0
        indptr[r + 1] = written
    return indptr, indices[:written], counts[:written]


@njit(cache=True)
def _column_slots(buckets: np.ndarray) -> np.ndarray:
    """An open-addressing table of the kept buckets, at most a quarter full: each slot
    is -1 or bucket << 32 | column, and a bucket's probe starts at its low bits (the
    bucket is already a well-mixed hash) and walks on to the first empty slot."""
    size = 1024
    while size < 4 * len(buckets):
        size *= 2
    slots = np.full(size, -1, dtype=np.int64)
    mask = size - 1
    for column in range(len(buckets)):
        slot = buckets[column] & mask
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = (buckets[column] << 32) | column
    return slots
