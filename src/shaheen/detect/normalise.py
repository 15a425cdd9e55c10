"""Text normalisation for matching: one canonical form for every way a name is disguised.

Propaganda spells names many ways: Arabic or Urdu letter forms (ي/ی, ك/ک, ه/ہ),
diacritics and tatweel (تحریـــک), zero-width and bidi controls slipped inside words,
Cyrillic or Greek look-alikes (Тehreek), leetspeak (t3hr33k), separators inside
acronyms (T.T.P, t t p), and stretched letters (zindabaaad). `normalise` folds all of
them away, so the lexicon needs one spelling per term.

How: every character is folded on its own (NFKD, combining marks dropped, case-folded,
Arabic-script letters unified to Urdu forms, digits to ASCII, look-alikes to Latin,
invisible characters removed) through a table built once for the Basic Multilingual
Plane and the astral blocks used as disguise (𝐓𝐓𝐏), applied by `str.translate` in C.
Three regex stages then only *delete* characters or substitute one for one (leetspeak
inside words, separators inside acronyms, runs of three or more letters), which keeps
offsets trivial to follow.

`normalise_with_offsets` does the same work character by character and also returns,
for each output character, the index of the original character it came from, so the UI
can highlight the original text. It is slower and used only for posts that matched;
tests hold the two paths to the same output.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Arabic-script letters unified to the forms Urdu writes (ي ى → ی, ك → ک, ه → ہ, ة → ۃ);
# heh doachashmee ھ is kept, as Urdu uses it for aspirates.
_ARABIC_TO_URDU = {
    "\u064a": "\u06cc",  # ARABIC YEH → FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA → FARSI YEH
    "\u06d2": "\u06d2",  # YEH BARREE stays
    "\u0643": "\u06a9",  # ARABIC KAF → KEHEH
    "\u0647": "\u06c1",  # HEH → HEH GOAL
    "\u06d5": "\u06c1",  # AE → HEH GOAL
    "\u0629": "\u06c3",  # TEH MARBUTA → TEH MARBUTA GOAL
    "\u0671": "\u0627",  # ALEF WASLA → ALEF
}
# Latin look-alikes from Cyrillic and Greek (lower case; case is folded first).
_CONFUSABLES = dict(
    zip(
        "аеорсухіјѕԁɡһкмтвнοαερτυνικχ",
        "aeopcyxijsdghkmtbhoaeptuvikx",
        strict=True,
    )
)
_INVISIBLE = (
    set(range(0x200B, 0x2010))  # zero-width space/joiners, LRM, RLM
    | set(range(0x202A, 0x202F))  # bidi embeddings and overrides
    | set(range(0x2060, 0x2065))  # word joiner, invisible operators
    | set(range(0x2066, 0x206A))  # bidi isolates
    | {0x00AD, 0xFEFF, 0x061C, 0x180E, 0x0640}  # soft hyphen, BOM, ALM, MVS, tatweel
)


def _fold_char(char: str) -> str:
    code = ord(char)
    if code in _INVISIBLE:
        return ""
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate cannot be text
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.category(part) == "Mn":  # harakat, accents, hamza above
            continue
        for folded in part.casefold():
            folded = _ARABIC_TO_URDU.get(folded, folded)
            folded = _CONFUSABLES.get(folded, folded)
            if unicodedata.category(folded) == "Nd":  # Arabic-Indic and other digits
                folded = str(unicodedata.digit(folded))
            out.append(folded)
    return "".join(out)


# Beyond the BMP, the blocks used to disguise letters: mathematical alphanumerics
# (𝐓𝐓𝐏), enclosed and squared letters, and the invisible tag characters.
_ASTRAL_BLOCKS = ((0x1D400, 0x1D800), (0x1F100, 0x1F200), (0xE0000, 0xE0080))


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """The per-character fold; only characters that change are listed."""
    table: dict[int, str] = {}
    codes = [range(0x10000)] + [range(start, end) for start, end in _ASTRAL_BLOCKS]
    for block in codes:
        for code in block:
            char = chr(code)
            folded = "" if 0xE0000 <= code < 0xE0080 else _fold_char(char)
            if folded != char:
                table[code] = folded
    return table


# Digits and symbols that stand in for letters, inside words that also have letters.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# A run of word characters (and @ $) holding at least one letter and one stand-in.
_LEET_WORD = re.compile(r"(?<![\w@$])(?=[\w@$]*[^\W\d_])(?=[\w@$]*[013457@$])[\w@$]+")
_SEPARATED = re.compile(r"(?<![^\W\d_])[^\W\d_](?:[ .\-_*·/|]+[^\W\d_]){2,4}(?![^\W\d_])")
_SEPARATOR = re.compile(r"[ .\-_*·/|]")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
# Cheap tests that let most texts skip a stage (each stage's own pattern costs several
# times more): a stand-in character touching a letter (one among digits only, as in
# "a21", reads as a number and is left alone); a letter alone between separators (the
# middle of any T.T.P); three equal characters in a row.
# (The stand-in comes first in the pattern so that `re` can skip to the few positions
# holding one instead of trying the pattern at every character.)
_MAY_LEET = re.compile(r"[013457@$](?:(?=[^\W\d_])|(?<=[^\W\d_].))")
_MAY_SEPARATE = re.compile(r"[ .\-_*·/|][^\W\d_][ .\-_*·/|]")
_MAY_STRETCH = re.compile(r"(.)\1\1")


def _leet_fold(word: str) -> str:
    # A leading @ is a handle's sigil, not a stand-in for "a".
    if word.startswith("@"):
        return "@" + word[1:].translate(_LEET)
    return word.translate(_LEET)


@lru_cache(maxsize=1)
def _bmp_table() -> list[int | str]:
    """The fold as a list indexed by code point, for the Basic Multilingual Plane.

    `str.translate` looks each character up in its table; a dict raises (and catches) a
    KeyError for every character it does not list, which is most of Urdu text, while a
    list that holds every character answers without one: twice as fast.
    """
    table = _table()
    return [table.get(code, code) for code in range(0x10000)]


# Beyond the BMP, where the list stops (its IndexError would leave a character unfolded).
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _fold(text: str) -> str:
    """Every character folded on its own (`_table`), by the cheapest route for `text`."""
    if text.isascii():  # in ASCII the table only lowers A-Z, as str.lower does, in C
        return text.lower()
    if _ASTRAL.search(text) is None:
        return text.translate(_bmp_table())
    return text.translate(_table())


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """The canonical form of `text` for matching (recent results are remembered: the
    lexicon and the classifier's masking normalise the same posts one after the other)."""
    return _post_fold(_fold(text), None)[0]


@lru_cache(maxsize=1)
def _uneven() -> re.Pattern[str]:
    """Characters that fold to nothing or to several characters (marks, ligatures…)."""
    codes = sorted(code for code, folded in _table().items() if len(folded) != 1)
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    body = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return re.compile(f"[{body}]")


def folds_one_for_one(text: str) -> bool:
    """True if every character of `text` folds to exactly one: then, where `normalise`
    returns as many characters as `text` has, the later stages deleted none, and each
    output character comes from the input character at the same index."""
    return text.isascii() or _uneven().search(text) is None


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` and, per output character, the index of its source character."""
    if folds_one_for_one(text):  # the common case
        folded, offsets = _fold(text), list(range(len(text)))
    else:
        table = _table()
        pieces = [table.get(ord(char), char) for char in text]
        folded = "".join(pieces)
        offsets = [index for index, piece in enumerate(pieces) for _ in piece]
    result, kept = _post_fold(folded, offsets)
    assert kept is not None
    return result, kept


# The first two cheap tests for ASCII text, on bytes: each byte becomes its class (L a
# letter, S a stand-in, P a separator, space anything else), and the test a substring
# search, in C, several times faster than the patterns.
_ASCII_CLASSES = bytes(
    ord("L")
    if chr(b).isalpha() and b < 0x80
    else ord("S")
    if chr(b) in "013457@$"
    else ord("P")
    if chr(b) in " .-_*/|"
    else ord(" ")
    for b in range(256)
)


def _post_fold(text: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """The deletion-only and one-for-one stages, carrying offsets when given."""
    if text.isascii():
        classes = text.encode().translate(_ASCII_CLASSES)
        may_leet = b"LS" in classes or b"SL" in classes
        may_separate: bool | None = b"PLP" in classes
    else:
        may_leet = _MAY_LEET.search(text) is not None
        may_separate = None  # the pattern decides, after the leetspeak stage
    if may_leet:
        text = _substitute(_LEET_WORD, lambda m: _leet_fold(m.group(0)), text)
        may_separate = None  # substitutions make letters of stand-ins
    if may_separate is None:
        may_separate = _MAY_SEPARATE.search(text) is not None
    if may_separate:
        text, offsets = _delete(
            _SEPARATED,
            lambda m: [i for i, ch in enumerate(m.group(0)) if _SEPARATOR.match(ch)],
            text,
            offsets,
        )
    if _MAY_STRETCH.search(text):
        text, offsets = _delete(
            _STRETCHED, lambda m: list(range(2, len(m.group(0)))), text, offsets
        )
    return text, offsets


def _substitute(
    pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str], text: str
) -> str:
    """Replace each match by a string of the same length (offsets unchanged)."""
    return pattern.sub(replace, text)


def _delete(
    pattern: re.Pattern[str],
    positions: Callable[[re.Match[str]], list[int]],
    text: str,
    offsets: list[int] | None,
) -> tuple[str, list[int] | None]:
    """Delete, inside each match, the characters at the given relative positions."""
    drop: list[int] = []
    for match in pattern.finditer(text):
        drop.extend(match.start() + p for p in positions(match))
    if not drop:
        return text, offsets
    bounds = [-1, *sorted(set(drop)), len(text)]
    spans = [(bounds[i] + 1, bounds[i + 1]) for i in range(len(bounds) - 1)]
    kept = "".join(text[start:end] for start, end in spans)
    if offsets is None:
        return kept, None
    return kept, [o for start, end in spans for o in offsets[start:end]]
