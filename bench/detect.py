"""Text detection throughput on one core, against a regex baseline measured in the same run.

    python bench/detect.py [--posts 20000]

Synthetic mixed-script posts of about 200 characters (English, Urdu script, Roman Urdu;
a third name an organisation, some disguised). The lexicon is the shipped knowledge base
plus invented filler terms up to at least 2,000 terms, so the scan works at the size a
unit's own list reaches. Measured, each on one core:

* lexicon scan (normalisation included) against a compiled `re` alternation of the same
  normalised terms over the same normalised text: posts/s, MB/s and the ratio;
* normalise + lexicon: posts/s (goal: at least 20,000 per core);
* the whole text path (normalise, language, lexicon, classifier, indicators): posts/s
  (goal: at least 5,000 per core), and the share of posts that would reach an embedding
  stage (none is built yet, so that share is reported as 0 with the stage absent).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time

from shaheen.detect.base import TextItem
from shaheen.detect.classifier import ClassifierDetector, TextClassifier
from shaheen.detect.enums import SubjectKind
from shaheen.detect.indicators import extract
from shaheen.detect.language import identify
from shaheen.detect.lexicon import Lexicon, LexiconDetector, Term
from shaheen.detect.normalise import normalise
from shaheen.detect.service import bundled_lexicon, seed_examples
from shaheen.knowledge.enums import TermKind

SYLLABLES = "ka ri mo ta la ze qu an hi ro sa ne bu di ya fa go ul".split()
FILLER = {
    "en": "the people of the city said that the weather market and cricket news was good".split(),
    "ur": "آج شہر کے لوگوں نے کہا کہ موسم بازار اور کرکٹ کی خبر اچھی تھی".split(),
    "roman_ur": "aaj shehar ke logon ne kaha ke mausam bazaar aur cricket ki khabar thi".split(),
}
NAMES = [
    "Tehreek-e-Taliban Pakistan",
    "T.T.P",
    "تحریک طالبان پاکستان",
    "Balochistan Liberation Army",
    "B-L-A",
    "Umar Media",
    "ISKP",
    "داعش",
]


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})


def big_lexicon(base: Lexicon, minimum: int = 2000, seed: int = 3) -> Lexicon:
    rng = random.Random(seed)
    terms = list(base.terms)
    while len(terms) < minimum:
        name = " ".join("".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(2))
        terms.append(Term("filler", TermKind.ALIAS, name, 0.5))
    return Lexicon(terms, "bench")


def posts(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        words = FILLER[rng.choice(tuple(FILLER))]
        text = " ".join(rng.choice(words) for _ in range(40))[:190]
        if i % 3 == 0:
            text = f"{text[:120]} {rng.choice(NAMES)} {text[120:]}"
        out.append(text)
    return out


def rate(label: str, count: int, seconds: float, size_mb: float | None = None) -> float:
    per_second = count / seconds
    extra = f"   {size_mb / seconds:6.1f} MB/s" if size_mb is not None else ""
    print(f"  {label:<42}{per_second:>10,.0f} posts/s{extra}")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    args = parser.parse_args()
    pin_to_one_core()
    texts = posts(args.posts)
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    shipped = bundled_lexicon()
    lexicon = big_lexicon(shipped)
    print(
        f"{len(texts):,} posts ({size_mb:.1f} MB), lexicon of {len(lexicon.terms):,} terms "
        f"({len(shipped.terms)} shipped), one core"
    )

    normalised = [normalise(t) for t in texts]
    keys = sorted({normalise(t.value) for t in lexicon.terms}, key=len, reverse=True)
    alternation = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")(?!\w)")
    started = time.perf_counter()
    regex_hits = sum(len(alternation.findall(t)) for t in normalised)
    regex_rate = rate(
        "re alternation (text already normalised)",
        len(texts),
        time.perf_counter() - started,
        size_mb,
    )
    started = time.perf_counter()
    ours_hits = sum(len(lexicon.scan(t)) for t in texts)
    ours_rate = rate(
        "Shaheen lexicon (normalise + scan)", len(texts), time.perf_counter() - started, size_mb
    )
    print(
        f"  {'ratio, Shaheen / re':<42}{ours_rate / regex_rate:>10.1f} x   "
        f"(hits: {ours_hits:,} vs {regex_hits:,})"
    )
    print(
        f"  goal normalise + lexicon >= 20,000 posts/s per core: "
        f"{'met' if ours_rate >= 20_000 else 'NOT met'}"
    )

    model = TextClassifier.train(seed_examples(), shipped, source="seed corpus")
    detectors = (LexiconDetector(shipped), ClassifierDetector(model, shipped))
    batch_size = 500
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        items = [
            TextItem(SubjectKind.POST, i, t, "text", identify(t).value) for i, t in enumerate(chunk)
        ]
        for detector in detectors:
            detector.detect(items)
        for text in chunk:
            extract(text)
    whole = rate("whole text path (no embedding stage)", len(texts), time.perf_counter() - started)
    print(f"  goal whole path >= 5,000 posts/s per core: {'met' if whole >= 5_000 else 'NOT met'}")
    print("  share reaching an embedding stage: 0% (stage not built)")


if __name__ == "__main__":
    main()
