"""`shaheen audit …`: check the audit log, and export the chains' signed checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from shaheen.audit import checkpoints, service
from shaheen.errors import ShaheenError
from shaheen.runtime import open_database
from shaheen.store.base import MAX_ID
from shaheen.store.engine import serialise_writers, session_scope

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console()

CHECKPOINT_OPTION = typer.Option(
    None,
    "--checkpoint",
    help="also hold the chain against checkpoints from this file "
    "(an export of `shaheen audit checkpoint`, or a copy of a checkpoint file)",
    exists=True,
    dir_okay=False,
)


class AuditChainBroken(ShaheenError):
    """The audit chain does not verify."""


@app.command()
def verify(checkpoint: Path | None = CHECKPOINT_OPTION) -> None:
    """Recompute the audit chain and hold it against its signed checkpoints; fail if any
    event was changed, removed, reordered or added outside Shaheen."""
    database = open_database()
    anchor = checkpoints.Anchor.from_settings()
    with session_scope(database.sessions) as session:
        outside, notes = checkpoints.outside_for(
            session=session, chain="audit", anchor=anchor, extra=checkpoint
        )
        report = service.verify(session=session, outside=outside)
    for note in notes:
        console.print(f"[yellow]note[/]: {escape(note)}")
    if not report.intact:
        where = f" at event {report.first_bad_sequence}" if report.first_bad_sequence else ""
        raise AuditChainBroken(
            f"audit chain broken{where}: {report.reason} "
            f"({report.events} events before it verified)"
        )
    console.print(
        f"[green]audit chain intact[/]: {report.events} events verified against "
        f"{report.checkpoints} signed checkpoints ({escape(', '.join(report.sources) or 'none')})"
    )


@app.command("checkpoint")
def checkpoint_(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="write the JSON here instead of printing it"
    ),
) -> None:
    """Print (or write) the newest signed checkpoint of the audit and evidence chains.

    Hand the file to another agency or keep it offline; `shaheen audit verify
    --checkpoint FILE` (and `shaheen evidence verify --checkpoint FILE`) later proves the
    chains still hold what they held. A chain written before checkpoints existed is
    sealed first, with the instance's key.
    """
    database = open_database()
    anchor = checkpoints.Anchor.from_settings()
    with session_scope(database.sessions) as session:
        for chain in checkpoints.CHAINS:
            serialise_writers(session, checkpoints.LOCK_KEYS[chain])
            newest = checkpoints.latest(session=session, chain=chain)
            top = checkpoints.head(session=session, chain=chain)
            if top is not None and (newest is None or newest.sequence < top[0]):
                checkpoints.seal(session=session, chain=chain, signer=anchor.signer())
    with session_scope(database.sessions) as session:
        document = checkpoints.export(session=session)
    text = json.dumps(document, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"signed checkpoints of the audit and evidence chains written to {output}")


@app.command("log")
def log(
    limit: int = typer.Option(50, help="how many entries"),
    before: int | None = typer.Option(
        None, min=1, max=MAX_ID, help="older than this sequence number"
    ),
    actor: str | None = typer.Option(None),
    action: str | None = typer.Option(None, help="e.g. case.decide, referral.status"),
    object_type: str | None = typer.Option(None, "--object", help="case, referral, user…"),
    object_id: str | None = typer.Option(None, "--id"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Read the audit log, newest first (signed in: auditors read their own agency's)."""
    from shaheen.access.current import current_principal

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        page = service.entries(
            session=session,
            by=by,
            limit=limit,
            before=before,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
        )
    if as_json:
        typer.echo(page.model_dump_json(indent=2))
        return
    for entry in page.entries:
        mark = "" if entry.outcome == "ok" else f" [red]{escape(entry.outcome)}[/]"
        console.print(
            f"{entry.sequence:>7} {entry.occurred_at:%Y-%m-%d %H:%M:%S} "
            f"{escape(entry.actor)} {escape(entry.action)} "
            f"{escape(entry.object_type)} {escape(entry.object_id)}{mark}",
            highlight=False,
        )
    if page.before is not None:
        console.print(f"older: `shaheen audit log --before {page.before}`")
