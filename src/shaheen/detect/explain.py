"""Why a text scored as it did: for reviewers, and for tuning (`shaheen explain TEXT`).

An explanation lists the knowledge-base terms found (and the ambiguous acronyms left out
for want of support in the post, with their other meanings), the text as the classifier
saw it (masked and normalised), the probabilities of the fast stage and of the whole
cascade, which stage decided and why, and the character n-grams of this text that
weighed most for the label it got: each n-gram's TF-IDF value in the text times the
fast stage's coefficient for that label (averaged over the calibration folds' models),
so the numbers add up to the linear score before calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shaheen.detect.classifier import TextClassifier, mask
from shaheen.detect.language import identify
from shaheen.detect.lexicon import Lexicon


@dataclass(frozen=True)
class TermFound:
    organisation: str
    kind: str
    term: str
    matched: str
    counted: bool
    why: str


@dataclass(frozen=True)
class NgramWeight:
    ngram: str
    weight: float


@dataclass
class Explanation:
    text: str
    language: str
    masked: str
    label: str
    probabilities: dict[str, float]
    fast_probabilities: dict[str, float]
    stage: str
    cascade_reason: str | None
    model_version: str
    terms: list[TermFound] = field(default_factory=list)
    ngrams: list[NgramWeight] = field(default_factory=list)


def explain(text: str, model: TextClassifier, lexicon: Lexicon, top: int = 10) -> Explanation:
    """The explanation of one text's score (see the module docstring)."""
    reading = lexicon.read(text)
    terms = [
        TermFound(
            hit.term.organisation,
            hit.term.kind.value,
            hit.term.value,
            hit.matched,
            True,
            reading.support.get(hit.term.organisation, "")
            if hit.term.ambiguous
            else f"{hit.term.kind.value} of the organisation",
        )
        for hit in reading.hits
    ] + [
        TermFound(
            hit.term.organisation,
            hit.term.kind.value,
            hit.term.value,
            hit.matched,
            False,
            "not counted: also means "
            + "; ".join(hit.term.other_meanings)
            + ", and nothing in the post says it is the organisation",
        )
        for hit in reading.unsupported
    ]
    masked = mask(text, lexicon)
    fast = model.fast_probabilities([masked])
    probabilities, routes = model.classify_with_routes([text], lexicon)
    label = model.labels[int(probabilities[0].argmax())]
    return Explanation(
        text=text,
        language=identify(text).value,
        masked=masked,
        label=label,
        probabilities=_rounded(model.labels, probabilities[0]),
        fast_probabilities=_rounded(model.labels, fast[0]),
        stage="fast" if routes[0] is None else "embedding cascade",
        cascade_reason=routes[0],
        model_version=model.info.version,
        terms=terms,
        ngrams=top_ngrams(model, masked, label, top),
    )


def top_ngrams(model: TextClassifier, masked: str, label: str, top: int) -> list[NgramWeight]:
    """The n-grams of `masked` that add most to `label`'s linear score, strongest first."""
    from shaheen.detect.vectorise import ngrams_with_buckets

    vectorizer = model.pipeline.named_steps["features"]
    calibrated = model.pipeline.named_steps["model"]
    rows = []
    for part in calibrated.calibrated_classifiers_:
        estimator = part.estimator
        rows.append(estimator.coef_[list(estimator.classes_).index(label)])
    coefficients = np.mean(rows, axis=0)
    features = vectorizer.transform([masked]).tocsr()
    value = dict(zip(features.indices.tolist(), features.data.tolist(), strict=True))
    columns = vectorizer._columns()
    weights: dict[str, float] = {}
    for gram, bucket in ngrams_with_buckets(masked, vectorizer.ngram_range):
        column = int(columns[bucket])
        if column >= 0 and gram not in weights:
            weights[gram] = value.get(column, 0.0) * float(coefficients[column])
    ranked = sorted(weights.items(), key=lambda item: item[1], reverse=True)[:top]
    return [NgramWeight(gram, round(weight, 4)) for gram, weight in ranked if weight > 0]


def _rounded(labels: list[str], row: np.ndarray) -> dict[str, float]:
    return {label: round(float(p), 4) for label, p in zip(labels, row, strict=True)}
