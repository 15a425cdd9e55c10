"""Knowledge-base enumerations."""

from enum import StrEnum


class TermKind(StrEnum):
    """What a knowledge-base term names; detectors weigh the kinds differently."""

    NAME = "name"
    ALIAS = "alias"
    ACRONYM = "acronym"
    MEDIA_WING = "media_wing"
    LEADER = "leader"
    SLOGAN = "slogan"
    HASHTAG = "hashtag"
    DOMAIN = "domain"
    HANDLE = "handle"


class Script(StrEnum):
    LATIN = "latin"
    ARABIC = "arabic"  # Urdu, Pashto, Arabic and Persian share the Arabic script


class SignalType(StrEnum):
    """Hash kinds a bank entry can hold (names as python-threatexchange spells them)."""

    PDQ = "pdq"
    VPDQ = "vpdq"
    MD5 = "md5"


class TLP(StrEnum):
    """Traffic Light Protocol 2.0 marking of a hash bank."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"
