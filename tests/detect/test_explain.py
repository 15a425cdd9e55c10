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
    texts = [
        "TTP ke sath shamil ho jao, jannat tumhari muntazir hai",
        "TTP patients need plasma",
        "join the TTP, brothers",
        "Join Tehreek-e-Taliban Pakistan, brothers",  # a name: not this route
    ]
    fast = model.fast_probabilities([mask(t, lexicon) for t in texts])
    propaganda = model.labels.index("propaganda")
    model.cascade_lookalike_ceiling, saved_ceiling = 1.01, model.cascade_lookalike_ceiling
    try:  # without a ceiling: every propaganda call resting on a bare TTP goes
        routes = model.cascade_routes(fast, texts, lexicon)
    finally:
        model.cascade_lookalike_ceiling = saved_ceiling
    for route, row, text in zip(routes[:3], fast[:3], texts[:3], strict=True):
        assert (route == ROUTE_LOOKALIKE) == (int(row.argmax()) == propaganda), text
    assert ROUTE_LOOKALIKE in routes
    assert routes[3] != ROUTE_LOOKALIKE
    # with the ceiling, only calls the fast stage is unsure of
    for route, row in zip(model.cascade_routes(fast, texts, lexicon), fast, strict=True):
        if route == ROUTE_LOOKALIKE:
            assert row[propaganda] < model.cascade_lookalike_ceiling
    model.cascade_threshold, saved = 0.0, model.cascade_threshold
    try:  # 0 turns the embedding stage off, for this route too
        assert model.cascade_routes(fast, texts, lexicon) == [None] * 4
    finally:
        model.cascade_threshold = saved
