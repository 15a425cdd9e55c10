"""Precision, recall and F1 per label, per language and per organisation, a confusion
matrix, and, where the examples say what kind of text they are, figures per kind.

Per kind (news, counter_speech, everyday, lookalike, propaganda): how many, what they
were predicted as, the share predicted propaganda (the false-alarm rate of a kind that
is not propaganda, the recall of one that is) and the share predicted as labelled.

Computed here rather than by scikit-learn's report so that every figure in the JSON has
one definition, tested in this project: precision = TP / (TP + FP), recall = TP /
(TP + FN), F1 their harmonic mean, 0 where undefined; support = examples of the label.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from shaheen.detect.classifier import Example
from shaheen.detect.enums import LABELS


def scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per label: precision, recall, f1 and support."""
    report: dict[str, dict[str, float]] = {}
    for label in LABELS:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    return report


def evaluate(
    examples: Sequence[Example], predicted: Sequence[str], model_version: str
) -> dict[str, Any]:
    """The whole report, in the shape `shaheen eval --json` prints."""
    truth = [e.label for e in examples]
    groups: dict[str, dict[str, tuple[list[str], list[str]]]] = {
        "by_language": defaultdict(lambda: ([], [])),
        "by_organisation": defaultdict(lambda: ([], [])),
    }
    for example, guess in zip(examples, predicted, strict=True):
        for name, key in (
            ("by_language", example.language),
            ("by_organisation", example.organisation),
        ):
            if key:
                groups[name][key][0].append(example.label)
                groups[name][key][1].append(guess)
    confusion = {t: dict.fromkeys(LABELS, 0) for t in LABELS}
    for t, p in zip(truth, predicted, strict=True):
        confusion[t][p] += 1
    return {
        "labels": scores(truth, predicted),
        "by_language": {k: scores(*v) for k, v in sorted(groups["by_language"].items())},
        "by_organisation": {k: scores(*v) for k, v in sorted(groups["by_organisation"].items())},
        "by_kind": by_kind(examples, predicted),
        "confusion": confusion,
        "examples": len(examples),
        "model_version": model_version,
    }


def by_kind(examples: Sequence[Example], predicted: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per kind of text: count, predictions by label, share predicted propaganda, share
    predicted as labelled, and the same per language."""
    kinds: dict[str, list[tuple[Example, str]]] = defaultdict(list)
    for example, guess in zip(examples, predicted, strict=True):
        if example.kind:
            kinds[example.kind].append((example, guess))
    return {kind: _kind_figures(pairs, per_language=True) for kind, pairs in sorted(kinds.items())}


def _kind_figures(pairs: list[tuple[Example, str]], per_language: bool) -> dict[str, Any]:
    count = len(pairs)
    predictions = dict.fromkeys(LABELS, 0)
    for _, guess in pairs:
        predictions[guess] += 1
    figures: dict[str, Any] = {
        "examples": count,
        "predicted": predictions,
        "propaganda_share": round(predictions["propaganda"] / count, 4),
        "correct_share": round(sum(e.label == g for e, g in pairs) / count, 4),
    }
    if per_language:
        languages: dict[str, list[tuple[Example, str]]] = defaultdict(list)
        for example, guess in pairs:
            languages[example.language or "unknown"].append((example, guess))
        figures["by_language"] = {
            language: _kind_figures(subset, per_language=False)
            for language, subset in sorted(languages.items())
        }
    return figures
