"""Ingest runs record skipped records, file hash and error; error severity; tips;
posts keep when a re-import changed them (changed_at) instead of an always-set updated_at.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:58:05.966243
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tips",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reporter_contact", sa.String(length=300), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("new", "triaged", "discarded", name="tipstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_tips_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["platforms.id"], name=op.f("fk_tips_platform_id_platforms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tips_url"), ["url"], unique=False)

    with op.batch_alter_table("ingest_errors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "severity",
                sa.Enum("rejected", "warning", name="errorseverity", native_enum=False, length=32),
                nullable=False,
                server_default="rejected",  # rows from before this revision were all rejections
            )
        )

    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("records_skipped", sa.Integer(), nullable=False, server_default="0")
        )
        for counter in ("accounts_new", "accounts_updated", "media_new", "warnings"):
            batch_op.add_column(
                sa.Column(counter, sa.Integer(), nullable=False, server_default="0")
            )
        batch_op.add_column(sa.Column("source_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_ingest_runs_source_sha256"), ["source_sha256"], unique=False
        )

    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("updated_at")


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            )
        )
        batch_op.drop_column("changed_at")

    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_runs_source_sha256"))
        batch_op.drop_column("error")
        batch_op.drop_column("source_sha256")
        for counter in ("warnings", "media_new", "accounts_updated", "accounts_new"):
            batch_op.drop_column(counter)
        batch_op.drop_column("records_skipped")

    with op.batch_alter_table("ingest_errors", schema=None) as batch_op:
        batch_op.drop_column("severity")

    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tips_url"))

    op.drop_table("tips")
