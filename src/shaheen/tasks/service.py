"""Tasks between agencies, with `rules.py` applied: issuing (with linked cases shared
with the recipients, and attachments), each recipient's moves, the issuer's, the
overdue job, regulator tasks and their outcomes, and templates of recurring tasks.

Services only flush; the caller owns the transaction. Every step is a `task_events`
row and an audit entry: a recipient's steps in the recipient's part of the audit log,
the issuer's (and escalations to the issuer's supervisors) in the issuer's.

Who sees what: the issuing agency sees every recipient's part; a recipient agency the
task and its own part only, never another recipient's answers, numbers or files;
everyone else is told the task does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shaheen.access.rules import Action, Principal, require
from shaheen.agencies.enums import AgencyKind
from shaheen.agencies.models import Agency, User
from shaheen.audit import service as audit
from shaheen.errors import BadInput, Forbidden, NotFound
from shaheen.review import service as review
from shaheen.sharing import service as sharing
from shaheen.store.base import utcnow
from shaheen.tasks import rules, shares
from shaheen.tasks.attachments import StoredAttachment
from shaheen.tasks.enums import NumberOutcome, TaskKind, TaskStatus, TaskStep
from shaheen.tasks.models import (
    Task,
    TaskAssignment,
    TaskAttachment,
    TaskCase,
    TaskEvent,
    TaskNumber,
    TaskTemplate,
)
from shaheen.tasks.schemas import (
    AssignmentView,
    AttachmentView,
    EventView,
    NumberOutcomeCounts,
    NumberView,
    TaskEscalation,
    TaskRow,
    TaskView,
    TemplateView,
)

JOB = "system:tasks"


# --- helpers ------------------------------------------------------------------------------


def _agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(f"no agency {code!r} (`shaheen agency list`)")
    return agency


def _code(session: Session, agency_id: int | None) -> str:
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    return agency.code if agency else ""


def _event(
    session: Session,
    task: Task,
    step: TaskStep,
    *,
    actor: str,
    actor_id: int | None,
    assignment: TaskAssignment | None = None,
    from_status: TaskStatus | None = None,
    to_status: TaskStatus | None = None,
    note: str = "",
    at: datetime | None = None,
    audit_agency_id: int | None = None,
    details: dict[str, object] | None = None,
) -> None:
    """One history row and its audit entry."""
    at = at or utcnow()
    session.add(
        TaskEvent(
            task_id=task.id,
            assignment_id=assignment.id if assignment else None,
            step=step,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_id=actor_id,
            note=note,
            occurred_at=at,
        )
    )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"task.{step.value}",
        object_type="task",
        object_id=task.id,
        user_id=actor_id,
        agency_id=audit_agency_id,
        occurred_at=at,
        details={
            **({"agency": _code(session, assignment.agency_id)} if assignment else {}),
            **({"status": to_status.value} if to_status else {}),
            **({"note": note} if note else {}),
            **(details or {}),
        },
    )


def _visible_task(session: Session, by: Principal, task_id: int) -> Task:
    """The task, if `by`'s agency issued or received it; else not found."""
    require(by, Action.TASK_READ)
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if by.is_system or by.agency_id == task.issuer_agency_id:
        return task
    mine = session.scalar(
        select(TaskAssignment.id).where(
            TaskAssignment.task_id == task_id, TaskAssignment.agency_id == by.agency_id
        )
    )
    if mine is None:
        raise NotFound(f"no task {task_id}")
    return task


def _own_part(session: Session, by: Principal, task: Task) -> TaskAssignment:
    part = session.scalar(
        select(TaskAssignment).where(
            TaskAssignment.task_id == task.id, TaskAssignment.agency_id == by.agency_id
        )
    )
    if part is None:
        raise NotFound(f"task {task.id} was not given to your agency")
    return part


def _part_of(session: Session, task: Task, code: str) -> TaskAssignment:
    agency = _agency(session, code)
    part = session.scalar(
        select(TaskAssignment).where(
            TaskAssignment.task_id == task.id, TaskAssignment.agency_id == agency.id
        )
    )
    if part is None:
        raise NotFound(f"task {task.id} was not given to {code}")
    return part


