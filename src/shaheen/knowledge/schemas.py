"""The knowledge-base file format, validated with Pydantic.

Unknown keys are refused so that a misspelt section (`alias:` for `aliases:`) is an
error instead of a silently ignored list of names.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shaheen.knowledge.enums import TermKind

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

#: How much a hit of each kind says about an organisation, before context.
DEFAULT_WEIGHTS: dict[TermKind, float] = {
    TermKind.NAME: 1.0,
    TermKind.ALIAS: 0.9,
    TermKind.ACRONYM: 0.6,
    TermKind.MEDIA_WING: 0.9,
    TermKind.LEADER: 0.7,
    TermKind.SLOGAN: 0.9,
    TermKind.HASHTAG: 0.8,
    TermKind.DOMAIN: 1.0,
    TermKind.HANDLE: 1.0,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightedTerm(_Strict):
    """A term with its own weight, or an acronym with its other common meanings."""

    value: str = Field(min_length=1, max_length=300)
    weight: float | None = Field(default=None, ge=0.0, le=1.0)
    #: What else the term commonly means ("TTP": a blood disorder, a cyber-security
    #: phrase). An acronym with other meanings names the organisation only where the same
    #: post supports it (see `detect/lexicon.py`); everywhere else it is plain text.
    other_meanings: list[str] = Field(default=[], max_length=20)

    @field_validator("other_meanings")
    @classmethod
    def _meanings_are_words(cls, meanings: list[str]) -> list[str]:
        cleaned = [m.strip() for m in meanings]
        if any(not m or len(m) > 200 or "\n" in m for m in cleaned):
            raise ValueError("each other meaning is one line of 1 to 200 characters")
        return cleaned


TermEntry = str | WeightedTerm


class TermLists(_Strict):
    names: list[TermEntry] = []
    aliases: list[TermEntry] = []
    acronyms: list[TermEntry] = []
    media_wings: list[TermEntry] = []
    leaders: list[TermEntry] = []
    slogans: list[TermEntry] = []
    hashtags: list[TermEntry] = []
    domains: list[TermEntry] = []
    handles: list[TermEntry] = []

    def _sections(self) -> dict[TermKind, list[TermEntry]]:
        return {
            TermKind.NAME: self.names,
            TermKind.ALIAS: self.aliases,
            TermKind.ACRONYM: self.acronyms,
            TermKind.MEDIA_WING: self.media_wings,
            TermKind.LEADER: self.leaders,
            TermKind.SLOGAN: self.slogans,
            TermKind.HASHTAG: self.hashtags,
            TermKind.DOMAIN: self.domains,
            TermKind.HANDLE: self.handles,
        }

    def entries(self) -> list[tuple[TermKind, str, float]]:
        """Every term as (kind, value, weight), defaults applied."""
        found: list[tuple[TermKind, str, float]] = []
        for kind, items in self._sections().items():
            for item in items:
                if isinstance(item, WeightedTerm):
                    weight = DEFAULT_WEIGHTS[kind] if item.weight is None else item.weight
                    found.append((kind, item.value.strip(), weight))
                else:
                    found.append((kind, item.strip(), DEFAULT_WEIGHTS[kind]))
        return found

    def other_meanings(self) -> dict[str, tuple[str, ...]]:
        """Each acronym that has other common meanings, with them."""
        return {
            item.value.strip(): tuple(item.other_meanings)
            for item in self.acronyms
            if isinstance(item, WeightedTerm) and item.other_meanings
        }

    @model_validator(mode="after")
    def _meanings_only_for_acronyms(self) -> TermLists:
        for kind, items in self._sections().items():
            if kind is TermKind.ACRONYM:
                continue
            for item in items:
                if isinstance(item, WeightedTerm) and item.other_meanings:
                    raise ValueError(
                        f"{item.value!r}: only acronyms carry other_meanings "
                        "(a name is not ambiguous in the same way)"
                    )
        return self


class Listing(_Strict):
    authority: str = Field(min_length=1)
    instrument: str = Field(min_length=1)
    date: date | None


class OrganisationSpec(_Strict):
    slug: str
    name: str = Field(min_length=1)
    region: str = ""
    description: str = ""
    listings: list[Listing] = Field(min_length=1)
    terms: TermLists

    @field_validator("slug")
    @classmethod
    def _slug_shape(cls, slug: str) -> str:
        if not SLUG.match(slug):
            raise ValueError("must be lower-case letters, digits and hyphens")
        return slug

    @model_validator(mode="after")
    def _has_a_name(self) -> OrganisationSpec:
        if not self.terms.names:
            raise ValueError("terms.names needs at least one name")
        return self


class Extension(_Strict):
    """More terms for an organisation defined in another file (a unit's own list)."""

    slug: str
    terms: TermLists


class KnowledgeBaseFile(_Strict):
    version: str = Field(min_length=1, max_length=32)
    organisations: list[OrganisationSpec] = []
    extensions: list[Extension] = []

    @model_validator(mode="after")
    def _unique_slugs(self) -> KnowledgeBaseFile:
        seen: set[str] = set()
        for org in self.organisations:
            if org.slug in seen:
                raise ValueError(f"organisation slug {org.slug!r} appears twice")
            seen.add(org.slug)
        return self


class ListingRead(BaseModel):
    authority: str
    instrument: str
    date: date | None


class OrganisationRead(BaseModel):
    """An organisation as the CLI and API show it."""

    slug: str
    name: str
    active: bool
    names: list[str]
    acronyms: list[str]
    media_wings: list[str]
    terms: int
    listings: list[ListingRead]
