"""`pending_assessments`: accounts with new evidence stored (a scanned post) whose risk is
not yet assessed from it. The scan stores a batch of posts' findings and queues their
accounts in one transaction, and assesses queued accounts later, once for many posts,
taking them off the queue in the transaction of the assessment and its intake: a crash
between the two leaves them queued, never forgotten. A narrow table of its own, so
that queueing an account writes a small row instead of a new version of the account's.
`urgent`: a queued post names an organisation or reads as propaganda; a long scan
assesses those as it goes, the rest when its posts are done.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-12 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_assessments",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_pending_assessments_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_pending_assessments")),
    )


def downgrade() -> None:
    op.drop_table("pending_assessments")
