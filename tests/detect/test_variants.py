"""Spelling variants: each name is matched in its common transliterations, in every script."""

from __future__ import annotations

import pytest

from shaheen.detect.lexicon import Lexicon
from shaheen.detect.normalise import normalise
from shaheen.detect.variants import variants


@pytest.mark.parametrize(
    ("text", "organisation"),
    [
        # Latin script, English and Roman Urdu: e/i/ee, hyphens, spaces, joined izafat
        ("Tehreek-i-Taliban Pakistan", "ttp"),
        ("Tehrik i Taliban Pakistan", "ttp"),
        ("Tahreek-ee-Taliban Pakistan", "ttp"),
        ("Jaish-e-Mohammed", "jem"),
        ("Jaish e Muhammad", "jem"),
        ("Jaishe Mohammad", "jem"),
        ("Lashkr-e-Tayyiba", "let"),
        ("Lashkar i Toiba", "let"),
        ("Jamaatul Ahrar", "jamaat-ul-ahrar"),
        ("Jamat-ul-Ahrar", "jamaat-ul-ahrar"),
        ("Hizb-ul-Ahraar", "hizbul-ahrar"),
        ("Al Qaida", "al-qaeda"),
        ("Lashkar e Jhangvi", "lej"),
        ("Tehrik-e-Nifaz-e-Shariat-e-Mohammadi", "tnsm"),
        ("Baluch Liberation Army", "bla"),
        ("Islamic State Khurasan", "iskp"),
        ("Nur Wali Mehsud", "ttp"),
        # Urdu script: final teh / teh marbuta / heh, Arabic letter forms, aspirate heh
        ("جماعة الدعوة", "jud"),
        ("جماعۃ الدعوہ", "jud"),
        ("لشکر جہنگوی", "lej"),
        ("تحريك طالبان پاكستان", "ttp"),
        # Pashto script: ټ for ٹ, ې at a word's end
        ("ټي ټي پي زنده باد", "ttp"),
        ("د ټي ټي پي غړي", "ttp"),
    ],
)
def test_a_common_spelling_names_its_organisation(
    lexicon: Lexicon, text: str, organisation: str
) -> None:
    assert organisation in {hit.term.organisation for hit in lexicon.scan(text)}


def test_one_hit_per_organisation_where_spellings_meet(lexicon: Lexicon) -> None:
    hits = lexicon.scan("Tehreek-i-Taliban Pakistan")
    full = [h for h in hits if h.matched == "Tehreek-i-Taliban Pakistan"]
    assert len(full) == 1


def test_variants_stay_few_and_keep_the_name() -> None:
    for name in ("Tehreek-e-Nafaz-e-Shariat-e-Mohammadi", "تحریک طالبان پاکستان", "Al-Qaeda"):
        key = normalise(name)
        found = variants(key)
        assert key in found
        assert len(found) <= 250


def test_variants_do_not_reach_ordinary_words(lexicon: Lexicon) -> None:
    for text in (
        "the jamaat of the mosque met after prayers",
        "lashkar is an old word for an army",
        "Mohammad Ali scored a century",
        "the taliban government in Kabul",
    ):
        assert lexicon.scan(text) == [], text
