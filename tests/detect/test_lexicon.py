"""The lexicon finds disguised names on word boundaries, in both scripts, with spans."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaheen.detect.lexicon import Lexicon, Term, organisation_scores
from shaheen.detect.service import bundled_lexicon
from shaheen.knowledge.enums import TermKind

LEXICON = Lexicon(
    [
        Term("ttp", TermKind.NAME, "Tehreek-e-Taliban Pakistan", 1.0),
        Term("ttp", TermKind.NAME, "تحریک طالبان پاکستان", 1.0),
        Term("ttp", TermKind.ACRONYM, "TTP", 0.6),
        Term("ttp", TermKind.MEDIA_WING, "Umar Media", 0.9),
        Term("ttp", TermKind.HANDLE, "@qafla_media_demo", 1.0),
        Term("bla", TermKind.ACRONYM, "BLA", 0.6),
        Term("let", TermKind.ACRONYM, "LeT", 0.6),
        Term("bla", TermKind.DOMAIN, "hakkal-demo.invalid", 1.0),
    ],
    version="test",
)


def _found(text: str) -> list[tuple[str, str, str]]:
    return [(h.term.organisation, h.term.kind.value, h.matched) for h in LEXICON.scan(text)]


def test_a_disguised_acronym_is_found_with_its_original_span() -> None:
    text = "Long live the T.T.P brothers"
    (hit,) = LEXICON.scan(text)
    assert (hit.term.value, hit.matched) == ("TTP", "T.T.P")
    assert text[hit.start : hit.end] == "T.T.P"


def test_acronyms_count_only_in_capitals() -> None:
    assert _found("let us go to the bla bla party") == []
    assert _found("LeT and BLA were named") == [
        ("let", "acronym", "LeT"),
        ("bla", "acronym", "BLA"),
    ]


def test_word_boundaries_in_latin_and_arabic_script() -> None:
    assert _found("BLAME the weather") == []
    assert _found("Umar Mediaworks is a shop") == []
    assert _found("تحریک طالبان پاکستانی") == []  # a longer word is another word
    assert [f[0] for f in _found("تحریک طالبان پاکستان کا بیان")] == ["ttp"]


def test_disguises_of_a_name_in_urdu_script() -> None:
    disguised = "تحـــریک طال\u200cبان پاکستان"  # tatweel and a zero-width non-joiner
    assert [f[0] for f in _found(disguised)] == ["ttp"]


def test_handles_and_domains_are_whole_identifiers() -> None:
    assert _found("follow @qafla_media_demo now")[0][1] == "handle"
    assert _found("follow @qafla_media_demo_2") == []
    assert _found("see hakkal-demo.invalid/video")[0][1] == "domain"
    assert _found("see hakkal-demo.invalid.example.com") == []


def test_scores_are_a_noisy_or_of_distinct_terms() -> None:
    hits = LEXICON.scan("TTP, TTP and Umar Media")
    assert organisation_scores(hits) == {"ttp": pytest.approx(1 - 0.4 * 0.1)}


def test_the_shipped_knowledge_base_builds_one_automaton() -> None:
    lexicon = bundled_lexicon()
    assert lexicon.size > 150
    found = {h.term.organisation for h in lexicon.scan("بلوچستان لبریشن آرمی اور ISKP")}
    assert found == {"bla", "iskp"}


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_arbitrary_text_never_breaks_the_scan(text: str) -> None:
    for hit in LEXICON.scan(text):
        assert 0 <= hit.start < hit.end <= len(text)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        # ASCII with nothing deleted: the spans come without the offsets pass
        ("Join Tehreek-e-Taliban Pakistan now", [(5, 22), (5, 31)]),
        ("Join the T.T.P in Waziristan now", [(9, 14)]),  # separators deleted
        ("Joiin TTP waziristaaan Tehreek-e-Taliban", [(6, 9), (23, 40)]),  # letters deleted
        ("Join تحریک طالبان پاکستان now", [(5, 17), (5, 25)]),  # not ASCII, one for one
        ("Join تحریـــک طالبان پاکستان now", [(5, 20), (5, 28)]),  # tatweel deleted
    ],
)
def test_spans_point_at_the_original_text(
    lexicon: Lexicon, text: str, spans: list[tuple[int, int]]
) -> None:
    hits = lexicon.scan(text)
    assert sorted({(hit.start, hit.end) for hit in hits}) == spans
    assert all(hit.matched == text[hit.start : hit.end] for hit in hits)
