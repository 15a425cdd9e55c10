"""Queue filters on cases (organisation, language); escalation state of referrals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:26:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_cases_agency_queue", ["agency_id", "priority", "opened_at", "id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_referrals_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_due")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("escalation_level")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_cases_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_index("ix_cases_agency_queue")
        batch_op.drop_column("language")
        batch_op.drop_column("organisation_id")
