"""Normalisation folds every disguise to one form, and maps back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaheen.detect.normalise import normalise, normalise_with_offsets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tehreek", "tehreek"),  # case folded
        ("تحريك", "تحریک"),  # Arabic yeh and kaf become Urdu forms
        ("الله", "اللہ"),  # Arabic heh becomes heh goal
        ("تحریـــک", "تحریک"),  # tatweel removed
        ("تَحْرِیک", "تحریک"),  # diacritics removed
        ("تح\u200cریک", "تحریک"),  # zero-width non-joiner removed
        ("T\u200bT\u200bP", "ttp"),  # zero-width space inside an acronym
        ("\u202eBLA\u202c", "bla"),  # bidi override removed
        ("Тehreek", "tehreek"),  # Cyrillic Т
        ("t3hr33k", "tehreek"),  # leetspeak inside a word
        ("T.T.P", "ttp"),
        ("t t p", "ttp"),
        ("B-L-A", "bla"),
        ("b_l_f", "blf"),
        ("zindabaaaaad", "zindabaad"),  # stretched letters kept at two
        ("Café", "cafe"),  # Latin accents folded
        ("۱۲۳ ١٢٣", "123 123"),  # Urdu and Arabic-Indic digits
        ("ﬁle", "file"),  # compatibility ligature
        ("\U0001d413\U0001d413\U0001d40f\U000e0041", "ttp"),  # math bold, tag char
    ],
)
def test_each_disguise_folds(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 0300-1234567", "call 0300-1234567"),  # digits alone are not leetspeak
        ("@qafla_media_demo", "@qafla_media_demo"),  # a handle's @ stays
        ("Tehreek e Taliban", "tehreek e taliban"),  # one single letter is not an acronym
        ("Plan A or B", "plan a or b"),  # nor are two
        ("covid19 mp4", "covidi9 mpa"),  # letters and digits mixed do fold, both sides alike
    ],
)
def test_ordinary_text_keeps_its_shape(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_offsets_point_at_the_original_characters() -> None:
    text = "Join the T.T.P now"
    folded, offsets = normalise_with_offsets(text)
    assert folded == "join the ttp now"
    start = folded.index("ttp")
    assert text[offsets[start] : offsets[start + 2] + 1] == "T.T.P"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_both_paths_agree_on_any_text(text: str) -> None:
    folded, offsets = normalise_with_offsets(text)
    assert folded == normalise(text)
    assert len(offsets) == len(folded)
    assert offsets == sorted(offsets)
    assert all(0 <= o < len(text) for o in offsets)


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8")
        | st.sampled_from(
            ["\u200b", "\u202e", "\u0640", "\ud800", "\u064e", "ي", "ك", "ه", "T", ".", " "]
        )
    )
)
def test_hostile_text_never_breaks_it(text: str) -> None:
    assert isinstance(normalise(text), str)


def test_empty_and_huge_posts() -> None:
    assert normalise("") == ""
    huge = "تحریک طالبان " * 80_000  # about a megabyte
    assert normalise(huge).count("تحریک") == 80_000