def _move(
    session: Session,
    by: Principal,
    task: Task,
    part: TaskAssignment,
    target: TaskStatus,
    step: TaskStep,
    *,
    issuer: bool,
    note: str = "",
    now: datetime,
) -> None:
    rules.check_mover(target, issuer=issuer)
    rules.check_transition(part.status, target)
    previous, part.status = part.status, target
    details: dict[str, object] = {}
    if target is TaskStatus.ACKNOWLEDGED:
        part.acknowledged_at = part.acknowledged_at or now
    elif target is TaskStatus.ANSWERED:
        part.answered_at = now
        late = rules.late_hours(now, part.due_at)
        if late is not None:
            details["late_hours"] = late
    elif target is TaskStatus.CLOSED:
        part.closed_at = now
    elif target is TaskStatus.ACCEPTED:
        part.accepted_at = now
    session.flush()
    _event(
        session,
        task,
        step,
        actor=by.actor,
        actor_id=by.user_id,
        assignment=part,
        from_status=previous,
        to_status=target,
        note=note,
        at=now,
        audit_agency_id=task.issuer_agency_id if issuer else part.agency_id,
        details=details,
    )


def _attach(
    session: Session,
    task: Task,
    part: TaskAssignment | None,
    stored: StoredAttachment,
    by: Principal,
    now: datetime,
) -> TaskAttachment:
    assert by.user_id is not None  # acting_person checked it
    row = TaskAttachment(
        task_id=task.id,
        assignment_id=part.id if part else None,
        file_name=stored.file_name,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        mime_type=stored.mime_type,
        uploaded_by_id=by.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _event(
        session,
        task,
        TaskStep.ATTACH,
        actor=by.actor,
        actor_id=by.user_id,
        assignment=part,
        note=stored.file_name,
        at=now,
        audit_agency_id=by.agency_id,
        details={"sha256": stored.sha256, "size_bytes": stored.size_bytes},
    )
    return row


# --- issuing --------------------------------------------------------------------------------


def _create(
    session: Session,
    *,
    issuer_agency_id: int,
    issued_by_id: int,
    actor: str,
    title: str,
    recipients: Sequence[int],
    due_at: datetime,
    body: str,
    kind: TaskKind,
    now: datetime,
    template_id: int | None = None,
    period: date | None = None,
) -> Task:
    if not title.strip():
        raise BadInput("a task needs a title")
    if not recipients:
        raise BadInput("name the agencies the task is for (--to)")
    if issuer_agency_id in recipients:
        raise BadInput("a task goes to other agencies, not to one's own")
    rules.check_due(due_at, now)
    task = Task(
        issuer_agency_id=issuer_agency_id,
        issued_by_id=issued_by_id,
        kind=kind,
        title=title.strip()[:200],
        body=body,
        due_at=due_at,
        created_at=now,
        template_id=template_id,
        period_start=period,
    )
    session.add(task)
    session.flush()
    for agency_id in dict.fromkeys(recipients):
        session.add(TaskAssignment(task_id=task.id, agency_id=agency_id, due_at=due_at))
    session.flush()
    _event(
        session,
        task,
        TaskStep.ISSUE,
        actor=actor,
        actor_id=issued_by_id,
        to_status=TaskStatus.ISSUED,
        at=now,
        audit_agency_id=issuer_agency_id,
        details={
            "title": task.title,
            "recipients": [_code(session, a) for a in dict.fromkeys(recipients)],
            "due_at": due_at.isoformat(),
        },
    )
    return task


def issue(
    *,
    session: Session,
    by: Principal,
    title: str,
    recipients: Sequence[str],
    due_at: datetime | None = None,
    due_days: int | None = None,
    body: str = "",
    kind: TaskKind = TaskKind.GENERAL,
    case_ids: Sequence[int] = (),
    attachments: Sequence[StoredAttachment] = (),
    now: datetime | None = None,
) -> int:
    """Issue a task from `by`'s agency to the agencies named by code, due at `due_at`
    (or `due_days` from now). Linked cases must be the issuer's own, and are shared
    with the recipients (as far as their TLP allows: a RED case is refused)."""
    person = sharing.acting_person(session, by, Action.TASK_ISSUE)
    now = now or utcnow()
    if due_at is None:
        if due_days is None:
            raise BadInput("give the task a deadline (--due-days or --due)")
        due_at = now + timedelta(days=due_days)
    agencies = [_agency(session, code) for code in recipients]
    assert by.agency_id is not None  # a person's
    task = _create(
        session,
        issuer_agency_id=by.agency_id,
        issued_by_id=person.id,
        actor=by.actor,
        title=title,
        recipients=[a.id for a in agencies],
        due_at=due_at,
        body=body,
        kind=kind,
        now=now,
    )
    for case_id in dict.fromkeys(case_ids):
        view = shares.share_object(
            session=session,
            by=by,
            kind=shares.SharedKind.CASE,
            key=str(case_id),
            agencies=[a.code for a in agencies],
            note=f"linked to task {task.id}",
        )
        session.add(TaskCase(task_id=task.id, case_id=case_id, share_id=view.id))
    session.flush()
    for stored in attachments:
        _attach(session, task, None, stored, by, now)
    return task.id


# --- the recipient's moves -----------------------------------------------------------------


def acknowledge(
    *, session: Session, by: Principal, task_id: int, now: datetime | None = None
) -> None:
    sharing.acting_person(session, by, Action.TASK_WORK)
    task = _visible_task(session, by, task_id)
    part = _own_part(session, by, task)
    _move(
        session,
        by,
        task,
        part,
        TaskStatus.ACKNOWLEDGED,
        TaskStep.ACKNOWLEDGE,
        issuer=False,
        now=now or utcnow(),
    )


def answer(
    *,
    session: Session,
    by: Principal,
    task_id: int,
    text: str,
    attachments: Sequence[StoredAttachment] = (),
    now: datetime | None = None,
) -> None:
    """The recipient's answer (again, if it likes), with attachments."""
    sharing.acting_person(session, by, Action.TASK_WORK)
    if not text.strip() and not attachments:
        raise BadInput("an answer needs a text or an attachment")
    now = now or utcnow()
    task = _visible_task(session, by, task_id)
    part = _own_part(session, by, task)
    _move(
        session,
        by,
        task,
        part,
        TaskStatus.ANSWERED,
        TaskStep.ANSWER,
        issuer=False,
        note=text,
        now=now,
    )
    for stored in attachments:
        _attach(session, task, part, stored, by, now)


def close(
    *, session: Session, by: Principal, task_id: int, note: str = "", now: datetime | None = None
) -> None:
    sharing.acting_person(session, by, Action.TASK_WORK)
    task = _visible_task(session, by, task_id)
    part = _own_part(session, by, task)
    _move(
        session,
        by,
        task,
        part,
        TaskStatus.CLOSED,
        TaskStep.CLOSE,
        issuer=False,
        note=note,
        now=now or utcnow(),
    )


def attach(
    *,
    session: Session,
    by: Principal,
    task_id: int,
    stored: StoredAttachment,
    now: datetime | None = None,
) -> int:
    """Add a file to the task (the issuer) or to one's own part of it (a recipient)."""
    task = _visible_task(session, by, task_id)
    if by.agency_id == task.issuer_agency_id:
        sharing.acting_person(session, by, Action.TASK_ISSUE)
        part = None
    else:
        sharing.acting_person(session, by, Action.TASK_WORK)
        part = _own_part(session, by, task)
        if part.status in rules.SETTLED:
            raise BadInput(f"task {task.id} is accepted: nothing more to add")
    return _attach(session, task, part, stored, by, now or utcnow()).id


# --- the issuer's moves ----------------------------------------------------------------------


def _issuer_task(session: Session, by: Principal, task_id: int) -> Task:
    sharing.acting_person(session, by, Action.TASK_ISSUE)
    task = _visible_task(session, by, task_id)
    if by.agency_id != task.issuer_agency_id:
        raise Forbidden("only the issuing agency accepts or reopens a task")
    return task


def accept(
    *,
    session: Session,
    by: Principal,
    task_id: int,
    agency: str,
    note: str = "",
    now: datetime | None = None,
) -> None:
    task = _issuer_task(session, by, task_id)
    part = _part_of(session, task, agency)
    _move(
        session,
        by,
        task,
        part,
        TaskStatus.ACCEPTED,
        TaskStep.ACCEPT,
        issuer=True,
        note=note,
        now=now or utcnow(),
    )


def reopen(
    *,
    session: Session,
    by: Principal,
    task_id: int,
    agency: str,
    note: str,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Back to the recipient, saying what is missing; a new deadline restarts the clock
    (and its escalation)."""
    if not note.strip():
        raise BadInput("say what is missing (--note)")
    now = now or utcnow()
    task = _issuer_task(session, by, task_id)
    part = _part_of(session, task, agency)
    _move(
        session,
        by,
        task,
        part,
        TaskStatus.REOPENED,
        TaskStep.REOPEN,
        issuer=True,
        note=note,
        now=now,
    )
    if due_at is not None:
        rules.check_due(due_at, now)
        part.due_at, part.escalation_level, part.escalated_at = due_at, 0, None
        session.flush()


# --- the clock ----------------------------------------------------------------------------------


def escalate_overdue(
    *, session: Session, now: datetime | None = None, actor: str = JOB
) -> list[TaskEscalation]:
    """Raise every overdue recipient's part to the level its delay calls for: a reminder
    to the recipient, then the issuer's supervisors' list. Returns what changed; running
    it again changes nothing until the next level is due."""
    now = now or utcnow()
    changed: list[TaskEscalation] = []
    rows = session.execute(
        select(TaskAssignment, Task)
        .join(Task, Task.id == TaskAssignment.task_id)
        .where(TaskAssignment.status.in_(rules.AWAITING), TaskAssignment.due_at <= now)
        .order_by(TaskAssignment.id)
    ).all()
    for part, task in rows:
        level = rules.escalation_due(part.status, part.due_at, part.escalation_level, now)
        if level == part.escalation_level:
            continue
        overdue = round((now - part.due_at).total_seconds() / 3600, 1)
        reminded = part.escalation_level >= rules.REMINDER
        part.escalation_level, part.escalated_at = level, now
        session.flush()
        if not reminded:  # a reminder first, even when both are due at once
            _event(
                session,
                task,
                TaskStep.REMIND,
                actor=actor,
                actor_id=None,
                assignment=part,
                note=f"due {overdue:.0f} h ago: a reminder to {_code(session, part.agency_id)}",
                at=now,
                audit_agency_id=part.agency_id,
                details={"overdue_hours": overdue},
            )
        if level >= rules.SUPERVISOR:
            _event(
                session,
                task,
                TaskStep.ESCALATE,
                actor=actor,
                actor_id=None,
                assignment=part,
                note=f"no answer {overdue:.0f} h after the deadline: on the issuer's "
                "supervisors' list",
                at=now,
                audit_agency_id=task.issuer_agency_id,
                details={"overdue_hours": overdue},
            )
        changed.append(
            TaskEscalation(
                task=task.id,
                agency=_code(session, part.agency_id),
                level=level,
                overdue_hours=overdue,
            )
        )
    return changed


def supervisors_list(*, session: Session, by: Principal) -> list[TaskRow]:
    """Parts of tasks `by`'s agency issued that escalated to its supervisors and are
    still unanswered."""
    require(by, Action.TASK_ISSUE)
    return [
        row
        for row in task_rows(session=session, by=by)
        if row.issuer == _code(session, by.agency_id)
        and row.escalation_level >= rules.SUPERVISOR
        and row.status in rules.AWAITING
    ]


# --- reading -----------------------------------------------------------------------------------


def task_rows(*, session: Session, by: Principal, now: datetime | None = None) -> list[TaskRow]:
    """A line per recipient's part of every task `by`'s agency issued or received (a
    recipient sees only its own part), newest first."""
    require(by, Action.TASK_READ)
    now = now or utcnow()
    issuer = Agency.__table__.alias("issuer")
    statement = (
        select(Task, TaskAssignment, issuer.c.code, Agency.code)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .join(issuer, issuer.c.id == Task.issuer_agency_id)
        .join(Agency, Agency.id == TaskAssignment.agency_id)
        .order_by(Task.id.desc(), Agency.code)
    )
    if not by.is_system:
        statement = statement.where(
            (Task.issuer_agency_id == by.agency_id) | (TaskAssignment.agency_id == by.agency_id)
        )
    return [
        TaskRow(
            id=task.id,
            kind=task.kind,
            title=task.title,
            issuer=issuer_code,
            agency=code,
            status=part.status,
            due_at=part.due_at,
            overdue=part.status in rules.AWAITING and part.due_at <= now,
            escalation_level=part.escalation_level,
        )
        for task, part, issuer_code, code in session.execute(statement)
    ]


def task_view(*, session: Session, by: Principal, task_id: int) -> TaskView:
    task = _visible_task(session, by, task_id)
    parts_q = select(TaskAssignment).where(TaskAssignment.task_id == task.id)
    if not (by.is_system or by.agency_id == task.issuer_agency_id):
        parts_q = parts_q.where(TaskAssignment.agency_id == by.agency_id)
    parts = list(session.scalars(parts_q.order_by(TaskAssignment.id)))
    seen = {p.id for p in parts}
    codes = {p.id: _code(session, p.agency_id) for p in parts}
    assignments = []
    for part in parts:
        numbers = session.scalars(
            select(TaskNumber)
            .where(TaskNumber.assignment_id == part.id)
            .order_by(TaskNumber.number)
        )
        assignments.append(
            AssignmentView(
                agency=codes[part.id],
                status=part.status,
                due_at=part.due_at,
                acknowledged_at=part.acknowledged_at,
                answered_at=part.answered_at,
                closed_at=part.closed_at,
                accepted_at=part.accepted_at,
                late_hours=rules.late_hours(part.answered_at, part.due_at)
                if part.answered_at
                else None,
                escalation_level=part.escalation_level,
                numbers=[
                    NumberView(
                        number=n.number,
                        accounts=n.accounts,
                        outcome=n.outcome,
                        reason=n.reason,
                        recorded_at=n.recorded_at,
                    )
                    for n in numbers
                ],
            )
        )
    users: dict[int, str] = {}

    def username(user_id: int) -> str:
        if user_id not in users:
            user = session.get(User, user_id)
            users[user_id] = user.username if user else ""
        return users[user_id]

    attachments = [
        AttachmentView(
            id=a.id,
            agency=codes.get(a.assignment_id) if a.assignment_id else None,
            file_name=a.file_name,
            sha256=a.sha256,
            size_bytes=a.size_bytes,
            mime_type=a.mime_type,
            uploaded_by=username(a.uploaded_by_id),
            created_at=a.created_at,
        )
        for a in session.scalars(
            select(TaskAttachment)
            .where(TaskAttachment.task_id == task.id)
            .order_by(TaskAttachment.id)
        )
        if a.assignment_id is None or a.assignment_id in seen
    ]
    events = [
        EventView(
            step=e.step,
            agency=codes.get(e.assignment_id) if e.assignment_id else None,
            from_status=e.from_status,
            to_status=e.to_status,
            actor=e.actor,
            note=e.note,
            occurred_at=e.occurred_at,
        )
        for e in session.scalars(
            select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)
        )
        if e.assignment_id is None or e.assignment_id in seen
    ]
    cases = list(
        session.scalars(
            select(TaskCase.case_id).where(TaskCase.task_id == task.id).order_by(TaskCase.case_id)
        )
    )
    return TaskView(
        id=task.id,
        kind=task.kind,
        title=task.title,
        body=task.body,
        issuer=_code(session, task.issuer_agency_id),
        issued_by=username(task.issued_by_id),
        created_at=task.created_at,
        due_at=task.due_at,
        cases=cases,
        assignments=assignments,
        attachments=attachments,
        events=events,
        period_start=task.period_start,
    )


def attachment(
    *, session: Session, by: Principal, task_id: int, attachment_id: int
) -> AttachmentView:
    """One attachment `by` may read: the issuer's (every recipient), or a recipient's
    (that recipient and the issuer)."""
    view = task_view(session=session, by=by, task_id=task_id)
    for found in view.attachments:
        if found.id == attachment_id:
            return found
    raise NotFound(f"no attachment {attachment_id} on task {task_id}")


# --- regulator tasks --------------------------------------------------------------------------


def issue_numbers(
    *,
    session: Session,
    by: Principal,
    regulator: str,
    due_days: int = 7,
    min_score: float = 0.0,
    title: str = "",
    now: datetime | None = None,
) -> int | None:
    """A task for the regulator with the phone numbers found in cases a person of `by`'s
    agency referred (never undecided or dismissed ones), leaving out numbers already
    sent to that regulator; None when no number is new."""
    sharing.acting_person(session, by, Action.TASK_ISSUE)
    target = _agency(session, regulator)
    if target.kind is not AgencyKind.REGULATOR:
        raise BadInput(f"{regulator} is not a regulator (its kind is {target.kind.value})")
    found = review.referred_indicators(
        session=session, by=by, kind="phone", min_score=min_score, agency_id=by.agency_id
    )
    sent = set(
        session.scalars(
            select(TaskNumber.number)
            .join(TaskAssignment, TaskAssignment.id == TaskNumber.assignment_id)
            .join(Task, Task.id == TaskAssignment.task_id)
            .where(Task.issuer_agency_id == by.agency_id, TaskAssignment.agency_id == target.id)
        )
    )
    fresh = [entry for entry in found if entry.value not in sent]
    if not fresh:
        return None
    now = now or utcnow()
    task_id = issue(
        session=session,
        by=by,
        title=title or f"Act on {len(fresh)} phone numbers used by referred accounts",
        recipients=[regulator],
        due_days=due_days,
        body="For each number: block the SIM, or say it was not found, is not in use, "
        "or why you refuse.",
        kind=TaskKind.PHONE_NUMBERS,
        now=now,
    )
    part = session.scalar(select(TaskAssignment).where(TaskAssignment.task_id == task_id))
    assert part is not None
    session.add_all(
        TaskNumber(assignment_id=part.id, number=entry.value, accounts=entry.accounts)
        for entry in fresh
    )
    session.flush()
    return task_id


def record_outcome(
    *,
    session: Session,
    by: Principal,
    task_id: int,
    number: str,
    outcome: NumberOutcome,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """The regulator's outcome for one number of its task (a correction is a new entry
    in the history). Once every number has an outcome, the part is answered."""
    sharing.acting_person(session, by, Action.TASK_WORK)
    rules.check_outcome(outcome, reason)
    now = now or utcnow()
    task = _visible_task(session, by, task_id)
    part = _own_part(session, by, task)
    if part.status in rules.SETTLED:
        raise BadInput(f"task {task.id} is accepted: its outcomes are final")
    row = session.scalar(
        select(TaskNumber).where(TaskNumber.assignment_id == part.id, TaskNumber.number == number)
    )
    if row is None:
        raise NotFound(f"task {task_id} has no number {number}")
    previous = row.outcome
    row.outcome, row.reason = outcome, reason.strip()
    row.recorded_by_id, row.recorded_at = by.user_id, now
    session.flush()
    _event(
        session,
        task,
        TaskStep.OUTCOME,
        actor=by.actor,
        actor_id=by.user_id,
        assignment=part,
        note=f"{number}: {outcome.value}" + (f" ({reason.strip()})" if reason.strip() else ""),
        at=now,
        audit_agency_id=part.agency_id,
        details={
            "number": number,
            "outcome": outcome.value,
            **({"previous": previous.value} if previous else {}),
        },
    )
    pending = session.scalar(
        select(func.count())
        .select_from(TaskNumber)
        .where(TaskNumber.assignment_id == part.id, TaskNumber.outcome.is_(None))
    )
    if not pending and part.status in rules.AWAITING:
        _move(
            session,
            by,
            task,
            part,
            TaskStatus.ANSWERED,
            TaskStep.ANSWER,
            issuer=False,
            note="every number has an outcome",
            now=now,
        )


def number_outcomes(
    *,
    session: Session,
    regulator_agency_id: int | None = None,
    issuer_agency_id: int | None = None,
) -> NumberOutcomeCounts:
    """Phone numbers sent to regulators and their outcomes, counted from the records
    (what the unauthorised-SIM figures of a report are): for one regulator, one issuing
    agency, or all."""
    statement = (
        select(TaskNumber.outcome, func.count())
        .join(TaskAssignment, TaskAssignment.id == TaskNumber.assignment_id)
        .join(Task, Task.id == TaskAssignment.task_id)
        .group_by(TaskNumber.outcome)
    )
    if regulator_agency_id is not None:
        statement = statement.where(TaskAssignment.agency_id == regulator_agency_id)
    if issuer_agency_id is not None:
        statement = statement.where(Task.issuer_agency_id == issuer_agency_id)
    counts: dict[NumberOutcome | None, int] = {o: n for o, n in session.execute(statement)}
    return NumberOutcomeCounts(
        sent=sum(counts.values()),
        pending=counts.get(None, 0),
        sim_blocked=counts.get(NumberOutcome.SIM_BLOCKED, 0),
        not_found=counts.get(NumberOutcome.NOT_FOUND, 0),
        not_in_use=counts.get(NumberOutcome.NOT_IN_USE, 0),
        refused=counts.get(NumberOutcome.REFUSED, 0),
    )


# --- templates ---------------------------------------------------------------------------------


def _template_view(session: Session, template: TaskTemplate) -> TemplateView:
    return TemplateView(
        id=template.id,
        name=template.name,
        title=template.title,
        kind=template.kind,
        recipients=[_code(session, int(a)) for a in template.recipients],
        every_days=template.every_days,
        due_days=template.due_days,
        starts_on=template.starts_on,
        active=template.active,
    )


def add_template(
    *,
    session: Session,
    by: Principal,
    name: str,
    title: str,
    recipients: Sequence[str],
    every_days: int,
    due_days: int,
    starts_on: date,
    body: str = "",
    kind: TaskKind = TaskKind.RETURN,
) -> TemplateView:
    """A recurring task of `by`'s agency (a weekly return from each province)."""
    person = sharing.acting_person(session, by, Action.TASK_ISSUE)
    if every_days < 1 or due_days < 1:
        raise BadInput("a template repeats every day at the most, with a day to answer at least")
    if not title.strip() or not name.strip():
        raise BadInput("a template needs a name and a title")
    agencies = [_agency(session, code) for code in recipients]
    if not agencies or any(a.id == by.agency_id for a in agencies):
        raise BadInput("name the other agencies the task is for (--to)")
    exists = session.scalar(
        select(TaskTemplate.id).where(
            TaskTemplate.issuer_agency_id == by.agency_id, TaskTemplate.name == name
        )
    )
    if exists is not None:
        raise BadInput(f"your agency has a template named {name!r} already")
    assert by.agency_id is not None
    template = TaskTemplate(
        issuer_agency_id=by.agency_id,
        name=name.strip()[:100],
        kind=kind,
        title=title.strip()[:200],
        body=body,
        recipients=[a.id for a in agencies],
        every_days=every_days,
        due_days=due_days,
        starts_on=starts_on,
        created_by_id=person.id,
    )
    session.add(template)
    session.flush()
    audit.record(
        session=session,
        actor=by.actor,
        action="task.template",
        object_type="task_template",
        object_id=template.id,
        user_id=by.user_id,
        agency_id=by.agency_id,
        details={"name": template.name, "every_days": every_days, "due_days": due_days},
    )
    return _template_view(session, template)


def templates(*, session: Session, by: Principal) -> list[TemplateView]:
    require(by, Action.TASK_READ)
    statement = select(TaskTemplate).order_by(TaskTemplate.id)
    if not by.is_system:
        statement = statement.where(TaskTemplate.issuer_agency_id == by.agency_id)
    return [_template_view(session, t) for t in session.scalars(statement)]


def issue_due(*, session: Session, now: datetime | None = None, actor: str = JOB) -> list[int]:
    """Issue the current period's task of every active template that has none yet (in
    the name of the template's author); safe to run as often as one likes."""
    now = now or utcnow()
    issued: list[int] = []
    for template in session.scalars(
        select(TaskTemplate).where(TaskTemplate.active.is_(True)).order_by(TaskTemplate.id)
    ):
        period = rules.period_start(template.starts_on, template.every_days, now.date())
        if period is None:
            continue
        exists = session.scalar(
            select(Task.id).where(Task.template_id == template.id, Task.period_start == period)
        )
        if exists is not None:
            continue
        task = _create(
            session,
            issuer_agency_id=template.issuer_agency_id,
            issued_by_id=template.created_by_id,
            actor=actor,
            title=f"{template.title} ({period.isoformat()})",
            recipients=[int(a) for a in template.recipients],
            due_at=now + timedelta(days=template.due_days),
            body=template.body,
            kind=template.kind,
            now=now,
            template_id=template.id,
            period=period,
        )
        issued.append(task.id)
    return issued
