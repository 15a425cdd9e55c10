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


class EntryCategory(StrEnum):
    """What a bank entry says about the media it hashes, as ThreatExchange's opinion
    categories do (its CSV writes them upper-case, `POSITIVE_CLASS`).

    Only positives and investigation seeds are matched: a `negative_class` entry records
    that a partner judged the media harmless (a known false positive), and is kept so
    that the judgement travels with the list, never to raise a signal.
    """

    POSITIVE_CLASS = "positive_class"
    INVESTIGATION_SEED = "investigation_seed"
    NEGATIVE_CLASS = "negative_class"
