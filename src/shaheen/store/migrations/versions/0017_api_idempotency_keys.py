"""Idempotency keys of the HTTP API's creates (`api_idempotency_keys`): the caller's key,
the request's SHA-256 and the response it got, kept a day.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "api_idempotency_keys",
        sa.Column("id", _ID, nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", _JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_idempotency_keys")),
        sa.UniqueConstraint("owner", "key", name=op.f("uq_api_idempotency_keys_owner_key")),
    )
    with op.batch_alter_table("api_idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_idempotency_keys_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_idempotency_keys_created_at"))
    op.drop_table("api_idempotency_keys")
