"""`shaheen bank …`, `shaheen hash`, `shaheen match` and `shaheen media errors`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from shaheen.config import get_settings
from shaheen.errors import BadInput
from shaheen.knowledge.enums import TLP, SignalType
from shaheen.runtime import cli_actor, open_database
from shaheen.safe_output import terminal
from shaheen.store.engine import session_scope

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
bank_app = typer.Typer(
    help="Hash banks: named lists of PDQ, vPDQ and MD5 hashes.", no_args_is_help=True
)
media_app = typer.Typer(help="The media store's hashing state.", no_args_is_help=True)


@bank_app.command("create")
def create(
    name: str = typer.Argument(..., help="a name for the bank"),
    source: str = typer.Option("local", help="where the hashes come from (e.g. GIFCT, a partner)"),
    label: str = typer.Option("", help="what matching media is (e.g. attack video)"),
    tlp: TLP = typer.Option(TLP.AMBER, help="Traffic Light Protocol marking"),
    organisation: str | None = typer.Option(None, help="knowledge-base slug of the group"),
    agency: str | None = typer.Option(None, help="owning agency code"),
) -> None:
    """Create an empty hash bank."""
    from shaheen.knowledge import banks

    with session_scope(open_database().sessions) as session:
        banks.create_bank(
            session=session,
            name=name,
            actor=cli_actor(),
            source=source,
            label=label,
            tlp=tlp,
            organisation=organisation,
            agency=agency,
        )
    console.print(f"bank {name!r} created")


@bank_app.command("add")
def add(
    name: str = typer.Argument(..., help="the bank"),
    files: list[Path] = typer.Argument(..., help="images and videos to hash and add"),
    tags: str = typer.Option("", help="tags for the new entries, separated by commas"),
) -> None:
    """Hash files and add their hashes (MD5, and PDQ or vPDQ) to a bank, marked with the
    bank's TLP."""
    from shaheen.detect.media import bank_flows
    from shaheen.knowledge import banks

    with session_scope(open_database().sessions) as session:
        bank = banks.get_bank(session=session, name=name)
        result = bank_flows.add_files(
            session=session,
            bank=bank,
            paths=files,
            actor=cli_actor(),
            tags=[t.strip() for t in tags.split(",") if t.strip()],
        )
    for line in result.failed:
        errors.print(f"[red]error:[/] {line}", highlight=False)
    console.print(
        f"{result.added:,} hashes added to {name!r} "
        f"({result.already_there:,} already there, {len(result.failed)} files failed)"
    )
    if result.failed:
        raise typer.Exit(5)


@bank_app.command("import")
def import_(
    name: str = typer.Argument(..., help="the bank"),
    file: Path = typer.Argument(..., help="a TXT, CSV or STIX 2.1 JSON file"),
    fmt: str | None = typer.Option(None, "--format", help="txt | csv | stix (default: by name)"),
    signal_type: SignalType | None = typer.Option(
        None, help="the type of bare hashes: TXT lines or CSV rows that do not name one"
    ),
) -> None:
    """Import hashes from a file; each record that cannot be read is named and left out,
    as is each STIX indicator a bank cannot hold (IP addresses, domains, URLs, SHA-256).
    Each hash keeps the TLP marking and the sharer its file gave it, else the bank's."""
    from shaheen.detect.media import bank_flows
    from shaheen.knowledge import banks, banks_interop

    parsed = banks_interop.read(file, fmt, signal_type=signal_type)
    with session_scope(open_database().sessions) as session:
        bank = banks.get_bank(session=session, name=name)
        result = bank_flows.add_records(
            session=session,
            bank=bank,
            records=parsed.records,
            actor=cli_actor(),
            action="bank.import",
            details={
                "file": str(file),
                "rejected": len(parsed.rejected),
                "skipped": len(parsed.skipped),
            },
        )
    for line in parsed.rejected:
        errors.print(f"[red]error:[/] {terminal(line)}", highlight=False)
    for line in parsed.skipped:
        errors.print(f"[yellow]skipped:[/] {terminal(line)}", highlight=False)
    stricter = f", {result.tightened:,} now marked stricter" if result.tightened else ""
    console.print(
        f"{result.added:,} hashes imported into {name!r} ({result.already_there:,} already there"
        f"{stricter}, {len(parsed.rejected):,} rejected, {len(parsed.skipped):,} skipped)"
    )


@bank_app.command("export")
def export(
    name: str = typer.Argument(..., help="the bank"),
    file: Path = typer.Argument(..., help="where to write: .txt, .csv or .json (STIX 2.1)"),
    fmt: str | None = typer.Option(None, "--format", help="txt | csv | stix (default: by name)"),
    tlp: TLP | None = typer.Option(
        None, help="mark the file so (default: the strictest marking of its hashes)"
    ),
    downgrade: bool = typer.Option(
        False, "--downgrade", help="allow a --tlp looser than the hashes' own (audited)"
    ),
    reason: str = typer.Option("", help="why a downgrade may be shared more widely"),
) -> None:
    """Export a bank for a partner or the industry hash-sharing database, marked with the
    strictest TLP of its hashes; a looser --tlp needs --downgrade --reason and is audited."""
    from shaheen.audit import service as audit
    from shaheen.knowledge import banks
    from shaheen.knowledge.banks_interop import label

    actor = cli_actor()
    # a refused export (a downgrade not asked for) is itself written to the audit log
    with audit.attempt(
        open_database().sessions,
        actor=actor,
        action="bank.export",
        object_type="hash_bank",
        object_id=name,
        details={"bank": name, "file": str(file), "tlp": tlp.value if tlp else None},
    ) as session:
        bank = banks.get_bank(session=session, name=name)
        result = banks.export_bank(
            session=session,
            bank=bank,
            path=file,
            fmt=fmt,
            actor=actor,
            tlp=tlp,
            downgrade=downgrade,
            reason=reason,
        )
    marking = label(result.tlp)
    if result.downgraded:
        marking += f", downgraded from {label(result.contents)} (audited)"
    console.print(
        f"{result.count:,} hashes of {terminal(name)!r} written to {terminal(file)} ({marking})"
    )


