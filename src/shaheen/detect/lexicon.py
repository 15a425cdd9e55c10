"""The lexicon detector: every knowledge-base term, found in one pass over the text.

All terms (names, aliases, media wings, leaders, slogans, hashtags, domains, handles)
are normalised the same way as the text and loaded into one Aho-Corasick automaton,
so a post is scanned once whatever the size of the knowledge base. A hit counts only
on word boundaries (in Latin and Arabic script alike), so "bla" inside "blame" is not
the BLA. Acronyms must also be written in capitals in the original text (TTP, T.T.P,
LeT), since several are ordinary words in lower case ("let", "tip", "bra").

Scoring per organisation is a noisy-OR of the weights of its distinct terms found: one
strong name says a lot, several weak hints add up, nothing exceeds 1. A lexicon hit
names an organisation; it does not say the post supports it: news and condemnation
name the same groups, which is the classifier's job to tell apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import ahocorasick

from shaheen.detect.base import Finding, TextDetector, TextItem
from shaheen.detect.normalise import normalise, normalise_with_offsets
from shaheen.knowledge.enums import TermKind

LABEL = "names_organisation"
_RECENT_LIMIT = 4096
_IDENTIFIER_KINDS = (TermKind.HANDLE, TermKind.HASHTAG, TermKind.DOMAIN)


@dataclass(frozen=True, slots=True)
class Term:
    """A knowledge-base term as the detector uses it."""

    organisation: str
    kind: TermKind
    value: str
    weight: float


@dataclass(frozen=True, slots=True)
class Hit:
    """A term found in a text, with its span in the original text."""

    term: Term
    start: int
    end: int
    matched: str


class Lexicon:
    """The automaton over all terms of the knowledge base."""

    def __init__(self, terms: Iterable[Term], version: str) -> None:
        self.version = version
        self.terms = list(terms)
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[Term]] = {}
        for term in self.terms:
            key = normalise(term.value).strip()
            if len(key) >= 2:
                by_key.setdefault(key, []).append(term)
        for key, grouped in by_key.items():
            self._automaton.add_word(key, (key, tuple(grouped)))
        self.size = len(by_key)
        if by_key:
            self._automaton.make_automaton()
        # The lexicon detector and the classifier's masking scan the same texts one after
        # the other; remembering the last batch's results halves the work.
        self._recent: dict[str, list[Hit]] = {}

    @cached_property
    def _acronym_patterns(self) -> dict[str, re.Pattern[str]]:
        patterns: dict[str, re.Pattern[str]] = {}
        for term in self.terms:
            if term.kind is TermKind.ACRONYM:
                letters = [re.escape(ch) for ch in term.value if ch.isalnum()]
                body = r"[\s.\-_*·/|]*".join(letters)
                patterns[term.value] = re.compile(rf"(?<![^\W_]){body}(?![^\W_])")
        return patterns

    def scan(self, text: str) -> list[Hit]:
        """Every term in `text`, with original spans; empty when nothing matches."""
        if self.size == 0 or not text:
            return []
        cached = self._recent.get(text)
        if cached is not None:
            return list(cached)
        hits = self._scan(text)
        if len(self._recent) >= _RECENT_LIMIT:
            self._recent.clear()
        self._recent[text] = hits
        return list(hits)

    def _scan(self, text: str) -> list[Hit]:
        normalised = normalise(text)
        candidates = [
            (end - len(key) + 1, end + 1, terms)
            for end, (key, terms) in self._automaton.iter(normalised)
            if _bounded(normalised, end - len(key) + 1, end + 1, terms[0].kind)
        ]
        if not candidates:
            return []
        _, offsets = normalise_with_offsets(text)
        hits: list[Hit] = []
        for start, end, terms in candidates:
            first, last = offsets[start], offsets[end - 1] + 1
            matched = text[first:last]
            for term in terms:
                if term.kind is TermKind.ACRONYM and not self._acronym_patterns[term.value].search(
                    matched
                ):
                    continue
                hits.append(Hit(term, first, last, matched))
        return hits


def _bounded(text: str, start: int, end: int, kind: TermKind) -> bool:
    """True if text[start:end] is a whole word (or a whole identifier)."""
    joiners = "_" if kind not in _IDENTIFIER_KINDS else "_-."
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isalnum() or before in joiners:
        return False
    if kind is TermKind.DOMAIN and after == "." and end + 1 < len(text):
        return not text[end + 1].isalnum()
    return not (after.isalnum() or after in joiners.replace(".", ""))


def organisation_scores(hits: Sequence[Hit]) -> dict[str, float]:
    """Per organisation, the noisy-OR of the weights of its distinct terms found."""
    distinct: dict[str, dict[tuple[TermKind, str], float]] = {}
    for hit in hits:
        distinct.setdefault(hit.term.organisation, {})[(hit.term.kind, hit.term.value)] = (
            hit.term.weight
        )
    scores: dict[str, float] = {}
    for organisation, weights in distinct.items():
        miss = 1.0
        for weight in weights.values():
            miss *= 1.0 - weight
        scores[organisation] = round(1.0 - miss, 4)
    return scores


class LexiconDetector(TextDetector):
    """Knowledge-base terms in posts, bios and display names."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.version = f"kb-{lexicon.version}"  # type: ignore[misc]

    def detect(self, batch: Sequence[TextItem]) -> list[Finding]:
        findings: list[Finding] = []
        for item in batch:
            hits = self.lexicon.scan(item.text)
            if not hits:
                continue
            for organisation, score in organisation_scores(hits).items():
                evidence = [
                    {
                        "term": h.term.value,
                        "kind": h.term.kind.value,
                        "weight": h.term.weight,
                        "matched": h.matched,
                        "start": h.start,
                        "end": h.end,
                        "field": item.field,
                    }
                    for h in hits
                    if h.term.organisation == organisation
                ]
                findings.append(
                    Finding(
                        detector=self.get_name(),
                        version=self.version,
                        subject=item.subject,
                        key=item.key,
                        label=LABEL,
                        score=score,
                        organisation=organisation,
                        evidence={"hits": evidence, "field": item.field},
                    )
                )
        return findings
