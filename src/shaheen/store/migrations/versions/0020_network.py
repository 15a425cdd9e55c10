"""Network intelligence: posts keep their links (reply-to, quote, forward-from,
mentions; `shaheen network backfill` fills them for posts stored before); typed
weighted edges between accounts with the build's watermarks; communities; possible
re-creations of removed accounts; coordinated campaigns and their members; a case may
be a ban-evasion case linked to the removed account and its case.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_campaigns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "measures",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column(
            "origin_post_ids",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "platforms",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "reach_over_time",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("protected_accounts", sa.Integer(), nullable=False),
        sa.Column("first_post_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_post_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_campaigns")),
        sa.UniqueConstraint("key", name=op.f("uq_network_campaigns_key")),
    )
    op.create_table(
        "network_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_network_state")),
    )
    op.create_table(
        "network_bio_keys",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_network_bio_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_network_bio_keys")),
    )
    with op.batch_alter_table("network_bio_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_bio_keys_key"), ["key"], unique=False)

    op.create_table(
        "network_clusters",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("known_bad", sa.Integer(), nullable=False),
        sa.Column("known_bad_share", sa.Float(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_network_clusters_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_clusters")),
    )
    op.create_table(
        "network_campaign_members",
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "role",
            sa.Enum("origin", "amplifier", name="memberrole", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("reach", sa.BigInteger(), nullable=False),
        sa.Column("first_post_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("needs_second_review", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_network_campaign_members_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["network_campaigns.id"],
            name=op.f("fk_network_campaign_members_campaign_id_network_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "account_id", name=op.f("pk_network_campaign_members")
        ),
    )
    with op.batch_alter_table("network_campaign_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_campaign_members_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "network_cluster_members",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "cluster_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_network_cluster_members_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["network_clusters.id"],
            name=op.f("fk_network_cluster_members_cluster_id_network_clusters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_network_cluster_members")),
    )
    with op.batch_alter_table("network_cluster_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_cluster_members_cluster_id"), ["cluster_id"], unique=False
        )

    op.create_table(
        "network_edges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "target_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "reply",
                "quote",
                "forward",
                "mention",
                "shared_media",
                "shared_url",
                "invite",
                "phone",
                "wallet",
                "similar_bio",
                name="edgekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["accounts.id"],
            name=op.f("fk_network_edges_source_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["accounts.id"],
            name=op.f("fk_network_edges_target_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_edges")),
        sa.UniqueConstraint(
            "source_id", "target_id", "kind", name=op.f("uq_network_edges_source_id_target_id_kind")
        ),
    )
    with op.batch_alter_table("network_edges", schema=None) as batch_op:
        batch_op.create_index("ix_network_edges_target", ["target_id"], unique=False)

    op.create_table(
        "network_evasion_matches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "removed_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "referral_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "removed_case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("found", "cased", name="matchstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_network_evasion_matches_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_network_evasion_matches_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_network_evasion_matches_referral_id_referrals"),
        ),
        sa.ForeignKeyConstraint(
            ["removed_account_id"],
            ["accounts.id"],
            name=op.f("fk_network_evasion_matches_removed_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["removed_case_id"],
            ["cases.id"],
            name=op.f("fk_network_evasion_matches_removed_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_evasion_matches")),
        sa.UniqueConstraint(
            "account_id",
            "removed_account_id",
            name=op.f("uq_network_evasion_matches_account_id_removed_account_id"),
        ),
    )
    with op.batch_alter_table("network_evasion_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_evasion_matches_removed_account_id"),
            ["removed_account_id"],
            unique=False,
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evades_account_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "linked_case_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_linked_case_id_cases"), "cases", ["linked_case_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_evades_account_id_accounts"),
            "accounts",
            ["evades_account_id"],
            ["id"],
        )

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_to", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("quote_of", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("forward_from", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "mentions",
                sa.JSON(none_as_null=True).with_variant(
                    postgresql.JSONB(none_as_null=True, astext_type=Text()), "postgresql"
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("mentions")
        batch_op.drop_column("forward_from")
        batch_op.drop_column("quote_of")
        batch_op.drop_column("reply_to")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_cases_evades_account_id_accounts"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_cases_linked_case_id_cases"), type_="foreignkey")
        batch_op.drop_column("linked_case_id")
        batch_op.drop_column("evades_account_id")

    with op.batch_alter_table("network_evasion_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_evasion_matches_removed_account_id"))

    op.drop_table("network_evasion_matches")
    with op.batch_alter_table("network_edges", schema=None) as batch_op:
        batch_op.drop_index("ix_network_edges_target")

    op.drop_table("network_edges")
    with op.batch_alter_table("network_cluster_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_cluster_members_cluster_id"))

    op.drop_table("network_cluster_members")
    with op.batch_alter_table("network_campaign_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_campaign_members_account_id"))

    op.drop_table("network_campaign_members")
    op.drop_table("network_clusters")
    with op.batch_alter_table("network_bio_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_bio_keys_key"))
    op.drop_table("network_bio_keys")
    op.drop_table("network_state")
    op.drop_table("network_campaigns")
