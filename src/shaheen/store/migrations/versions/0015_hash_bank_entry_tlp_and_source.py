"""Each bank entry keeps the TLP marking and the sharing organisation it arrived with.

Entries stored before this revision arrived with their bank's marking and source (the
bank was the only place either was kept), so they take their bank's.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TLP = sa.Enum(
    "clear", "green", "amber", "amber+strict", "red", name="tlp", native_enum=False, length=32
)


def upgrade() -> None:
    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tlp", TLP, nullable=False, server_default="amber"))
        batch_op.add_column(
            sa.Column("source", sa.String(length=200), nullable=False, server_default="local")
        )
    op.execute(
        "UPDATE hash_bank_entries SET "
        "tlp = (SELECT hash_banks.tlp FROM hash_banks WHERE hash_banks.id = "
        "hash_bank_entries.bank_id), "
        "source = (SELECT hash_banks.source FROM hash_banks WHERE hash_banks.id = "
        "hash_bank_entries.bank_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("tlp")
