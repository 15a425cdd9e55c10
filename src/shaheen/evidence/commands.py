"""`shaheen evidence verify`, `export CASE` and `rotate-key`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from shaheen.audit.commands import CHECKPOINT_OPTION
from shaheen.config import get_settings
from shaheen.errors import NotFound
from shaheen.runtime import cli_actor, open_database
from shaheen.store.engine import session_scope

console = Console(soft_wrap=True)
app = typer.Typer(help="The signed, chained evidence record.", no_args_is_help=True)


@app.command()
def verify(checkpoint: Path | None = CHECKPOINT_OPTION) -> None:
    """Recompute every evidence hash, link and signature and hold the chain against its
    signed checkpoints; exit 1 at the first bad record."""
    from shaheen.audit import checkpoints
    from shaheen.evidence import service

    anchor = checkpoints.Anchor.from_settings()
    with session_scope(open_database().sessions) as session:
        outside, notes = checkpoints.outside_for(
            session=session, chain="evidence", anchor=anchor, extra=checkpoint
        )
        report = service.verify(session=session, outside=outside)
    for note in notes:
        console.print(f"[yellow]note[/]: {escape(note)}")
    if report.intact:
        console.print(
            f"[green]evidence chain intact[/]: {report.records:,} records verified against "
            f"{report.checkpoints} signed checkpoints "
            f"({escape(', '.join(report.sources) or 'none')})"
        )
        return
    where = f" at record {report.first_bad_sequence}" if report.first_bad_sequence else ""
    console.print(
        f"[bold red]evidence chain broken[/]{where}: {escape(report.reason or '')} "
        f"({report.records:,} records before it verified)"
    )
    raise typer.Exit(1)


@app.command("rotate-key")
def rotate_key() -> None:
    """Replace the instance's signing key; the old key signs the new one in.

    The rotation is a signed event in each chain's key record and in the audit log;
    the old key signs nothing after it. Its private key moves to KEYS_DIR/retired/.
    """
    from shaheen.audit import flows
    from shaheen.audit.keys import PRIVATE_KEY_NAME, Signer

    folder = get_settings().keys_dir
    current = folder / PRIVATE_KEY_NAME
    if not current.exists():
        raise NotFound(f"no signing key {current} to rotate")
    old = Signer(folder)
    upcoming = folder / "evidence-ed25519.next.pem"  # kept if a rotation was interrupted
    new = Signer(folder, private_path=upcoming)
    with session_scope(open_database().sessions) as session:
        chains = flows.rotate_key(session=session, old=old, new=new, actor=cli_actor())
    retired = folder / "retired"
    retired.mkdir(mode=0o700, exist_ok=True)
    current.replace(retired / f"{old.key_id}.pem")
    upcoming.replace(current)
    console.print(
        f"signing key {old.key_id} replaced by {new.key_id} for the {' and '.join(chains)} "
        f"chain(s); the old private key is in {retired} (delete it when you no longer need it)"
    )
