"""`shaheen share …` and `shaheen task …`: rendering only; the services apply the policy.

Person commands need a signed-in user (`SHAHEEN_TOKEN` or `shaheen login`); the jobs a
scheduler runs (`task escalate`, `task template issue`) act as the operator's
`system:tasks`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from shaheen.access.current import current_principal
from shaheen.config import get_settings
from shaheen.knowledge.enums import TLP
from shaheen.runtime import RecordId, open_database
from shaheen.sharing.enums import SharedKind
from shaheen.store.engine import session_scope
from shaheen.tasks.enums import NumberOutcome, TaskKind

if TYPE_CHECKING:  # imported where used: `shaheen --help` stays fast
    from shaheen.tasks.attachments import StoredAttachment

console = Console(soft_wrap=True)
share_app = typer.Typer(
    help="Share a case, hash bank or indicator list with other agencies; revoke it.",
    no_args_is_help=True,
)
task_app = typer.Typer(
    help="Tasks between agencies: issue, acknowledge, answer, close, accept, reopen.",
    no_args_is_help=True,
)
template_app = typer.Typer(help="Recurring tasks (a weekly return).", no_args_is_help=True)
task_app.add_typer(template_app, name="template")

WITH = typer.Option([], "--with", help="an agency's code (repeatable)")
PERSON = typer.Option([], "--person", help="a named person's username (repeatable; RED)")
EVERYONE = typer.Option(False, "--everyone", help="every agency (GREEN and CLEAR only)")
NOTE = typer.Option("", "--note")


def _echo_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _share(
    kind: SharedKind,
    key: str,
    agencies: list[str],
    people: list[str],
    everyone: bool,
    note: str,
    tlp: TLP | None = None,
) -> None:
    from shaheen.tasks.shares import share_object

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        view = share_object(
            session=session,
            by=by,
            kind=kind,
            key=key,
            agencies=agencies,
            people=people,
            everyone=everyone,
            tlp=tlp,
            note=note,
        )
    to = "every agency" if view.everyone else ", ".join(view.recipients)
    console.print(f"share {view.id}: {view.label} (TLP:{view.tlp.value.upper()}) with {to}")


@share_app.command("case")
def share_case(
    case: RecordId,
    agencies: list[str] = WITH,
    people: list[str] = PERSON,
    everyone: bool = EVERYONE,
    note: str = NOTE,
) -> None:
    """Share one of your agency's cases (read only) with other agencies or people."""
    _share(SharedKind.CASE, str(case), agencies, people, everyone, note)


@share_app.command("bank")
def share_bank(
    name: str,
    agencies: list[str] = WITH,
    people: list[str] = PERSON,
    everyone: bool = EVERYONE,
    note: str = NOTE,
) -> None:
    """Share one of your agency's hash banks."""
    _share(SharedKind.BANK, name, agencies, people, everyone, note)


@share_app.command("indicators")
def share_indicators(
    kind: str = typer.Option("phone", "--kind", help="phone, url, invite, handle, wallet…"),
    tlp: TLP = typer.Option(TLP.AMBER, "--tlp"),
    agencies: list[str] = WITH,
    people: list[str] = PERSON,
    everyone: bool = EVERYONE,
    note: str = NOTE,
) -> None:
    """Share your agency's indicators of referred cases, of one kind, as they grow."""
    _share(SharedKind.INDICATORS, kind, agencies, people, everyone, note, tlp)


