"""Network's tables: typed, weighted links between accounts built incrementally from
stored posts, the communities found in them, possible re-creations of removed
accounts, and coordinated campaigns with their members.

Edges are one row per (source, target, kind), with a count and an accumulated weight:
every new post adds to the row rather than a row per event, so 10M rows describe a
network of any age. `network_state` holds the watermarks (the last post, indicator,
media and account ids seen) that make each build look only at what arrived since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.network.enums import EdgeKind, MatchStatus, MemberRole
from shaheen.store.base import Base, BigId, JSONDoc, StrEnumType, utcnow


class NetworkEdge(Base):
    """Why two accounts are linked, how often, and since when."""

    __tablename__ = "network_edges"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind"),
        Index("ix_network_edges_target", "target_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[EdgeKind] = mapped_column(StrEnumType(EdgeKind))
    count: Mapped[int] = mapped_column(default=1)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkState(Base):
    """A watermark of the incremental build: the highest id of one source seen."""

    __tablename__ = "network_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BioKey(Base):
    """An account's bio fingerprint (`rules.bio_key`): accounts with one key wrote one bio."""

    __tablename__ = "network_bio_keys"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), index=True)


class NetworkCluster(Base):
    """A community of the account graph (Leiden), as the last run found it."""

    __tablename__ = "network_clusters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    size: Mapped[int] = mapped_column(default=0)
    # The organisation most of its assessed accounts point to, and the share of its
    # accounts already known bad (removed, or over the risk threshold).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    known_bad: Mapped[int] = mapped_column(default=0)
    known_bad_share: Mapped[float] = mapped_column(Float, default=0.0)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClusterMember(Base):
    """Which community an account is in (one each, the latest run's)."""

    __tablename__ = "network_cluster_members"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("network_clusters.id", ondelete="CASCADE"), index=True
    )


class EvasionMatch(Base):
    """A new account that looks like the re-creation of a removed one, with the reasons
    (`reasons`: handle, name, picture, bio, shared invites/phones/wallets, neighbours)."""

    __tablename__ = "network_evasion_matches"
    __table_args__ = (UniqueConstraint("account_id", "removed_account_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    removed_account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # The removed account's referral and case, when one removed it through us.
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    removed_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    status: Mapped[MatchStatus] = mapped_column(StrEnumType(MatchStatus), default=MatchStatus.FOUND)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(Base):
    """Coordinated behaviour: many accounts pushing near-identical content in a short
    window. `measures` holds how coordinated (timing, duplication, account age, shared
    infrastructure), never what it says."""

    __tablename__ = "network_campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    basis: Mapped[str] = mapped_column(String(16))  # text | url | media
    excerpt: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float)
    measures: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    accounts: Mapped[int] = mapped_column(default=0)
    posts: Mapped[int] = mapped_column(default=0)
    origin_post_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    platforms: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    reach_over_time: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    # Accounts on the protected list among those it names: each needs a second review.
    protected_accounts: Mapped[int] = mapped_column(default=0)
    first_post_at: Mapped[datetime | None]
    last_post_at: Mapped[datetime | None]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignMember(Base):
    """An account a campaign names: origin or amplifier, with its part in it."""

    __tablename__ = "network_campaign_members"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("network_campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[MemberRole] = mapped_column(StrEnumType(MemberRole))
    posts: Mapped[int] = mapped_column(default=0)
    reach: Mapped[int] = mapped_column(BigInteger, default=0)
    first_post_at: Mapped[datetime | None]
    protected: Mapped[bool] = mapped_column(default=False)
    needs_second_review: Mapped[bool] = mapped_column(default=False)
