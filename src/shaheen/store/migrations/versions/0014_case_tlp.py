"""Cases carry a TLP marking (default AMBER): what the fusion centre may read.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TLP = sa.Enum(
    "clear", "green", "amber", "amber+strict", "red", name="tlp", native_enum=False, length=32
)


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("tlp", TLP, nullable=False, server_default="amber"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("tlp")
