"""Normalisation folds every disguise to one form, and maps back to the original text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaheen.detect.normalise import folds_one_for_one, normalise, normalise_with_offsets


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


def _reference(text: str) -> str:
    """`normalise` the plain way, as it was written before it was made fast: the dict
    table on every character, and the test for leetspeak as a two-way alternation."""
    from shaheen.detect import normalise as module

    folded = text.translate(module._table())
    if re.search(r"[^\W\d_][013457@$]|[013457@$][^\W\d_]", folded):
        folded = module._LEET_WORD.sub(lambda m: module._leet_fold(m.group(0)), folded)
    if module._MAY_SEPARATE.search(folded):
        folded, _ = module._delete(
            module._SEPARATED,
            lambda m: [i for i, ch in enumerate(m.group(0)) if module._SEPARATOR.match(ch)],
            folded,
            None,
        )
    if module._MAY_STRETCH.search(folded):
        folded, _ = module._delete(
            module._STRETCHED, lambda m: list(range(2, len(m.group(0)))), folded, None
        )
    return folded


@pytest.mark.parametrize(
    "text",
    [
        "Join the T.T.P now, brothers!!! zindabaaad",
        "t3hr33k-e-taliban 0300 1234567 covid19 @qafla_media a21",
        "تحریـــک طالبان پاکستان ٹی ٹی پی \u200cزندہ باد",
        "\U0001d413\U0001d413\U0001d40f and Тehreek in one post \U000e0041",
        "Café ﬁle ۱۲۳ \ud800 x",
        "",
        # each separator and stand-in on the ASCII byte route
        *("a b c", "a.b.c", "a-b-c", "a_b_c", "a*b*c", "a/b/c", "a|b|c", "a,b,c"),
        *(f"x{c}y" for c in "0123456789@$"),
        *(f"{c}x {c}" for c in "0123456789@$"),
    ],
)
def test_the_fast_routes_give_the_reference_form(text: str) -> None:
    assert normalise(text) == _reference(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8")
        | st.sampled_from([*"T.-_ 0134@$ـيكہ", "\U0001d413", "\u200b", "\ud800"])
    )
)
def test_fast_routes_agree_with_the_reference_on_any_text(text: str) -> None:
    assert normalise(text) == _reference(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8")
        | st.sampled_from([*"T.-_ aaa0134@$ـيكہ", "ﬁ", "\u064e", "\u200b"])
    )
)
def test_one_for_one_texts_keep_their_offsets(text: str) -> None:
    """What lets the lexicon skip `normalise_with_offsets`: a text whose characters
    each fold to one, normalised to its own length, maps index to index."""
    folded, offsets = normalise_with_offsets(text)
    if folds_one_for_one(text) and len(folded) == len(text):
        assert offsets == list(range(len(text)))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"Tt.-_ *|/aAbB0134@$29\n"])))
def test_ascii_routes_agree_with_the_reference(text: str) -> None:
    """ASCII text takes the byte tests; they must skip exactly what the patterns skip."""
    assert normalise(text) == _reference(text)
