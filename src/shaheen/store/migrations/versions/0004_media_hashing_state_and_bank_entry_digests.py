"""Media hashing state; bank entries unique by the digest of their value.

A vPDQ value can exceed what a PostgreSQL index row holds, so entries are unique on
the SHA-256 of the value instead of the value itself; existing rows get their digest
computed here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:11:23
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
    entries = sa.table(
        "hash_bank_entries",
        sa.column("id", sa.Integer),
        sa.column("value", sa.Text),
        sa.column("digest", sa.String),
    )
    connection = op.get_bind()
    for entry_id, value in connection.execute(sa.select(entries.c.id, entries.c.value)).all():
        digest = hashlib.sha256(value.encode()).hexdigest()
        connection.execute(entries.update().where(entries.c.id == entry_id).values(digest=digest))
    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.alter_column("digest", existing_type=sa.String(length=64), nullable=False)
        batch_op.add_column(sa.Column("quality", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("media_type", sa.String(length=16), nullable=True))
        batch_op.drop_constraint(
            batch_op.f("uq_hash_bank_entries_bank_id_signal_type_value"), type_="unique"
        )
        batch_op.create_index("ix_hash_bank_entries_digest", ["digest"], unique=False)
        batch_op.create_index(
            "ix_hash_bank_entries_signal_type_id", ["signal_type", "id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_hash_bank_entries_bank_id_signal_type_digest"),
            ["bank_id", "signal_type", "digest"],
        )

    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hashed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hash_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_media_hashed_at"), ["hashed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_matched_at"), ["matched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_matched_at"))
        batch_op.drop_index(batch_op.f("ix_media_hashed_at"))
        batch_op.drop_column("matched_at")
        batch_op.drop_column("hash_error")
        batch_op.drop_column("hashed_at")

    with op.batch_alter_table("hash_bank_entries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_hash_bank_entries_bank_id_signal_type_digest"), type_="unique"
        )
        batch_op.drop_index("ix_hash_bank_entries_signal_type_id")
        batch_op.drop_index("ix_hash_bank_entries_digest")
        batch_op.create_unique_constraint(
            batch_op.f("uq_hash_bank_entries_bank_id_signal_type_value"),
            ["bank_id", "signal_type", "value"],
        )
        batch_op.drop_column("media_type")
        batch_op.drop_column("quality")
        batch_op.drop_column("digest")
