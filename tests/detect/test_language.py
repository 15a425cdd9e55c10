"""Language identification for the languages of this domain."""

from __future__ import annotations

import pytest

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
