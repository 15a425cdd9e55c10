"""A bank entry's category (positive, investigation seed, or a partner's known false
positive), as ThreatExchange CSV files give it; existing entries were positives.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = ("positive_class", "investigation_seed", "negative_class")


def upgrade() -> None:
    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category",
                sa.Enum(*CATEGORIES, name="entrycategory", native_enum=False, length=32),
                nullable=False,
                server_default="positive_class",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.drop_column("category")
