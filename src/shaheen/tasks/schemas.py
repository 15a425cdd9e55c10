"""Typed shapes the task services return (the CLI prints them, the API renders them)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from shaheen.tasks.enums import NumberOutcome, TaskKind, TaskStatus, TaskStep


class EventView(BaseModel):
    step: TaskStep
    agency: str | None  # the recipient's part it concerns; None for the whole task
    from_status: TaskStatus | None
    to_status: TaskStatus | None
    actor: str
    note: str
    occurred_at: datetime


class AttachmentView(BaseModel):
    id: int
    agency: str | None  # the recipient that gave it with an answer; None: the issuer's
    file_name: str
    sha256: str
    size_bytes: int
    mime_type: str
    uploaded_by: str
    created_at: datetime


class NumberView(BaseModel):
    number: str
    accounts: int
    outcome: NumberOutcome | None
    reason: str
    recorded_at: datetime | None


class AssignmentView(BaseModel):
    """One recipient agency's part of a task."""

    agency: str
    status: TaskStatus
    due_at: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    accepted_at: datetime | None
    late_hours: float | None  # how late the (latest) answer came
    escalation_level: int  # 0 none, 1 reminder, 2 the issuer's supervisors
    numbers: list[NumberView]


class TaskView(BaseModel):
    """A task as the caller may see it: the issuer every recipient's part, a recipient
    only its own."""

    id: int
    kind: TaskKind
    title: str
    body: str
    issuer: str
    issued_by: str
    created_at: datetime
    due_at: datetime
    cases: list[int]
    assignments: list[AssignmentView]
    attachments: list[AttachmentView]
    events: list[EventView]
    period_start: date | None


class TaskRow(BaseModel):
    """A line of the task list."""

    id: int
    kind: TaskKind
    title: str
    issuer: str
    agency: str  # the recipient this line is about
    status: TaskStatus
    due_at: datetime
    overdue: bool
    escalation_level: int


class TaskEscalation(BaseModel):
    task: int
    agency: str
    level: int
    overdue_hours: float


class NumberOutcomeCounts(BaseModel):
    """Phone numbers sent to regulators and what became of them, from the records."""

    sent: int
    pending: int
    sim_blocked: int
    not_found: int
    not_in_use: int
    refused: int


class TemplateView(BaseModel):
    id: int
    name: str
    title: str
    kind: TaskKind
    recipients: list[str]
    every_days: int
    due_days: int
    starts_on: date
    active: bool
