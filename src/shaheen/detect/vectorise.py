"""Character n-gram TF-IDF features computed with numpy, a whole batch at a time.

Why not scikit-learn's `TfidfVectorizer`: it builds every n-gram of every text as a
Python string and looks each up in a dict, which was half the cost of the whole text
path (bench/detect.py). Here a batch of texts becomes one array of code points; the
n-grams are rolling polynomial hashes over that array, so the per-n-gram work happens
in numpy. Fitting keeps the hash buckets seen in at least `min_df` training texts and
gives them compact column numbers (the model keeps the sorted kept buckets; a direct
lookup table is rebuilt from them when loaded), so the model stays small and an n-gram
never seen in training costs nothing.

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
        rows, buckets = hashed_ngrams(texts, self.ngram_range)
        columns = self._columns()[buckets]
        known = columns >= 0
        matrix = sp.csr_matrix(
            (np.ones(int(known.sum())), (rows[known], columns[known])),
            shape=(len(texts), len(self.idf_)),
        )
        matrix.sum_duplicates()
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

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_column_table", None)
        return state

    def _bucket_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        rows, buckets = hashed_ngrams(texts, self.ngram_range)
        matrix = sp.csr_matrix(
            (np.ones(len(rows)), (rows, buckets)), shape=(len(texts), 1 << _BITS)
        )
        matrix.sum_duplicates()
        return matrix