@bank_app.command("list")
def list_() -> None:
    """The banks, with their hashes counted by kind."""
    from shaheen.knowledge import banks

    with session_scope(open_database().sessions) as session:
        rows = banks.summaries(session=session)
    table = Table(
        "bank", "source", "label", "TLP", "exports as", "organisation", "pdq", "vpdq", "md5"
    )
    for row in rows:
        table.add_row(
            terminal(row.name),
            terminal(row.source),
            terminal(row.label),
            row.tlp,
            row.strictest,
            row.organisation or "",
            *(f"{row.counts.get(kind, 0):,}" for kind in ("pdq", "vpdq", "md5")),
        )
    console.print(table)


def hash_(
    files: list[Path] = typer.Argument(..., help="images and videos"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print each file's MD5, SHA-256, and PDQ (with quality) or vPDQ frames."""
    from shaheen.detect.media.hashing import MediaError, hash_file

    failed = 0
    for path in files:
        try:
            hashes = hash_file(path)
        except MediaError as exc:
            errors.print(f"[red]error:[/] {exc}", highlight=False)
            failed += 1
            continue
        if as_json:
            typer.echo(json.dumps(asdict(hashes)))
            continue
        console.print(
            f"[bold]{terminal(path)}[/] {hashes.kind} {hashes.mime_type} {hashes.size_bytes:,} B"
        )
        console.print(f"  md5    {hashes.md5}\n  sha256 {hashes.sha256}")
        if hashes.pdq is not None:
            console.print(f"  pdq    {hashes.pdq} quality {hashes.pdq_quality}")
        if hashes.pdq_trimmed is not None:
            console.print(f"  pdq    {hashes.pdq_trimmed} with its bars trimmed")
        for frame in hashes.frames:
            console.print(f"  frame  {frame.timestamp:>8.3f}s {frame.pdq} quality {frame.quality}")
    if failed:
        raise typer.Exit(5)


def match(
    files: list[Path] = typer.Argument(..., help="images and videos"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object per file"),
    threshold: int | None = typer.Option(None, help="PDQ bits apart (default: the setting)"),
) -> None:
    """Match files against every bank: each entry within the threshold, closest first."""
    from shaheen.detect.media.hashing import MediaError, MediaHashes, hash_file
    from shaheen.detect.media.matching import Matcher

    settings = get_settings()
    limit = settings.match_threshold if threshold is None else threshold
    if not 0 <= limit <= settings.match_threshold:
        raise BadInput(
            f"--threshold must be between 0 and {settings.match_threshold} "
            "(SHAHEEN_MATCH_THRESHOLD; the index is exact up to it)"
        )
    hashed: list[tuple[Path, MediaHashes]] = []
    failed = 0
    for path in files:
        try:
            hashed.append((path, hash_file(path)))
        except MediaError as exc:
            errors.print(f"[red]error:[/] {exc}", highlight=False)
            failed += 1
    with session_scope(open_database().sessions) as session:
        matcher = Matcher.load(session, settings.index_dir, settings.match_threshold)
        results = matcher.match([h for _, h in hashed]) if hashed else []
    for (path, hashes), matches in zip(hashed, results, strict=True):
        kept = [m for m in matches if m.distance is None or m.distance <= limit]
        if as_json:
            found = [{**asdict(m), "similarity": m.similarity} for m in kept]
            typer.echo(json.dumps({"file": str(path), "md5": hashes.md5, "matches": found}))
            continue
        if not kept:
            console.print(f"{terminal(path)}: no match")
        for m in kept:
            how = f"distance {m.distance}" if m.distance is not None else "identical file"
            if m.transform is not None:
                how += f", {m.transform}"
            if m.query_percent is not None:
                how += f", {m.query_percent}% of its frames, {m.target_percent}% of the banked"
            console.print(
                f"{terminal(path)}: [bold]{terminal(m.bank)}[/] {m.signal_type} entry "
                f"{m.entry_id} ({how}) organisation {m.organisation or '-'} "
                f"{terminal(m.label)}".rstrip()
            )
    if failed:
        raise typer.Exit(5)


@media_app.command("errors")
def media_errors(limit: int = typer.Option(50, help="at most this many")) -> None:
    """Media items that could not be hashed, with the reason."""
    from shaheen.ingest.models import Media

    with session_scope(open_database().sessions) as session:
        rows = session.execute(
            select(Media.id, Media.sha256, Media.hash_error)
            .where(Media.hash_error.is_not(None))
            .order_by(Media.id)
            .limit(limit)
        ).all()
    for media_id, sha256, reason in rows:
        console.print(f"{media_id} {sha256[:16]}… {terminal(reason)}", highlight=False)
    if not rows:
        console.print("every stored media item was hashed")
