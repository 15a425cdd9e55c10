"""`shaheen review …`: the queue, a case, claims and decisions."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from shaheen.access.current import current_principal
from shaheen.agencies import service as agencies
from shaheen.config import get_settings
from shaheen.detect.enums import INDICATOR_KINDS
from shaheen.detect.schemas import IndicatorSummary
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.runtime import RecordId, open_database
from shaheen.safe_output import csv_row, terminal
from shaheen.store.engine import session_scope

console = Console(soft_wrap=True)
app = typer.Typer(help="The human review queue and decisions.", no_args_is_help=True)
indicators_app = typer.Typer(help="Phones, links, invites, handles, wallets.", no_args_is_help=True)
INDICATOR_COLUMNS = (
    "kind",
    "value",
    "posts",
    "accounts",
    "platforms",
    "organisations",
    "max_propaganda_score",
    "first_seen",
    "last_seen",
)


@app.command("queue")
def queue_(
    agency: str | None = typer.Option(None, help="agency code (default: your own)"),
    platform: str | None = typer.Option(None),
    organisation: str | None = typer.Option(None, help="knowledge-base slug"),
    language: str | None = typer.Option(None),
    status: CaseStatus | None = typer.Option(None),
    limit: int = typer.Option(50),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open cases, highest priority first (risk × reach), with filters."""
    from shaheen.review import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        agency_id = agencies.require_by_code(session=session, code=agency).id if agency else None
        page = service.queue(
            session=session,
            by=by,
            agency_id=agency_id,
            where=service.QueueFilter(platform, organisation, language, status),
            limit=limit,
        )
    if as_json:
        typer.echo(json.dumps([row.model_dump(mode="json") for row in page.rows]))
        return
    table = Table(
        "case", "priority", "risk", "reach", "platform", "handle", "org", "lang", "status"
    )
    for r in page.rows:
        table.add_row(
            str(r.case_id),
            f"{r.priority:.2f}",
            f"{r.risk_score:.2f}",
            f"{r.reach:,}",
            r.platform,
            terminal(r.handle or f"id {r.platform_account_id}"),
            r.organisation or "",
            r.language or "",
            r.status,
        )
    console.print(table)


@app.command()
def claim(case: RecordId) -> None:
    """Take a case from the queue (as the signed-in reviewer)."""
    from shaheen.review import service

    database = open_database()
    by = current_principal(database)
    service.claim(database.sessions, case_id=case, by=by)
    console.print(f"case {case} claimed by {by.username}", markup=False)


@app.command()
def assign(case: RecordId, to: str = typer.Option(..., help="the reviewer")) -> None:
    """Give a case to a reviewer (supervisors)."""
    from shaheen.review import service

    database = open_database()
    service.assign(database.sessions, case_id=case, by=current_principal(database), to=to)
    console.print(f"case {case} assigned to {to}", markup=False)


@app.command()
def precision(as_json: bool = typer.Option(False, "--json")) -> None:
    """How often reviewers confirmed what detection opened, and why they dismissed."""
    from shaheen.review import service

    with session_scope(open_database().sessions) as session:
        found = service.figures(session=session)
    document = {
        "decided": found.decided,
        "referred": found.referred,
        "dismissed": found.dismissed_by_reason,
        "precision": found.precision,
    }
    if as_json:
        typer.echo(json.dumps(document))
        return
    share = f"{found.precision:.1%}" if found.precision is not None else "-"
    console.print(f"{found.decided:,} cases decided: {found.referred:,} referred ({share})")
    for reason, count in sorted(found.dismissed_by_reason.items(), key=lambda kv: -kv[1]):
        console.print(f"  dismissed, {reason}: {count:,}")


