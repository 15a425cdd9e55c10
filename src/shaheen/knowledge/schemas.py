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
    value: str = Field(min_length=1, max_length=300)
    weight: float = Field(ge=0.0, le=1.0)


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

    def entries(self) -> list[tuple[TermKind, str, float]]:
        """Every term as (kind, value, weight), defaults applied."""
        sections: dict[TermKind, list[TermEntry]] = {
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
        found: list[tuple[TermKind, str, float]] = []
        for kind, items in sections.items():
            for item in items:
                if isinstance(item, WeightedTerm):
                    found.append((kind, item.value.strip(), item.weight))
                else:
                    found.append((kind, item.strip(), DEFAULT_WEIGHTS[kind]))
        return found


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
