"""Ambiguous acronyms: TTP the blood disorder is not the TTP, unless the post says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from shaheen.detect.classifier import mask
from shaheen.detect.lexicon import Lexicon, support_places
from shaheen.detect.service import bundled_lexicon, load_lexicon
from shaheen.errors import KnowledgeBaseError
from shaheen.knowledge import service as knowledge


def _named(lexicon: Lexicon, text: str) -> set[str]:
    return {hit.term.organisation for hit in lexicon.scan(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Patients with TTP need plasma exchange within hours, the haematologist said",
        "Our threat report maps the TTP of three ransomware crews to MITRE ATT&CK",
        "Registration for BLF 2025 is open: four days of book launches and poetry",
        "She finished her BLA at the art school and now designs gardens",
        "The hotel in Reykjavik cost ISK 42,000 a night",
        "SSP Saddar said the two suspects were arrested with stolen phones",
        "BRA 2-1 ARG: a late header settles the friendly",
        "TIP: soak the rice for twenty minutes before cooking",
        "Calibrate the IMU before the drone's first flight",
        "#TTP awareness day: know the signs of the blood disorder",
    ],
)
def test_an_ambiguous_acronym_alone_is_plain_text(lexicon: Lexicon, text: str) -> None:
    reading = lexicon.read(text)
    assert reading.hits == []
    assert reading.unsupported, "the acronym is kept aside, for the cascade and explain"
    assert "qqname" not in mask(text, lexicon)


@pytest.mark.parametrize(
    ("text", "organisation", "why"),
    [
        ("TTP and Tehreek-e-Taliban Pakistan are one and the same", "ttp", "another term"),
        ("TTP fighters crossed into North Waziristan", "ttp", "region"),
        ("BLA claims another attack in Balochistan", "bla", "region"),
        ("Hakkal released the BLA statement tonight", "bla", "another term"),
        ("کوئٹہ میں BLA کے حملے کی مذمت", "bla", "script"),
        ("ISK and the Voice of Khurasan magazine", "iskp", "another term"),
        ("TTP zindabad", "ttp", "another term"),
        ("follow #TehreekETaliban for TTP news", "ttp", "another term"),
        ("Long live the T.T.P", "ttp", "disguise"),
        ("B-L-A will return", "bla", "disguise"),
    ],
)
def test_support_in_the_same_post_makes_it_the_organisation(
    lexicon: Lexicon, text: str, organisation: str, why: str
) -> None:
    reading = lexicon.read(text)
    assert organisation in {hit.term.organisation for hit in reading.hits}
    assert reading.unsupported == ()
    assert why in reading.support[organisation]
    assert "qqname" in mask(text, lexicon) or "qqslogan" in mask(text, lexicon)


def test_unambiguous_acronyms_need_no_support(lexicon: Lexicon) -> None:
    assert _named(lexicon, "ISKP and AQIS were both named in the report") == {"iskp", "aqis"}
    assert _named(lexicon, "LeT and JeM were named") == {"let", "jem"}


def test_a_broad_country_is_no_support(lexicon: Lexicon) -> None:
    assert _named(lexicon, "TTP cases in Pakistan rose this year, doctors said") == set()
    assert support_places("Khorasan, Afghanistan, Pakistan") == {"khorasan"}
    assert support_places("Pakistan, Afghanistan border") == set()


def test_the_knowledge_base_marks_the_acronyms_with_their_meanings() -> None:
    merged = knowledge.merge([knowledge.parse(knowledge.bundled_path())])
    meanings = {
        value: other
        for spec in merged.organisations
        for value, other in spec.terms.other_meanings().items()
    }
    for acronym in ("TTP", "BLA", "BLF", "ISK", "SSP"):
        assert meanings.get(acronym), f"{acronym} should list its other meanings"
    assert any("blood" in m for m in meanings["TTP"])
    assert "ISKP" not in meanings and "JeM" not in meanings


def test_only_acronyms_carry_other_meanings(tmp_path: Path) -> None:
    path = tmp_path / "kb.yaml"
    path.write_text(
        "version: t\norganisations:\n  - slug: x\n    name: X Front\n"
        "    listings: [{authority: A, instrument: B, date: null}]\n"
        "    terms:\n      names: [{value: X Front, other_meanings: [a shop]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeBaseError, match="only acronyms carry other_meanings"):
        knowledge.parse(path)


def test_the_rule_holds_for_the_lexicon_read_from_the_database(session: Session) -> None:
    merged = knowledge.merge([knowledge.parse(knowledge.bundled_path())])
    knowledge.load(session=session, merged=merged, actor="test")
    stored = load_lexicon(session=session)
    shipped = bundled_lexicon()
    for text in (
        "Patients with TTP need plasma exchange",
        "TTP fighters crossed into North Waziristan",
        "SSP Saddar said the suspects were arrested",
    ):
        assert _named(stored, text) == _named(shipped, text)
    assert stored.read("ISK 42,000 a night").unsupported
    # Loading the same file again changes nothing; the meanings are kept with the terms.
    assert knowledge.load(session=session, merged=merged, actor="test").unchanged