@app.command()
def decide(
    case: RecordId,
    verdict: Verdict = typer.Argument(..., help="refer | dismiss | escalate | needs_translation"),
    reason: str = typer.Option(..., help="reason code (see README: Review)"),
    organisation: str | None = typer.Option(None, help="required to refer"),
    legal_basis: str | None = typer.Option(None, help="required to refer"),
    note: str = typer.Option(""),
) -> None:
    """Decide a case. Refusals (a missing legal basis, a second review by the same
    person, …) change nothing and are written to the audit log."""
    from shaheen.review import service
    from shaheen.review.rules import Proposed

    database = open_database()
    outcome = service.decide(
        database.sessions,
        case_id=case,
        by=current_principal(database),
        proposed=Proposed(verdict, reason, organisation, legal_basis),
        note=note,
        policy=service.policy_in_force(),
    )
    extra = (
        f" (second review needed: {'; '.join(outcome.second_review_reasons)})"
        if outcome.status is CaseStatus.AWAITING_SECOND_REVIEW
        else ""
    )
    console.print(f"case {case}: {outcome.status.value}{extra}")


@app.command()
def show(case: RecordId) -> None:
    """A case: the account, its posts, the signals with their evidence, the risk reasons
    and the decisions taken (JSON)."""
    from shaheen.review import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        view = service.case_view(session=session, by=by, case_id=case)
    typer.echo(json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False))


@app.command("legal-bases")
def legal_bases_() -> None:
    """The legal provisions a referral may cite."""
    from shaheen.review import service

    for basis in service.legal_bases_in_force().values():
        console.print(f"{basis.code:<16} {basis.title}", markup=False)


@indicators_app.command()
def export(
    kind: str = typer.Option("phone", help=f"one of {', '.join(INDICATOR_KINDS)}"),
    min_score: float = typer.Option(0.5, help="only from posts this likely to be propaganda"),
    output: Path | None = typer.Option(None, help="CSV file (default: standard output)"),
) -> None:
    """Indicators of the accounts your agency's reviewers referred, one row each, for
    partners to act on (the regulator takes the phone numbers). Every export is in the
    audit log with who asked."""
    from shaheen.audit import service as audit
    from shaheen.review import service

    if kind not in INDICATOR_KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(INDICATOR_KINDS)}")
    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        found = service.referred_indicators(session=session, by=by, kind=kind, min_score=min_score)
        audit.record(
            session=session,
            actor=by.actor,
            user_id=by.user_id,
            action="indicators.export",
            object_type="indicators",
            object_id=kind,
            agency_id=by.agency_id,
            details={
                "kind": kind,
                "min_score": min_score,
                "rows": len(found),
                "output": str(output) if output else "stdout",
            },
        )
    stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.writer(stream)
        writer.writerow(INDICATOR_COLUMNS)
        writer.writerows(csv_row(_indicator_row(entry)) for entry in found)
    finally:
        if output:
            stream.close()
    if output:
        console.print(f"{len(found):,} {kind} indicators written to {terminal(output)}")


def _indicator_row(entry: IndicatorSummary) -> list[object]:
    return [
        entry.kind,
        entry.value,
        entry.posts,
        entry.accounts,
        ";".join(entry.platforms),
        ";".join(entry.organisations),
        entry.max_propaganda_score,
        entry.first_seen.isoformat() if entry.first_seen else "",
        entry.last_seen.isoformat() if entry.last_seen else "",
    ]


def evidence_export(
    case: RecordId,
    output: Path = typer.Option(None, help="the zip to write (default: case-N-evidence.zip)"),
) -> None:
    """Write a case's evidence bundle for a court or a mutual legal assistance request
    (signed in: a supervisor or liaison officer of the case's agency; audited)."""
    from shaheen.ingest.media import MediaStore
    from shaheen.review import service

    database = open_database()
    by = current_principal(database)
    target = output or Path(f"case-{case}-evidence.zip")
    with session_scope(database.sessions) as session:
        count = service.export_evidence(
            session=session,
            by=by,
            case_id=case,
            output=target,
            media=MediaStore(get_settings().media_dir),
        )
    console.print(f"{count} evidence records of case {case} written to {terminal(target)}")
