"""The classifier: clear errors on bad training data, stable saving, and the held-out goals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shaheen.detect.classifier import (
    Example,
    TextClassifier,
    TrainingDataError,
    file_sha256,
    mask,
    read_examples,
)
from shaheen.detect.evaluate import evaluate
from shaheen.detect.lexicon import Lexicon

HELDOUT = Path(__file__).parents[1] / "data" / "detect" / "heldout.csv"


def test_masking_hides_which_organisation_and_contact(lexicon: Lexicon) -> None:
    masked = mask(
        "Join the Tehrik-i-Taliban caravan, call 0300-1234567 or see https://t.me/x", lexicon
    )
    assert masked == "join the  qqname  caravan, call  qqphone  or see  qqurl "


def test_an_ambiguous_acronym_without_support_is_not_masked(lexicon: Lexicon) -> None:
    assert mask("TTP patients need plasma", lexicon) == "ttp patients need plasma"
    assert mask("TTP fighters in Waziristan", lexicon) == " qqname  fighters in waziristan"


def test_the_bootstrap_model_meets_the_goals_on_the_held_out_set(
    model: TextClassifier, lexicon: Lexicon
) -> None:
    examples = read_examples(HELDOUT)
    probabilities = model.probabilities([e.text for e in examples], lexicon)
    predicted = [model.labels[int(row.argmax())] for row in probabilities]
    report = evaluate(examples, predicted, model.info.version)
    propaganda = report["labels"]["propaganda"]
    assert propaganda["precision"] >= 0.9
    assert propaganda["recall"] >= 0.85
    news_flagged = report["confusion"]["news_or_counter"]["propaganda"]
    assert news_flagged <= 1, "news reporting about the groups must not be flagged"


def test_probabilities_are_calibrated_and_complete(model: TextClassifier, lexicon: Lexicon) -> None:
    rows = model.probabilities(["Join the ranks of the TTP today", "aaj mausam acha hai"], lexicon)
    assert rows.shape == (2, 3)
    assert np.allclose(rows.sum(axis=1), 1.0)
    assert rows[0][model.labels.index("propaganda")] > 0.5
    assert rows[1][model.labels.index("other")] > 0.5


def test_a_saved_model_loads_with_the_same_answers(
    model: TextClassifier, lexicon: Lexicon, tmp_path: Path
) -> None:
    saved = model.save(tmp_path)
    assert TextClassifier.active_path(tmp_path) == saved
    loaded = TextClassifier.load_verified(saved, file_sha256(saved))
    assert loaded.info.version == model.info.version
    texts = ["BLA zindabad", "Police arrested two BLA suspects"]
    assert np.allclose(loaded.probabilities(texts, lexicon), model.probabilities(texts, lexicon))


def test_unknown_labels_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhello,other\nbye,spam\n")
    with pytest.raises(TrainingDataError, match="line 3: unknown label 'spam'"):
        read_examples(path)


def test_missing_columns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("message,category\nhello,other\n")
    with pytest.raises(TrainingDataError, match="needs the columns text,label"):
        read_examples(path)


def test_too_few_examples_per_label_are_refused(lexicon: Lexicon) -> None:
    examples = [Example("hello there", "other")] * 50 + [Example("join TTP", "propaganda")] * 3
    with pytest.raises(TrainingDataError, match="too few examples of propaganda, news_or_counter"):
        TextClassifier.train(examples, lexicon, source="tiny.csv")


SAMPLE_TEXTS = [
    "Join Tehreek-e-Taliban Pakistan, the caravan needs you",
    "Police said the TTP attack was condemned by every party",
    "aaj mausam acha hai",
    "بلوچستان لبریشن آرمی کے ساتھ شامل ہو جاؤ",
    "",
]


def test_fused_calibration_equals_scikit_learn(model: TextClassifier, lexicon: Lexicon) -> None:
    texts = [mask(t, lexicon) for t in SAMPLE_TEXTS]
    ours = model.fast_probabilities(texts)
    theirs = model.pipeline.predict_proba(texts)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
