"""The lexicon detector: every knowledge-base term, found in one pass over the text.

All terms (names, aliases, media wings, leaders, slogans, hashtags, domains, handles)
are normalised the same way as the text and loaded into one Aho-Corasick automaton,
so a post is scanned once whatever the size of the knowledge base. A hit counts only
on word boundaries (in Latin and Arabic script alike), so "bla" inside "blame" is not
the BLA. Acronyms must also be written in capitals in the original text (TTP, T.T.P,
LeT), since several are ordinary words in lower case ("let", "tip", "bra").

Acronyms with other common meanings (the knowledge base lists them: TTP is also a blood
disorder and the cyber-security "tactics, techniques and procedures", BLA a degree,
ISK the Icelandic krona, SSP a police rank) count as the organisation only where the
same post supports that reading: another term of the same organisation (a name, alias,
leader, media wing, slogan, hashtag, domain or known account), a place of its region,
Urdu or Pashto script, or the acronym written in disguise (T.T.P, 𝐓𝐓𝐏). Without
support the acronym is plain text: not a hit, not masked by the classifier
(`Reading.unsupported` keeps it, for the cascade and for `shaheen explain`). A hashtag
that is only such an acronym (#TTP) follows the same rule.

Names are matched in their systematic spelling variants too (`variants.py`): the
knowledge base writes a name once, the automaton holds its transliterations.

Scoring per organisation is a noisy-OR of the weights of its distinct terms found: one
strong name says a lot, several weak hints add up, nothing exceeds 1. A lexicon hit
names an organisation; it does not say the post supports it: news and condemnation
name the same groups, which is the classifier's job to tell apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from types import MappingProxyType

import ahocorasick

from shaheen.detect.base import Finding, TextDetector, TextItem
from shaheen.detect.normalise import folds_one_for_one, normalise, normalise_with_offsets
from shaheen.detect.variants import variants
from shaheen.knowledge.enums import TermKind

LABEL = "names_organisation"
_RECENT_LIMIT = 4096
_IDENTIFIER_KINDS = (TermKind.HANDLE, TermKind.HASHTAG, TermKind.DOMAIN)
#: Kinds written in transliterated words, whose spelling variants are matched too.
_VARIANT_KINDS = (
    TermKind.NAME,
    TermKind.ALIAS,
    TermKind.MEDIA_WING,
    TermKind.LEADER,
    TermKind.SLOGAN,
)
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u0671-\u06d3\u06fa-\u06ff]")
# Parts of a region too broad to support an ambiguous acronym: nearly every post from
# the region names its country, medical and cricket news included.
_BROAD_PLACES = frozenset(
    {
        "pakistan",
        "afghanistan",
        "india",
        "iran",
        "china",
        "global",
        "south asia",
        "central asia",
        "middle east",
        "worldwide",
    }
)
_REGION_WORDS = re.compile(r"\b(?:border|borders|province|districts?|division|region)\b")


@dataclass(frozen=True, slots=True)
class Term:
    """A knowledge-base term as the detector uses it."""

    organisation: str
    kind: TermKind
    value: str
    weight: float
    #: Other common meanings of an acronym: then it counts only with support in the post.
    other_meanings: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return bool(self.other_meanings)


@dataclass(frozen=True, slots=True)
class Hit:
    """A term found in a text, with its span in the original text."""

    term: Term
    start: int
    end: int
    matched: str


_NO_SUPPORT: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Reading:
    """What a text names: the hits that count, and the ambiguous acronyms that do not
    (no support in the text), with why each ambiguous one that counts does."""

    hits: list[Hit]
    unsupported: tuple[Hit, ...]
    support: Mapping[str, str]  # organisation -> why
    #: The text normalised, as scanned (masking reuses it where nothing is replaced).
    normalised: str = ""


class Lexicon:
    """The automaton over all terms of the knowledge base."""

    def __init__(
        self, terms: Iterable[Term], version: str, regions: Mapping[str, str] | None = None
    ) -> None:
        self.version = version
        self.terms = _ambiguous_hashtags(list(terms))
        self.regions = dict(regions or {})
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[Term]] = {}
        exact: set[tuple[str, Term]] = set()
        for term in self.terms:
            key = normalise(term.value).strip()
            if len(key) < 2:
                continue
            exact.add((key, term))
            for spelling in variants(key) if term.kind in _VARIANT_KINDS else (key,):
                by_key.setdefault(spelling, []).append(term)
        for key, grouped in by_key.items():
            # Several spellings of one organisation's names meet on some keys
            # ("Tehreek-i-Taliban Pakistan"): one hit per organisation, the term written
            # so if there is one, else the weightiest.
            best: dict[str, Term] = {}
            for term in grouped:
                held = best.get(term.organisation)
                rank = ((key, term) in exact, term.weight)
                if held is None or rank > ((key, held) in exact, held.weight):
                    best[term.organisation] = term
            grouped[:] = list(best.values())
            self._automaton.add_word(key, (key, tuple(grouped)))
        self.size = len(by_key)
        if by_key:
            self._automaton.make_automaton()
        # The lexicon detector and the classifier's masking scan the same texts one after
        # the other; remembering the last batch's results halves the work.
        self._recent: dict[str, Reading] = {}

    @cached_property
    def _places(self) -> dict[str, re.Pattern[str]]:
        """Per organisation, its region's places as one word-bounded pattern."""
        patterns = {}
        for organisation, region in self.regions.items():
            places = support_places(region)
            if places:
                alternation = "|".join(re.escape(p) for p in sorted(places, key=len, reverse=True))
                patterns[organisation] = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")
        return patterns

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
        """Every term in `text` that counts, with original spans; empty when none does."""
        return list(self.read(text).hits)

    def read(self, text: str) -> Reading:
        """The terms in `text` that count, and the ambiguous acronyms that do not."""
        if self.size == 0 or not text:
            return _NOTHING
        cached = self._recent.get(text)
        if cached is not None:
            return cached
        reading = self._read(text)
        if len(self._recent) >= _RECENT_LIMIT:
            self._recent.clear()
        self._recent[text] = reading
        return reading

    def _read(self, text: str) -> Reading:
        normalised = normalise(text)
        hits = self._scan(text, normalised)
        if not hits or not any(hit.term.ambiguous for hit in hits):
            return Reading(hits, (), _NO_SUPPORT, normalised)
        firm = {hit.term.organisation for hit in hits if not hit.term.ambiguous}
        arabic = _ARABIC_LETTER.search(text) is not None
        counted: list[Hit] = []
        unsupported: list[Hit] = []
        support: dict[str, str] = {}
        for hit in hits:
            organisation = hit.term.organisation
            if not hit.term.ambiguous:
                counted.append(hit)
                continue
            why = support.get(organisation)
            if why is None:
                places = self._places.get(organisation)
                place = places.search(normalised) if places is not None else None
                if organisation in firm:
                    why = "another term of the organisation in the post"
                elif hit.matched != hit.term.value:
                    # nobody writes a blood disorder as T.T.P: spelling an acronym apart
                    # or in look-alike letters is how names are hidden from moderation
                    why = f"written in disguise ({hit.matched})"
                elif place is not None:
                    why = f"a place of its region in the post ({place.group(0)})"
                elif arabic:
                    why = "Urdu or Pashto script in the post"
            if why is None:
                unsupported.append(hit)
            else:
                support[organisation] = why
                counted.append(hit)
        return Reading(counted, tuple(unsupported), support, normalised)

    def _scan(self, text: str, normalised: str) -> list[Hit]:
        candidates = [
            (end - len(key) + 1, end + 1, terms)
            for end, (key, terms) in self._automaton.iter(normalised)
            if _bounded(normalised, end - len(key) + 1, end + 1, terms[0].kind)
        ]
        if not candidates:
            return []
        offsets: Sequence[int]
        if len(normalised) == len(text) and folds_one_for_one(text):
            # the later stages only delete: with nothing deleted, every character is
            # where it was (no second, slower pass)
            offsets = range(len(text))
        else:
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


_NOTHING = Reading([], (), _NO_SUPPORT)


def _ambiguous_hashtags(terms: list[Term]) -> list[Term]:
    """A hashtag that is only an ambiguous acronym (#TTP) is as ambiguous as it is."""
    meanings = {
        (t.organisation, normalise(t.value)): t.other_meanings for t in terms if t.ambiguous
    }
    if not meanings:
        return terms
    out = []
    for term in terms:
        if term.kind is TermKind.HASHTAG and not term.ambiguous:
            body = normalise(term.value).lstrip("#")
            other = meanings.get((term.organisation, body))
            if other:
                term = replace(term, other_meanings=other)
        out.append(term)
    return out


def support_places(region: str) -> set[str]:
    """The places of an organisation's region that support an ambiguous acronym:
    "Khyber Pakhtunkhwa, Waziristan, Pakistan–Afghanistan border" gives khyber
    pakhtunkhwa, waziristan and pakistan–afghanistan; a country alone gives nothing."""
    places = set()
    for part in re.split(r"[,;:()/]|\band\b", normalise(region)):
        place = " ".join(_REGION_WORDS.sub(" ", part).split())
        if len(place) >= 4 and place not in _BROAD_PLACES:
            places.add(place)
    return places


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
