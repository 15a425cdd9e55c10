"""`shaheen evidence verify` and `shaheen evidence export CASE`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from shaheen.config import get_settings
from shaheen.runtime import open_database
from shaheen.store.engine import session_scope

console = Console(soft_wrap=True)
app = typer.Typer(help="The signed, chained evidence record.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Recompute every evidence hash, link and signature; exit 1 at the first bad one."""
    from shaheen.evidence import service

    keys = service.public_keys(get_settings().keys_dir)
    with session_scope(open_database().sessions) as session:
        report = service.verify(session=session, keys=keys)
    if report.intact:
        console.print(f"[green]evidence chain intact[/]: {report.records:,} records verified")
        return
    console.print(
        f"[bold red]evidence chain broken[/] at record {report.first_bad_sequence}: "
        f"{report.reason} ({report.records:,} records before it verified)"
    )
    raise typer.Exit(1)


@app.command()
def export(
    case: int,
    output: Path = typer.Option(None, help="the zip to write (default: case-N-evidence.zip)"),
) -> None:
    """Write a case's evidence bundle for a court or a mutual legal assistance request."""
    from shaheen.evidence import service
    from shaheen.ingest.media import MediaStore

    settings = get_settings()
    target = output or Path(f"case-{case}-evidence.zip")
    with session_scope(open_database().sessions) as session:
        count = service.export_case(
            session=session,
            case_id=case,
            output=target,
            media=MediaStore(settings.media_dir),
            signer=service.Signer(settings.keys_dir),
        )
    console.print(f"{count} evidence records of case {case} written to {target}")
