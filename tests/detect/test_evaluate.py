"""The evaluation figures, computed by hand on a small case."""

from __future__ import annotations

from shaheen.detect.classifier import Example
from shaheen.detect.evaluate import evaluate


def test_figures_by_hand() -> None:
    examples = [
        Example("a", "propaganda", "en", "ttp"),
        Example("b", "propaganda", "ur", "ttp"),
        Example("c", "news_or_counter", "en", "ttp"),
        Example("d", "other", "en", None),
    ]
    predicted = ["propaganda", "news_or_counter", "propaganda", "other"]
    report = evaluate(examples, predicted, "v1")
    assert report["labels"]["propaganda"] == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "support": 2,
    }
    assert report["labels"]["news_or_counter"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 1,
    }
    assert report["labels"]["other"]["f1"] == 1.0
    assert report["by_language"]["ur"]["propaganda"]["recall"] == 0.0
    assert report["by_language"]["en"]["propaganda"]["precision"] == 0.5
    assert report["by_organisation"]["ttp"]["propaganda"]["support"] == 2
    assert report["confusion"]["news_or_counter"]["propaganda"] == 1
    assert report["model_version"] == "v1" and report["examples"] == 4


def test_figures_by_kind() -> None:
    examples = [
        Example("a", "news_or_counter", "en", "ttp", "news"),
        Example("b", "news_or_counter", "ur", "bla", "news"),
        Example("c", "other", "en", None, "lookalike"),
        Example("d", "propaganda", "en", "ttp", "propaganda"),
        Example("e", "other", "en", None),  # no kind: left out of by_kind
    ]
    predicted = ["propaganda", "news_or_counter", "other", "propaganda", "other"]
    kinds = evaluate(examples, predicted, "v1")["by_kind"]
    assert set(kinds) == {"news", "lookalike", "propaganda"}
    assert kinds["news"]["examples"] == 2
    assert kinds["news"]["predicted"] == {"propaganda": 1, "news_or_counter": 1, "other": 0}
    assert kinds["news"]["propaganda_share"] == 0.5
    assert kinds["news"]["correct_share"] == 0.5
    assert kinds["news"]["by_language"]["ur"]["propaganda_share"] == 0.0
    assert kinds["lookalike"]["propaganda_share"] == 0.0
    assert kinds["propaganda"]["propaganda_share"] == 1.0
