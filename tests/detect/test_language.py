"""Language identification for the languages of this domain."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaheen.detect import language
from shaheen.detect.language import Language, identify


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Officials said the attack was condemned by the government", Language.ENGLISH),
        ("آج موسم بہت خوشگوار ہے", Language.URDU),
        ("د کرکټ لوبه ډېره په زړه پورې وه", Language.PASHTO),
        ("هذه المدينة جميلة جدا", Language.ARABIC),
        ("aaj mausam bohat acha hai yaar", Language.ROMAN_URDU),
        ("hukumat ne hamle ki mazammat ki", Language.ROMAN_URDU),
        ("12345 !!!", Language.OTHER),
        ("", Language.OTHER),
        ("Tänään on kaunis sää ulkona", Language.OTHER),
    ],
)
def test_identify(text: str, language: Language) -> None:
    assert identify(text) is language


def _reference(text: str) -> Language:
    """`identify` counted the plain way, character by character."""
    arabic = sum(
        1
        for c in text
        if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f" or "\ufb50" <= c <= "\ufeff"
    )
    latin = sum(1 for c in text if "a" <= c <= "z" or "A" <= c <= "Z")
    if arabic == 0 and latin == 0:
        return Language.OTHER
    if arabic >= latin:
        pashto = sum(1 for c in text if c in "ټډړږښګڼېۍځڅ")
        urdu = sum(1 for c in text if c in "ٹڈڑےںھ")
        if pashto > urdu:
            return Language.PASHTO
        if urdu > 0 or not any(c in "ةيكى" for c in text):
            return Language.URDU
        return Language.ARABIC
    words = re.findall(r"[^\W\d_]+", text.casefold())
    if not words:
        return Language.OTHER
    english = sum(word in language._ENGLISH for word in words)
    roman = sum(word in language._ROMAN_URDU for word in words)
    if roman >= 1 and roman > english:
        return Language.ROMAN_URDU
    if english >= 2 or english / len(words) >= 0.25 or len(words) <= 2:
        return Language.ENGLISH
    return Language.OTHER


@pytest.mark.parametrize(
    "text",
    [
        "the attack was condemned by the people of the city",
        "aaj shehar ke logon ne kaha ke mausam acha hai",
        "آج شہر کے لوگوں نے کہا the people said",
        "د کرکټ لوبه ډېره said the city ke",
        "ݐݑ ﭖﭗ ﻙ هذه المدينة",  # the rarer Arabic-script blocks, counted the slow way
        "Tänään on kaunis sää ulkona, the",
        "\ud800 lone surrogate, the text",
        "",
    ],
)
def test_the_fast_counts_give_the_reference_answer(text: str) -> None:
    assert identify(text) is _reference(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.characters()
        | st.sampled_from(list("abcTHE ټډٹےةيك\u0750\ufb50\ufeff\u0740\ud800"))
        | st.sampled_from(["the ", "ke ", "hai ", "and ", "mein "])
    ).map("".join)
)
def test_fast_counts_agree_with_the_reference_on_any_text(text: str) -> None:
    assert identify(text) is _reference(text)


def test_emoji_are_not_arabic_script() -> None:
    assert identify("🔥🔥🔥 ok") is Language.ENGLISH
    assert identify("🔥🔥🔥 ݐ ok") is Language.ENGLISH