@share_app.command("list")
def share_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Shares made with your agency, and by it."""
    from shaheen.sharing import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        found = service.shares(session=session, by=by)
    if as_json:
        _echo_json(found.model_dump(mode="json"))
        return
    table = Table("id", "direction", "what", "owner", "TLP", "by", "with", "revoked")
    for direction, views in (("received", found.received), ("sent", found.sent)):
        for v in views:
            table.add_row(
                str(v.id),
                direction,
                v.label,
                v.owner,
                v.tlp.value,
                v.shared_by,
                "everyone" if v.everyone else ", ".join(v.recipients),
                v.revoked_at.isoformat(timespec="minutes") if v.revoked_at else "",
            )
    console.print(table)


@share_app.command("revoke")
def share_revoke(share: RecordId) -> None:
    """End a share now: its recipients lose access at once."""
    from shaheen.sharing import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        view = service.revoke(session=session, by=by, share_id=share)
    console.print(f"share {view.id} revoked: {view.label}")


# --- tasks -----------------------------------------------------------------------------------


def _due(due: str | None) -> datetime | None:
    if due is None:
        return None
    try:
        when = datetime.fromisoformat(due)
    except ValueError:
        raise typer.BadParameter(
            f"{due!r} is not a date (2026-12-08 or 2026-12-08T17:00+05:00)"
        ) from None
    if when.tzinfo is None:  # a bare date: the end of that day, UTC
        when = datetime.combine(when.date(), time(23, 59), tzinfo=UTC)
    return when


def _put(files: list[Path]) -> list[StoredAttachment]:
    """Store the files named on the command line (refusing one over the limit)."""
    from shaheen.tasks.attachments import AttachmentStore, store_root

    store = AttachmentStore(store_root(get_settings().media_dir))
    return [store.put_file(path) for path in files]


@task_app.command("issue")
def issue(
    title: str,
    to: list[str] = typer.Option(..., "--to", help="a recipient agency's code (repeatable)"),
    due_days: int | None = typer.Option(None, "--due-days", min=1, max=366),
    due: str | None = typer.Option(None, "--due", help="a date or time (ISO 8601)"),
    body: str = typer.Option("", "--body"),
    kind: TaskKind = typer.Option(TaskKind.GENERAL, "--kind"),
    cases: list[int] = typer.Option([], "--case", help="link (and share) a case (repeatable)"),
    attach: list[Path] = typer.Option([], "--attach", help="a file to give (repeatable)"),
) -> None:
    """Issue a task from your agency to others, with a deadline."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    stored = _put(attach)
    with session_scope(database.sessions) as session:
        task_id = service.issue(
            session=session,
            by=by,
            title=title,
            recipients=to,
            due_at=_due(due),
            due_days=due_days,
            body=body,
            kind=kind,
            case_ids=cases,
            attachments=stored,
        )
    console.print(f"task {task_id} issued to {', '.join(to)}")


@task_app.command("list")
def task_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Tasks your agency issued or received, a line per recipient."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        rows = service.task_rows(session=session, by=by)
    if as_json:
        _echo_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table("task", "title", "from", "to", "status", "due", "overdue", "escalation")
    for row in rows:
        table.add_row(
            str(row.id),
            row.title,
            row.issuer,
            row.agency,
            row.status.value,
            row.due_at.isoformat(timespec="minutes"),
            "yes" if row.overdue else "",
            ("", "reminder", "supervisors")[min(row.escalation_level, 2)],
        )
    console.print(table)


@task_app.command("show")
def show(task: RecordId) -> None:
    """A task as you may see it, with its history (JSON)."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        view = service.task_view(session=session, by=by, task_id=task)
    _echo_json(view.model_dump(mode="json"))


@task_app.command("ack")
def ack(task: RecordId) -> None:
    """Acknowledge a task given to your agency."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        service.acknowledge(session=session, by=by, task_id=task)
    console.print(f"task {task}: acknowledged")


@task_app.command("answer")
def answer(
    task: RecordId,
    text: str,
    attach: list[Path] = typer.Option([], "--attach", help="a file to give (repeatable)"),
) -> None:
    """Answer a task given to your agency (again, if need be), with files."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    stored = _put(attach)
    with session_scope(database.sessions) as session:
        service.answer(session=session, by=by, task_id=task, text=text, attachments=stored)
    console.print(f"task {task}: answered")


@task_app.command("close")
def close(task: RecordId, note: str = NOTE) -> None:
    """Say your agency is done with a task."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        service.close(session=session, by=by, task_id=task, note=note)
    console.print(f"task {task}: closed")


