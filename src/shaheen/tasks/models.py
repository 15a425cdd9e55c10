"""Tasks, each recipient's part of one, their history, attachments, linked cases, a
regulator's phone numbers with outcomes, and templates of recurring tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shaheen.store.base import Base, BigId, JSONDoc, StrEnumType, utcnow
from shaheen.tasks.enums import NumberOutcome, TaskKind, TaskStatus, TaskStep


class TaskTemplate(Base):
    """A recurring task (a weekly return from each province): `issue_due` issues the
    instance of each period once."""

    __tablename__ = "task_templates"
    __table_args__ = (UniqueConstraint("issuer_agency_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    issuer_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TaskKind] = mapped_column(StrEnumType(TaskKind), default=TaskKind.RETURN)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: the recipient agencies' ids
    recipients: Mapped[list[Any]] = mapped_column(JSONDoc, default=list)
    every_days: Mapped[int]
    due_days: Mapped[int]
    starts_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Task(Base):
    """What one agency asked of others, by when."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("template_id", "period_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    issuer_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TaskKind] = mapped_column(StrEnumType(TaskKind), default=TaskKind.GENERAL)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("task_templates.id"))
    period_start: Mapped[date | None] = mapped_column(Date)


class TaskAssignment(Base):
    """One recipient agency's part of a task, with its own status and clock."""

    __tablename__ = "task_assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "agency_id"),
        Index("ix_task_assignments_awaiting", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[TaskStatus] = mapped_column(StrEnumType(TaskStatus), default=TaskStatus.ISSUED)
    due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TaskEvent(Base):
    """One step in a task's history: who did what, when, with a note."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_assignments.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[TaskStep] = mapped_column(StrEnumType(TaskStep))
    from_status: Mapped[TaskStatus | None] = mapped_column(StrEnumType(TaskStatus))
    to_status: Mapped[TaskStatus | None] = mapped_column(StrEnumType(TaskStatus))
    actor: Mapped[str] = mapped_column(String(100))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskAttachment(Base):
    """A file given with a task (the issuer's) or an answer (a recipient's), kept in the
    content-addressed attachment store by SHA-256."""

    __tablename__ = "task_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    #: None for the issuer's; else the recipient's part it answers
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_assignments.id", ondelete="CASCADE")
    )
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskCase(Base):
    """A case linked to a task, and the share that lets the recipients read it."""

    __tablename__ = "task_cases"
    __table_args__ = (UniqueConstraint("task_id", "case_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    share_id: Mapped[int | None] = mapped_column(ForeignKey("shares.id"))


class TaskNumber(Base):
    """A phone number a regulator is asked to act on, and what it did."""

    __tablename__ = "task_numbers"
    __table_args__ = (UniqueConstraint("assignment_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("task_assignments.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32), index=True)
    #: how many referred accounts used it when the task was issued
    accounts: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[NumberOutcome | None] = mapped_column(StrEnumType(NumberOutcome))
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None]
