"""Ingest runs record who imports (pid, host) and a heartbeat; status observations of
accounts and posts (X's `errors` array, withheld content).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_observations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column(
            "subject",
            sa.Enum("account", "post", name="statussubject", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("subject_key", sa.String(length=200), nullable=False),
        sa.Column("by_handle", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "suspended",
                "not_found",
                "withheld",
                "protected",
                "unavailable",
                name="observedstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["platforms.id"],
            name=op.f("fk_status_observations_platform_id_platforms"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingest_runs.id"],
            name=op.f("fk_status_observations_run_id_ingest_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_observations")),
    )
    with op.batch_alter_table("status_observations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_observations_subject", ["platform_id", "subject_key"], unique=False
        )

    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("host")
        batch_op.drop_column("pid")

    with op.batch_alter_table("status_observations", schema=None) as batch_op:
        batch_op.drop_index("ix_status_observations_subject")

    op.drop_table("status_observations")