@task_app.command("accept")
def accept(task: RecordId, agency: str, note: str = NOTE) -> None:
    """Accept a recipient's answer to a task your agency issued."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        service.accept(session=session, by=by, task_id=task, agency=agency, note=note)
    console.print(f"task {task}: {agency} accepted")


@task_app.command("reopen")
def reopen(
    task: RecordId,
    agency: str,
    note: str = typer.Option(..., "--note", help="what is missing"),
    due: str | None = typer.Option(None, "--due", help="a new deadline"),
) -> None:
    """Send a recipient's part back, saying what is missing."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        service.reopen(
            session=session, by=by, task_id=task, agency=agency, note=note, due_at=_due(due)
        )
    console.print(f"task {task}: {agency} reopened")


@task_app.command("numbers")
def numbers(
    regulator: str,
    due_days: int = typer.Option(7, "--due-days", min=1, max=366),
    min_score: float = typer.Option(0.0, "--min-score", min=0.0, max=1.0),
) -> None:
    """Send the regulator the phone numbers of cases your agency referred (new ones)."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        task_id = service.issue_numbers(
            session=session, by=by, regulator=regulator, due_days=due_days, min_score=min_score
        )
    if task_id is None:
        console.print(f"no phone number to send {regulator} that it has not had")
    else:
        console.print(f"task {task_id} issued to {regulator}")


@task_app.command("outcome")
def outcome(
    task: RecordId,
    number: str,
    result: NumberOutcome,
    reason: str = typer.Option("", "--reason", help="why, for a refusal"),
) -> None:
    """The regulator's outcome for one phone number of its task."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        service.record_outcome(
            session=session, by=by, task_id=task, number=number, outcome=result, reason=reason
        )
    console.print(f"task {task}: {number} {result.value}")


@task_app.command("sims")
def sims(as_json: bool = typer.Option(False, "--json")) -> None:
    """Phone numbers sent to regulators and their outcomes, from the records."""
    from shaheen.tasks import service

    with session_scope(open_database().sessions) as session:
        counts = service.number_outcomes(session=session)
    if as_json:
        _echo_json(counts.model_dump())
        return
    for name, value in counts.model_dump().items():
        console.print(f"{name.replace('_', ' ')}: {value:,}")


@task_app.command("escalate")
def escalate() -> None:
    """Escalate overdue tasks: a reminder, then the issuer's supervisors (a scheduler job)."""
    from shaheen.tasks import service

    with session_scope(open_database().sessions) as session:
        changed = service.escalate_overdue(session=session)
    for e in changed:
        step = "reminder" if e.level == 1 else "the issuer's supervisors"
        console.print(f"task {e.task} ({e.agency}) {e.overdue_hours} h overdue: {step}")
    if not changed:
        console.print("nothing to escalate")


@template_app.command("add")
def template_add(
    name: str,
    title: str = typer.Option(..., "--title"),
    to: list[str] = typer.Option(..., "--to", help="a recipient agency's code (repeatable)"),
    every_days: int = typer.Option(7, "--every-days", min=1, max=366),
    due_days: int = typer.Option(3, "--due-days", min=1, max=366),
    starting: str | None = typer.Option(None, "--starting", help="first period (a date)"),
    body: str = typer.Option("", "--body"),
) -> None:
    """A recurring task of your agency (a weekly return from each province)."""
    from shaheen.tasks import service

    database = open_database()
    by = current_principal(database)
    starts_on = date.fromisoformat(starting) if starting else datetime.now(UTC).date()
    with session_scope(database.sessions) as session:
        view = service.add_template(
            session=session,
            by=by,
            name=name,
            title=title,
            recipients=to,
            every_days=every_days,
            due_days=due_days,
            starts_on=starts_on,
            body=body,
        )
    console.print(
        f"template {view.name}: every {view.every_days} days to {', '.join(view.recipients)}"
    )


@template_app.command("issue")
def template_issue() -> None:
    """Issue the current period's task of every template that has none yet (idempotent)."""
    from shaheen.tasks import service

    with session_scope(open_database().sessions) as session:
        issued = service.issue_due(session=session)
    console.print(
        f"issued {len(issued)} task(s)" + (f": {', '.join(map(str, issued))}" if issued else "")
    )
