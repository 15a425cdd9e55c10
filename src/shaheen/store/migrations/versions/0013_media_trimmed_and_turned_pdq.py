"""Media: the PDQ of a picture with its bars trimmed, and of its other orientations.

Images hashed before this revision have neither, so they are made due for hashing (and
so for matching) again: the next scan computes them, finding mirrored, rotated and
letterboxed copies among media collected earlier.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdq_trimmed", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "pdq_dihedral",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    media = sa.table(
        "media",
        sa.column("pdq", sa.String),
        sa.column("hashed_at", sa.DateTime(timezone=True)),
        sa.column("matched_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        media.update().where(media.c.pdq.is_not(None)).values(hashed_at=None, matched_at=None)
    )


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_column("pdq_dihedral")
        batch_op.drop_column("pdq_trimmed")
