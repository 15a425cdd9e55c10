"""The numpy character n-gram features agree with scikit-learn's TF-IDF definition."""

from __future__ import annotations

import random

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from shaheen.demo.seed_corpus import compose
from shaheen.detect.vectorise import CharNgramVectorizer, hashed_ngrams

TEXTS = [
    "join the ranks of qqname today",
    "qqname claimed the attack, police said",
    "police said the attack was condemned",
    "aaj mausam acha hai",
    "آج موسم اچھا ہے اور بازار کھلا ہے",
    "join the ranks today, brothers",
    "",
]


def test_the_same_document_similarities_as_scikit_learn() -> None:
    """Up to hash collisions, which are rare, the features are TF-IDF of char n-grams."""
    ours = CharNgramVectorizer((4, 5), min_df=1).fit(TEXTS).transform(TEXTS)
    padded = [" " + " ".join(t.split()) + " " for t in TEXTS]
    reference = TfidfVectorizer(
        analyzer="char", ngram_range=(4, 5), sublinear_tf=True, lowercase=False
    ).fit_transform(padded)
    np.testing.assert_allclose(
        (ours @ ours.T).toarray(), (reference @ reference.T).toarray(), atol=1e-9
    )


def test_ngrams_never_span_two_texts() -> None:
    rows, _ = hashed_ngrams(["abcd", "efgh"], (4, 4))
    # " abcd " has three 4-grams, and so has " efgh "
    assert list(rows) == [0, 0, 0, 1, 1, 1]


def test_unseen_ngrams_cost_nothing_and_rows_are_unit_length() -> None:
    vectorizer = CharNgramVectorizer((4, 5), min_df=2).fit(TEXTS)
    matrix = vectorizer.transform(["zzzzqqqq xxxxyyyy", "join the ranks"])
    assert matrix[0].nnz == 0
    assert np.isclose(np.linalg.norm(matrix[1].toarray()), 1.0)


def test_min_df_drops_ngrams_seen_in_one_text_only() -> None:
    once = CharNgramVectorizer((4, 5), min_df=1).fit(TEXTS)
    twice = CharNgramVectorizer((4, 5), min_df=2).fit(TEXTS)
    assert 0 < len(twice.buckets_) < len(once.buckets_)


def _reference_transform(vectorizer: CharNgramVectorizer, texts: list[str]) -> sp.csr_matrix:
    """`transform` as first written: every n-gram hashed in numpy, the kept ones put in a
    matrix whose duplicates scipy sums and sorts."""
    rows, buckets = hashed_ngrams(texts, vectorizer.ngram_range)
    columns = vectorizer._columns()[buckets]
    known = columns >= 0
    matrix = sp.csr_matrix(
        (np.ones(int(known.sum())), (rows[known], columns[known])),
        shape=(len(texts), len(vectorizer.idf_)),
    )
    matrix.sum_duplicates()
    matrix.data = (1.0 + np.log(matrix.data)) * vectorizer.idf_[matrix.indices]
    return normalize(matrix)


def test_transform_equals_the_reference_bit_for_bit() -> None:
    rng = random.Random(11)
    corpus = [
        compose(rng, rng.choice(("en", "ur", "roman_ur", "ps")), "propaganda") for _ in range(300)
    ]
    vectorizer = CharNgramVectorizer((4, 5), min_df=2).fit(corpus)
    texts = [
        *(
            compose(rng, rng.choice(("en", "ur", "roman_ur", "ps")), "news_or_counter")
            for _ in range(200)
        ),
        "",
        " ",
        "abc",
        "qqname qqname qqname qqname",  # one n-gram many times: counts above one
        "tab\tand\nnewline and\x00nul \U0001d413 astral",
        "  leading and trailing\u3000\xa0 ",
        "\x1c\x1f\u2028\u2029\u202f\u205f\x85\u1680 separators\u200a\u200b zero-width",
        "\x00",
        *TEXTS,
    ]
    ours = vectorizer.transform(texts)
    theirs = _reference_transform(vectorizer, texts)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # the same floats, not merely close
    assert ours.nnz > 1000
