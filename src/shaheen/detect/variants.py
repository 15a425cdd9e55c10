"""Spelling variants of a knowledge-base name, generated so that the file needs one spelling.

Names of the groups are transliterated many ways, and nobody writes them the same twice:
"Tehrik-e-Taliban", "Tehreek-i-Taliban", "Tehreek e Taliban"; "Jaish-e-Mohammad",
"Jaish-e-Mohammed", "Jaish Muhammad"; "Lashkar-e-Taiba", "Lashkr-e-Tayyiba". The
normaliser folds case, marks and look-alike letters, but these are different letters,
so every systematic variant becomes one more key of the lexicon's automaton (which
costs nothing per post: Aho-Corasick scans once whatever the number of keys).

Latin script (English and Roman Urdu): the izafat and Arabic article particles (`e`, `i`,
`ee`; `ul`, `ud`, `ut`) joined by hyphens, spaces, or nothing, or the izafat dropped;
long vowels written double or single (ee/i, oo/u, aa/a); and the spelling families
of the words the names are made of (Tehreek/Tehrik/Tahreek, Mohammad/Mohammed/
Muhammad, Lashkar/Lashkr, Taiba/Tayyiba/Toiba, Baloch/Baluch, Qaeda/Qaida...).
Arabic script (Urdu, Pashto, Arabic): word-final teh, teh marbuta and heh written for
one another (جماعت/جماعۃ, الدعوۃ/الدعوہ), heh doachashmee and heh goal (جھنگوی/جہنگوی),
and the letters Pashto writes where Urdu writes others (ټ/ٹ, ډ/ڈ, ړ/ڑ; at a word's
end ی, ې, ۍ and ے; ن for ں).

Everything works on normalised text (`normalise`), and the number of variants of one
name is capped, so a long name does not explode into thousands of keys.
"""

from __future__ import annotations

import itertools
import re

#: At most this many spellings of a name's words together (fewest changes first), each
#: written in every joining style: about a hundred keys per name at most.
_COMBINATIONS = 12
#: Arabic-script names: at most this many variants.
_ARABIC_VARIANTS = 24

# Spelling families: any member may be written for any other (normalised, lower case).
_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("tehrik", "tehreek", "tahrik", "tahreek", "tehrek"),
    ("mohammad", "mohammed", "muhammad", "muhammed", "mohamed", "mohammad"),
    ("mohammadi", "muhammadi", "mohammedi"),
    ("lashkar", "lashkr", "lashker", "lashkar"),
    ("taiba", "tayyiba", "tayyaba", "toiba", "tayba", "taibah"),
    ("jaish", "jaysh", "jaish"),
    ("baloch", "baluch", "biloch"),
    ("balochistan", "baluchistan", "balochstan", "baloochistan"),
    ("qaeda", "qaida", "qaaida"),
    ("jamaat", "jamat", "jammat"),
    ("jhangvi", "jhangavi", "jhangwi"),
    ("shariat", "shariah", "sharia", "shariyat"),
    ("nafaz", "nifaz", "nifaaz"),
    ("sipah", "sipaah", "sepah"),
    ("sahaba", "sahabah"),
    ("khorasan", "khurasan", "khorassan"),
    ("dawa", "dawah", "daawa", "dawat"),
    ("hizb", "hizab", "hezb"),
    ("ahrar", "ahraar"),
    ("mehsud", "mahsud", "mehsood"),
)
_FAMILY_OF = {member: family for family in _FAMILIES for member in family}
_ARTICLES = ("ul", "ud", "ut", "us", "al", "ur", "un", "uz")
# How the izafat is written ("Tehrik-e-Taliban", "Tehrik i Taliban", "Jaishe Mohammad",
# "Jaish Mohammad") and an article ("Jamaat-ul-Ahrar", "Jamaat ul Ahrar", "Jamaatul Ahrar").
_IZAFAT_STYLES = ("-e-", "-i-", " e ", " i ", "-ee-", " ee ", "e ", " ", "-")
_ARTICLE_STYLES = ("-{a}-", " {a} ", "{a} ", "-{a} ")
_LATIN_WORD = re.compile(r"^[a-z]+$")

# Arabic script: which letters stand in for which (normalised forms: see normalise.py).
_FINAL_TEH = ("\u062a", "\u06c3", "\u06c1")  # ت ۃ ہ at the end of a word
_PASHTO = (
    ("\u0679", "\u067c"),  # ٹ ټ
    ("\u0688", "\u0689"),  # ڈ ډ
    ("\u0691", "\u0693"),  # ڑ ړ
)
_FINAL_YEH = ("\u06cc", "\u06d0", "\u06cd", "\u06d2")  # ی ې ۍ ے at the end of a word


def variants(key: str) -> set[str]:
    """The spelling variants of one normalised name, `key` itself included."""
    if any("\u0600" <= ch <= "\u06ff" for ch in key):
        found = _arabic_variants(key)
    else:
        found = _latin_variants(key)
    found.add(key)
    return found


