"""Sharing between agencies and tasks: `shares` and `share_recipients` (a case, bank or
indicator list shared with named agencies or people, revocable); `tasks`, each
recipient's part (`task_assignments`), their history, attachments, linked cases, a
regulator's phone numbers with outcomes, and templates of recurring tasks.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", _ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum("case", "bank", "indicators", name="sharedkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("object_key", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "tlp",
            sa.Enum(
                "clear",
                "green",
                "amber",
                "amber+strict",
                "red",
                name="tlp",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("everyone", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("shared_by_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agencies.id"], name=op.f("fk_shares_owner_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_shares_revoked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_id"], ["users.id"], name=op.f("fk_shares_shared_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
    )
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.create_index("ix_shares_object", ["kind", "object_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shares_owner_agency_id"), ["owner_agency_id"], unique=False
        )

    op.create_table(
        "task_templates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("issuer_agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "general",
                "review_accounts",
                "phone_numbers",
                "return",
                name="taskkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recipients", _JSON, nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_task_templates_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_agency_id"],
            ["agencies.id"],
            name=op.f("fk_task_templates_issuer_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_templates")),
        sa.UniqueConstraint(
            "issuer_agency_id", "name", name=op.f("uq_task_templates_issuer_agency_id_name")
        ),
    )
    op.create_table(
        "share_recipients",
        sa.Column("id", _ID, nullable=False),
        sa.Column("share_id", _ID, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_share_recipients_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["shares.id"],
            name=op.f("fk_share_recipients_share_id_shares"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_share_recipients_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_recipients")),
    )
    with op.batch_alter_table("share_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_share_recipients_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_share_recipients_share_id"), ["share_id"], unique=False
        )

    op.create_table(
        "tasks",
        sa.Column("id", _ID, nullable=False),
        sa.Column("issuer_agency_id", sa.Integer(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "general",
                "review_accounts",
                "phone_numbers",
                "return",
                name="taskkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("template_id", _ID, nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_tasks_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_agency_id"], ["agencies.id"], name=op.f("fk_tasks_issuer_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["task_templates.id"], name=op.f("fk_tasks_template_id_task_templates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint(
            "template_id", "period_start", name=op.f("uq_tasks_template_id_period_start")
        ),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tasks_issuer_agency_id"), ["issuer_agency_id"], unique=False
        )

    op.create_table(
        "task_assignments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("task_id", _ID, nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "issued",
                "acknowledged",
                "answered",
                "closed",
                "accepted",
                "reopened",
                name="taskstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_task_assignments_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_assignments_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_assignments")),
        sa.UniqueConstraint(
            "task_id", "agency_id", name=op.f("uq_task_assignments_task_id_agency_id")
        ),
    )
    with op.batch_alter_table("task_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_assignments_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index("ix_task_assignments_awaiting", ["status", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_assignments_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_cases",
        sa.Column("id", _ID, nullable=False),
        sa.Column("task_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("share_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_task_cases_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["shares.id"], name=op.f("fk_task_cases_share_id_shares")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_cases_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_cases")),
        sa.UniqueConstraint("task_id", "case_id", name=op.f("uq_task_cases_task_id_case_id")),
    )
    op.create_table(
        "task_attachments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("task_id", _ID, nullable=False),
        sa.Column("assignment_id", _ID, nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["task_assignments.id"],
            name=op.f("fk_task_attachments_assignment_id_task_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_attachments_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_task_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attachments")),
    )
    with op.batch_alter_table("task_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_attachments_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("task_id", _ID, nullable=False),
        sa.Column("assignment_id", _ID, nullable=True),
        sa.Column(
            "step",
            sa.Enum(
                "issue",
                "acknowledge",
                "answer",
                "close",
                "accept",
                "reopen",
                "attach",
                "remind",
                "escalate",
                "outcome",
                name="taskstep",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "from_status",
            sa.Enum(
                "issued",
                "acknowledged",
                "answered",
                "closed",
                "accepted",
                "reopened",
                name="taskstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "issued",
                "acknowledged",
                "answered",
                "closed",
                "accepted",
                "reopened",
                name="taskstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_task_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["task_assignments.id"],
            name=op.f("fk_task_events_assignment_id_task_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_events_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_events")),
    )
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_events_assignment_id"), ["assignment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_task_events_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_numbers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("assignment_id", _ID, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "sim_blocked",
                "not_found",
                "not_in_use",
                "refused",
                name="numberoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["task_assignments.id"],
            name=op.f("fk_task_numbers_assignment_id_task_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_task_numbers_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_numbers")),
        sa.UniqueConstraint(
            "assignment_id", "number", name=op.f("uq_task_numbers_assignment_id_number")
        ),
    )
    with op.batch_alter_table("task_numbers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_numbers_assignment_id"), ["assignment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_task_numbers_number"), ["number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_numbers_number"))
        batch_op.drop_index(batch_op.f("ix_task_numbers_assignment_id"))

    op.drop_table("task_numbers")
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_events_task_id"))
        batch_op.drop_index(batch_op.f("ix_task_events_assignment_id"))

    op.drop_table("task_events")
    with op.batch_alter_table("task_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_attachments_task_id"))

    op.drop_table("task_attachments")
    op.drop_table("task_cases")
    with op.batch_alter_table("task_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_assignments_task_id"))
        batch_op.drop_index("ix_task_assignments_awaiting")
        batch_op.drop_index(batch_op.f("ix_task_assignments_agency_id"))

    op.drop_table("task_assignments")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_issuer_agency_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("share_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_recipients_share_id"))
        batch_op.drop_index(batch_op.f("ix_share_recipients_agency_id"))

    op.drop_table("share_recipients")
    op.drop_table("task_templates")
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shares_owner_agency_id"))
        batch_op.drop_index("ix_shares_object")

    op.drop_table("shares")
