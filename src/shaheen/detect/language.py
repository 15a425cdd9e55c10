"""Offline language identification for the languages this domain writes in.

    en        English
    ur        Urdu, in Arabic script
    ps        Pashto, in Arabic script
    ar        Arabic
    roman_ur  Urdu written in Latin letters, as most Pakistani social media is
    other     anything else, or too little text to say

Why not a general detector alone: none knows Roman Urdu, and on short posts they
confuse Urdu, Pashto and Persian. The decision here is by evidence that is cheap and
specific: the script first; inside Arabic script, letters only Pashto has (ټ ډ ړ ږ ښ ګ ڼ
ې ۍ ځ څ) against letters only Urdu has (ٹ ڈ ڑ ے ں ھ), and Arabic's own (ة ي ك at word
ends); inside Latin script, frequent function words of English against those of Roman
Urdu. Each word list is small, public-domain knowledge, and the rules are tested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum


class Language(StrEnum):
    ENGLISH = "en"
    URDU = "ur"
    PASHTO = "ps"
    ARABIC = "ar"
    ROMAN_URDU = "roman_ur"
    OTHER = "other"


_PASHTO_ONLY = set("ټډړږښګڼېۍځڅ")
_URDU_ONLY = set("ٹڈڑےںھ")
_ARABIC_HINTS = set("ةيكى")  # letter forms Urdu and Pashto writing replace
_ENGLISH = frozenset(
    "the a an and or of to in on for with is are was were be been it this that these those "
    "by from at as not no but have has had will would can could should they we you he she "
    "his her their our its who what which when where why how said says after before about "
    "over into than then there here more most new all some any".split()
)
_ROMAN_URDU = frozenset(
    "hai hain ho hoon tha thi thay ka ki ke ko se mein main mai mera meri mere tera "
    "teri tum tu aap ap hum ham woh wo yeh ye aur bhi nahi nahin na kya kyun kyu kaise "
    "kab kahan jo jis jab tak par pe liye lye wala wali wale karo karein karna kar kr raha "
    "rahi rahe gaya gayi gaye hoga hogi hogay sab kuch koi bohat bahut acha achha theek "
    "thik abhi phir bhai bhaiyon yaar jee ji hamara hamari tumhara apna apni apne".split()
)
_WORD = re.compile(r"[^\W\d_]+")


def _deleting(characters: Iterable[int]) -> dict[int, None]:
    return dict.fromkeys(characters)


# Counting a class of characters as the length `str.translate` removes runs in C.
_NOT_ARABIC = _deleting(
    c
    for c in range(0x10000)
    if not (0x0600 <= c <= 0x06FF or 0x0750 <= c <= 0x077F or 0xFB50 <= c <= 0xFEFF)
)
_LATIN_LETTERS = _deleting(range(0x41, 0x5B)) | _deleting(range(0x61, 0x7B))


def _count(text: str, chars: frozenset[str] | set[str]) -> int:
    return sum(text.count(char) for char in chars)


def identify(text: str) -> Language:
    """The most likely language of `text`."""
    arabic_text = "" if text.isascii() else text.translate(_NOT_ARABIC)  # isascii: C-fast
    arabic = len(arabic_text)
    latin = len(text) - len(text.translate(_LATIN_LETTERS))
    if arabic == 0 and latin == 0:
        return Language.OTHER
    if arabic >= latin:
        pashto = _count(arabic_text, _PASHTO_ONLY)
        urdu = _count(arabic_text, _URDU_ONLY)
        if pashto > urdu:
            return Language.PASHTO
        if urdu > 0 or _count(arabic_text, _ARABIC_HINTS) == 0:
            return Language.URDU
        return Language.ARABIC
    return _latin(text)


def _latin(text: str) -> Language:
    words = _WORD.findall(text.casefold())
    if not words:
        return Language.OTHER
    english = sum(map(_ENGLISH.__contains__, words))
    roman = sum(map(_ROMAN_URDU.__contains__, words))
    if roman >= 1 and roman > english:
        return Language.ROMAN_URDU
    # One common word in a long text is chance ("on" is Finnish too); a quarter is English.
    if english >= 2 or english / len(words) >= 0.25 or len(words) <= 2:
        return Language.ENGLISH
    return Language.OTHER
