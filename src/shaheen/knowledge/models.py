"""Tables of the knowledge base: organisations, their terms and listings, hash banks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shaheen.knowledge.enums import TLP, EntryCategory, Script, SignalType, TermKind
from shaheen.store.base import Base, StrEnumType, utcnow


class Organisation(Base):
    """A proscribed organisation."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    terms: Mapped[list[OrganisationTerm]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    listings: Mapped[list[Proscription]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class OrganisationTerm(Base):
    """One name, alias, slogan, hashtag, domain or handle tied to an organisation."""

    __tablename__ = "organisation_terms"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TermKind] = mapped_column(StrEnumType(TermKind))
    value: Mapped[str] = mapped_column(String(300))
    script: Mapped[Script] = mapped_column(StrEnumType(Script))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    #: An acronym's other common meanings, one a line; empty for an unambiguous term.
    other_meanings: Mapped[str] = mapped_column(Text, default="", server_default="")

    organisation: Mapped[Organisation] = relationship(back_populates="terms")


class Proscription(Base):
    """A public listing of an organisation: who listed it, under what, and when."""

    __tablename__ = "proscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    authority: Mapped[str] = mapped_column(String(200))
    instrument: Mapped[str] = mapped_column(String(300))
    listed_on: Mapped[date | None] = mapped_column(Date)

    organisation: Mapped[Organisation] = relationship(back_populates="listings")


class KnowledgeBaseRelease(Base):
    """A version of the knowledge-base file that was loaded, so signals can cite it."""

    __tablename__ = "kb_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    organisations: Mapped[int]
    terms: Mapped[int]
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class HashBank(Base):
    """A named list of media hashes with its provenance and sharing marking."""

    __tablename__ = "hash_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(200), default="local")
    label: Mapped[str] = mapped_column(String(100), default="")
    tlp: Mapped[TLP] = mapped_column(StrEnumType(TLP), default=TLP.AMBER)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HashBankEntry(Base):
    """One hash in a bank.

    `value` is the hash as python-threatexchange writes it (PDQ and MD5 as hex, vPDQ as
    a JSON list of "hash,quality,timestamp" frames), so it can be long; uniqueness is
    on its SHA-256 (`digest`), which an index can hold whatever the value's length.
    """

    __tablename__ = "hash_bank_entries"
    __table_args__ = (
        UniqueConstraint("bank_id", "signal_type", "digest"),
        Index("ix_hash_bank_entries_signal_type_id", "signal_type", "id"),
        Index("ix_hash_bank_entries_digest", "digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id", ondelete="CASCADE"))
    signal_type: Mapped[SignalType] = mapped_column(StrEnumType(SignalType))
    value: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int | None]  # PDQ quality, or a video's mean frame quality
    media_type: Mapped[str | None] = mapped_column(String(16))  # image | video, when known
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    tags: Mapped[str] = mapped_column(String(500), default="")
    #: the TLP marking it arrived with (its file's, else its bank's); a later arrival of
    #: the same hash under a stricter marking tightens it, none ever loosens it
    tlp: Mapped[TLP] = mapped_column(
        StrEnumType(TLP), default=TLP.AMBER, server_default=TLP.AMBER.value
    )
    #: the organisation that shared it (a STIX bundle's identity, a CSV `source` column,
    #: else the bank's source); `organisation_id` is the group the media belongs to
    source: Mapped[str] = mapped_column(String(200), default="local", server_default="local")
    #: the partner's opinion of the media; entries older than the column were positives
    category: Mapped[EntryCategory] = mapped_column(
        StrEnumType(EntryCategory),
        default=EntryCategory.POSITIVE_CLASS,
        server_default=EntryCategory.POSITIVE_CLASS.value,
    )
    added_by: Mapped[str] = mapped_column(String(64), default="system")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