# -- Latin script ------------------------------------------------------------------------


def _latin_variants(key: str) -> set[str]:
    # "tehrik-e-taliban pakistan" -> words, and the particle (if any) between each two
    tokens: list[str] = []
    for token in re.split(r"[\s\-]+", key):
        if len(token) >= 6 and token[-2:] in ("ul", "ud") and token[:-2] in _FAMILY_OF:
            tokens += [token[:-2], token[-2:]]  # "hizbul" is "hizb ul"
        elif token:
            tokens.append(token)
    if not tokens or not all(_LATIN_WORD.match(t) for t in tokens):
        return {key}
    words: list[list[str]] = []  # each word's spellings
    links: list[str] = []  # between two words: "" (plain), "e" (izafat) or an article
    pending = ""
    for token in tokens:
        if words and token in ("e", "i", "ee"):
            pending = "e"
        elif words and token in _ARTICLES:
            pending = token
        else:
            if words:
                links.append(pending)
            pending = ""
            words.append(_spellings(token))
    if pending:  # a trailing particle: not a name shape these rules know
        return {key}
    found: set[str] = set()
    for combination in _combinations(words):
        for glues in _joinings(links):
            rest = zip(glues, combination[1:], strict=True)
            found.add(combination[0] + "".join(glue + word for glue, word in rest))
    return found


def _combinations(words: list[list[str]]) -> list[tuple[str, ...]]:
    """Spellings of the whole name, fewest changed words first, at most `_COMBINATIONS`."""
    every = itertools.islice(itertools.product(*words), 4096)
    ranked = sorted(every, key=lambda c: sum(w != f[0] for w, f in zip(c, words, strict=True)))
    return ranked[:_COMBINATIONS]


def _joinings(links: list[str]) -> list[list[str]]:
    """Ways of writing every link of a name at once (one style per name, as people write)."""
    if not any(links):
        return [[" "] * len(links), ["-"] * len(links)]
    styles: list[list[str]] = []
    for izafat, article in zip(_IZAFAT_STYLES, itertools.cycle(_ARTICLE_STYLES)):
        style = [
            " " if link == "" else izafat if link == "e" else article.format(a=link)
            for link in links
        ]
        if style not in styles:
            styles.append(style)
    return styles


def _spellings(word: str) -> list[str]:
    """One word's spellings: its family, then doubled or single long vowels."""
    base = list(_FAMILY_OF.get(word, (word,)))
    if word not in base:
        base.insert(0, word)
    else:
        base.remove(word)
        base.insert(0, word)
    out: list[str] = []
    for spelling in base:
        for form in _vowel_forms(spelling):
            if form not in out:
                out.append(form)
    return out[:8]


def _vowel_forms(word: str) -> list[str]:
    """The word, and with a long vowel written single (ee -> i, oo -> u, aa -> a). Only
    shortening: lengthening every i would invent spellings nobody writes (the families
    hold the lengthened ones people do write, Tehrik -> Tehreek)."""
    forms = [word]
    if len(word) >= 4:
        for long, short in (("ee", "i"), ("oo", "u"), ("aa", "a")):
            if long in word:
                forms.append(word.replace(long, short))
    return forms


# -- Arabic script -----------------------------------------------------------------------


def _arabic_variants(key: str) -> set[str]:
    # The letters Pashto writes for Urdu's, applied to the whole name at once (a writer
    # uses one alphabet), then word-final letters written for one another, fewest
    # changed words first.
    found: set[str] = set()
    for alphabet in (key, _swap_letters(key, to_pashto=True), _swap_letters(key, to_pashto=False)):
        options = [_word_forms(word) for word in alphabet.split()]
        every = itertools.islice(itertools.product(*options), 4096)
        ranked = sorted(
            every, key=lambda c: sum(w != f[0] for w, f in zip(c, options, strict=True))
        )
        found |= {" ".join(c) for c in ranked[:_ARABIC_VARIANTS]}
    return found


def _swap_letters(text: str, *, to_pashto: bool) -> str:
    for urdu, pashto in _PASHTO:
        text = text.replace(urdu, pashto) if to_pashto else text.replace(pashto, urdu)
    return text


def _word_forms(word: str) -> list[str]:
    """One word's forms, itself first."""
    forms = [word]
    if len(word) > 2 and word[-1] in _FINAL_TEH:
        forms += [word[:-1] + end for end in _FINAL_TEH]
    if len(word) > 1 and word[-1] in _FINAL_YEH:
        forms += [word[:-1] + end for end in _FINAL_YEH]
    if word[-1] == "\u06ba":  # noon ghunna at the end, often typed as noon
        forms.append(word[:-1] + "\u0646")
    if "\u06be" in word:  # aspirate ھ, often typed as ہ (جھنگوی, جہنگوی)
        forms.append(word.replace("\u06be", "\u06c1"))
    return list(dict.fromkeys(forms))
