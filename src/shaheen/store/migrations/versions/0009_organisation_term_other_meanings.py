"""An acronym's other common meanings (TTP the blood disorder), kept with the term.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation_terms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("other_meanings", sa.Text(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation_terms", schema=None) as batch_op:
        batch_op.drop_column("other_meanings")
