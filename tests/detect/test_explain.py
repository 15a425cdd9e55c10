"""`shaheen explain`: why a text scored as it did."""

from __future__ import annotations

from shaheen.detect.classifier import ROUTE_LOOKALIKE, TextClassifier, mask
from shaheen.detect.explain import explain
from shaheen.detect.lexicon import Lexicon


def test_an_explanation_names_terms_masking_stage_and_ngrams(
    model: TextClassifier, lexicon: Lexicon
) -> None:
    text = "Join the caravan of Tehreek-e-Taliban Pakistan today, brothers"
    found = explain(text, model, lexicon)
    assert found.label == "propaganda"
    assert {(t.organisation, t.counted) for t in found.terms} == {("ttp", True)}
    assert "Tehreek-e-Taliban Pakistan" in {t.matched for t in found.terms}
    assert "qqname" in found.masked and "tehreek" not in found.masked
    assert found.stage in ("fast", "embedding cascade")
    assert abs(sum(found.probabilities.values()) - 1) < 1e-6
    assert found.ngrams and all(g.weight > 0 for g in found.ngrams)
    assert all(g.ngram in f" {' '.join(found.masked.split())} " for g in found.ngrams)
    weights = [g.weight for g in found.ngrams]
    assert weights == sorted(weights, reverse=True)


def test_an_unsupported_acronym_is_shown_as_not_counted(
    model: TextClassifier, lexicon: Lexicon
) -> None:
    found = explain("Patients with TTP need plasma exchange urgently", model, lexicon)
    (term,) = found.terms
    assert (term.term, term.counted) == ("TTP", False)
    assert "blood disorder" in term.why
    assert found.masked == mask("Patients with TTP need plasma exchange urgently", lexicon)
    assert found.label == "other"


def test_the_cascade_sees_propaganda_calls_that_rest_on_a_look_alike(
    model: TextClassifier, lexicon: Lexicon
) -> None:
    texts = ["TTP ke sath shamil ho jao, jannat tumhari muntazir hai", "TTP patients need plasma"]
    fast = model.fast_probabilities([mask(t, lexicon) for t in texts])
    routes = model.cascade_routes(fast, texts, lexicon)
    called = [model.labels[int(row.argmax())] for row in fast]
    for route, label in zip(routes, called, strict=True):
        assert (route == ROUTE_LOOKALIKE) == (label == "propaganda")
    model.cascade_threshold, saved = 0.0, model.cascade_threshold
    try:  # 0 turns the embedding stage off, for this route too
        assert model.cascade_routes(fast, texts, lexicon) == [None, None]
    finally:
        model.cascade_threshold = saved
