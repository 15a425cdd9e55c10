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


# Everything but Arabic script (the count was once `str.translate` with a table of the
# Basic Multilingual Plane alone, which let emoji and other astral characters count as
# Arabic: "🔥🔥🔥 ok" read as Urdu).
_NOT_ARABIC = re.compile("[^\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]+")
# Counting on the UTF-8 bytes instead (`bytes.translate` is several times faster than
# `str.translate`, which looks every character up): an ASCII letter is one byte that
# occurs in no multi-byte character, and every character of U+0600-U+06FF, the block
# of nearly all Urdu, Pashto and Arabic text, starts with one of the bytes D8-DB that
# start no other character. The rarer ranges start with DD or EF, shared with other
# characters: a text holding either byte is counted the reference way.
_ASCII_LETTERS = bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))
_ARABIC_LEADS = bytes(range(0xD8, 0xDC))
_ALL_BUT_ARABIC_LEADS = bytes(b for b in range(256) if b not in _ARABIC_LEADS)
# ASCII letters lowered, everything else a space: `split` then gives the words as
# `_WORD.findall(text.casefold())` does for ASCII text.
_ASCII_WORDS = bytes(
    b + 0x20 if 0x41 <= b <= 0x5A else b if 0x61 <= b <= 0x7A else 0x20 for b in range(256)
)


def _count(text: str, chars: frozenset[str] | set[str]) -> int:
    return sum(map(text.count, chars))


def identify(text: str) -> Language:
    """The most likely language of `text`."""
    # surrogatepass: a lone surrogate becomes three bytes that are neither kind
    encoded = text.encode("utf-8", "surrogatepass")
    latin = len(encoded) - len(encoded.translate(None, _ASCII_LETTERS))
    if len(encoded) == len(text):  # ASCII
        if latin == 0:
            return Language.OTHER
        return _ascii_latin(encoded)
    if b"\xdd" in encoded or b"\xef" in encoded:
        arabic = len(_NOT_ARABIC.sub("", text))
    else:
        arabic = len(encoded.translate(None, _ALL_BUT_ARABIC_LEADS))
    if arabic == 0 and latin == 0:
        return Language.OTHER
    if arabic >= latin:
        # all three sets lie in U+0600-U+06FF: counted in the whole text, as only
        # Arabic-script characters can be them
        pashto = _count(text, _PASHTO_ONLY)
        urdu = _count(text, _URDU_ONLY)
        if pashto > urdu:
            return Language.PASHTO
        if urdu > 0 or _count(text, _ARABIC_HINTS) == 0:
            return Language.URDU
        return Language.ARABIC
    return _latin(text)


_ENGLISH_BYTES = frozenset(word.encode() for word in _ENGLISH)
_ROMAN_URDU_BYTES = frozenset(word.encode() for word in _ROMAN_URDU)


def _ascii_latin(encoded: bytes) -> Language:
    """`_latin` for ASCII text, given as bytes."""
    words = encoded.translate(_ASCII_WORDS).split()
    return _decide(
        sum(map(_ENGLISH_BYTES.__contains__, words)),
        sum(map(_ROMAN_URDU_BYTES.__contains__, words)),
        len(words),
    )


def _latin(text: str) -> Language:
    words = _WORD.findall(text.casefold())
    if not words:
        return Language.OTHER
    english = sum(map(_ENGLISH.__contains__, words))
    roman = sum(map(_ROMAN_URDU.__contains__, words))
    return _decide(english, roman, len(words))


def _decide(english: int, roman: int, words: int) -> Language:
    """Latin-script text by its counts of English and Roman Urdu function words."""
    if words == 0:
        return Language.OTHER
    if roman >= 1 and roman > english:
        return Language.ROMAN_URDU
    # One common word in a long text is chance ("on" is Finnish too); a quarter is English.
    if english >= 2 or english / words >= 0.25 or words <= 2:
        return Language.ENGLISH
    return Language.OTHER
