"""Indicators in text: what a unit or a regulator can act on beyond the post itself.

    phone              E.164, from any common spelling (0300-1234567, +92 300 1234567,
                       0092…, 92…), Pakistani numbers by default, foreign ones with +
    url, domain        links, and each link's registered domain (offline public-suffix list)
    telegram_invite    t.me/+… and t.me/joinchat/… private-group invites
    whatsapp_invite    chat.whatsapp.com/… group invites
    handle             @names
    btc, eth, tron     wallet addresses; Base58 ones only when their checksum is valid

Phone numbers found in propaganda are what the telecom regulator acts on:
`shaheen indicators export --kind phone`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import tldextract

from shaheen.detect.enums import INDICATOR_KINDS

KINDS = INDICATOR_KINDS
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+|\bt\.me/[^\s<>\"'()]+", re.IGNORECASE)
_TELEGRAM_INVITE = re.compile(
    r"(?:https?://)?(?:t\.me|telegram\.me)/(?:joinchat/|\+)([A-Za-z0-9_-]{10,})", re.IGNORECASE
)
_WHATSAPP_INVITE = re.compile(
    r"(?:https?://)?chat\.whatsapp\.com/(?:invite/)?([A-Za-z0-9]{18,26})", re.IGNORECASE
)
_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z0-9_]{3,30})\b")
_BECH32 = re.compile(r"\b(bc1[ac-hj-np-z02-9]{25,87})\b")
_BASE58_BTC = re.compile(r"\b([13][1-9A-HJ-NP-Za-km-z]{25,34})\b")
_ETH = re.compile(r"\b(0x[a-fA-F0-9]{40})\b")
_TRON = re.compile(r"\b(T[1-9A-HJ-NP-Za-km-z]{33})\b")
# No phone number has fewer than seven digits; the matcher is slow, so look first.
_SEVEN_DIGITS = re.compile(r"\d(?:\D{0,3}\d){6}")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9]{25}")
# The same two tests on the UTF-8 bytes, where `bytes.translate` and a substring search
# answer in C several times faster than the patterns: ASCII letters and digits are
# bytes no multi-byte character holds, so a run of 25 of them is a run of 25 of them
# in the text; and ASCII text with fewer than seven digits has no seven (other scripts'
# digits, which \d matches too, go the pattern's way).
_ALNUM_RUN = bytes(0x61 if chr(b).isascii() and chr(b).isalnum() else 0x20 for b in range(256))
_TOKEN_OF_25 = b"a" * 25
_NOT_DIGITS = bytes(b for b in range(256) if not 0x30 <= b <= 0x39)
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    value: str


@lru_cache(maxsize=1)
def _domains() -> tldextract.TLDExtract:
    # The public-suffix list bundled with tldextract: no download at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _base58check(address: str) -> bool:
    number = 0
    for char in address:
        number = number * 58 + _BASE58.index(char)
    raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False
    checksum = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4]
    return checksum == raw[-4:]


def _wallets(text: str, add: Callable[[str, str], None]) -> None:
    for match in _BECH32.finditer(text):
        add("btc", match.group(1))
    for match in _BASE58_BTC.finditer(text):
        if _base58check(match.group(1)):
            add("btc", match.group(1))
    for match in _ETH.finditer(text):
        add("eth", match.group(1).lower())
    for match in _TRON.finditer(text):
        if _base58check(match.group(1)):
            add("tron", match.group(1))


def extract(text: str, region: str = "PK") -> list[Found]:
    """Every indicator in `text`, each once, in a stable order.

    Each kind is looked for only where a cheap test says it can be (an @, a ://, a
    long token): most posts have none, and the patterns are the slow part.
    """
    found: dict[tuple[str, str], None] = {}

    def add(kind: str, value: str) -> None:
        found[(kind, value)] = None

    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) == len(text):  # ASCII
        digits = len(encoded.translate(None, _NOT_DIGITS))
        may_phone = digits >= 7 and _SEVEN_DIGITS.search(text) is not None
    else:
        may_phone = _SEVEN_DIGITS.search(text) is not None
    phones = phonenumbers.PhoneNumberMatcher(text, region) if may_phone else ()
    for phone in phones:
        add("phone", phonenumbers.format_number(phone.number, phonenumbers.PhoneNumberFormat.E164))
    lowered = text.lower()
    if "://" in text or "www." in lowered or "t.me/" in lowered:
        for match in _URL.finditer(text):
            url = match.group(0).rstrip(".,;:!?")
            add("url", url)
            parts = _domains()(url)
            if parts.suffix and parts.domain:
                add("domain", f"{parts.domain}.{parts.suffix}".lower())
    if "t.me/" in lowered or "telegram.me/" in lowered:
        for match in _TELEGRAM_INVITE.finditer(text):
            add("telegram_invite", f"https://t.me/+{match.group(1)}")
    if "whatsapp.com/" in lowered:
        for match in _WHATSAPP_INVITE.finditer(text):
            add("whatsapp_invite", f"https://chat.whatsapp.com/{match.group(1)}")
    if "@" in text:
        for match in _HANDLE.finditer(text):
            add("handle", "@" + match.group(1).lower())
    if _TOKEN_OF_25 in encoded.translate(_ALNUM_RUN):  # every wallet address has 26 or more
        _wallets(text, add)
    return [Found(kind, value) for kind, value in found]
