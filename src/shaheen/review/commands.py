"""`shaheen review …`: the queue, a case, claims and decisions."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from shaheen.agencies import service as agencies
from shaheen.config import get_settings
from shaheen.review.enums import CaseStatus, Verdict
from shaheen.runtime import open_database
from shaheen.store.engine import session_scope

console = Console(soft_wrap=True)
app = typer.Typer(help="The human review queue and decisions.", no_args_is_help=True)


@app.command("queue")
def queue_(
    agency: str | None = typer.Option(None, help="agency code (default: SHAHEEN_DEFAULT_AGENCY)"),
    platform: str | None = typer.Option(None),
    organisation: str | None = typer.Option(None, help="knowledge-base slug"),
    language: str | None = typer.Option(None),
    status: CaseStatus | None = typer.Option(None),
    limit: int = typer.Option(50),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open cases, highest priority first (risk × reach), with filters."""
    from shaheen.review import service

    code = agency or get_settings().default_agency
    with session_scope(open_database().sessions) as session:
        agency_id = agencies.require_by_code(session=session, code=code).id
        page = service.queue(
            session=session,
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
            r.handle or "",
            r.organisation or "",
            r.language or "",
            r.status,
        )
    console.print(table)


@app.command()
def claim(case: int, user: str = typer.Option(..., "--as", help="your username")) -> None:
    """Take a case from the queue."""
    from shaheen.review import service

    service.claim(open_database().sessions, case_id=case, username=user)
    console.print(f"case {case} claimed by {user}")


@app.command()
def assign(
    case: int,
    to: str = typer.Option(..., help="the reviewer"),
    user: str = typer.Option(..., "--as", help="your username (a supervisor)"),
) -> None:
    """Give a case to a reviewer (supervisors)."""
    from shaheen.review import service

    service.assign(open_database().sessions, case_id=case, username=user, to=to)
    console.print(f"case {case} assigned to {to}")


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
    case: int,
    verdict: Verdict = typer.Argument(..., help="refer | dismiss | escalate | needs_translation"),
    reason: str = typer.Option(..., help="reason code (see README: Review)"),
    user: str = typer.Option(..., "--as", help="your username"),
    organisation: str | None = typer.Option(None, help="required to refer"),
    legal_basis: str | None = typer.Option(None, help="required to refer"),
    note: str = typer.Option(""),
) -> None:
    """Decide a case. Refusals (a missing legal basis, a second review by the same
    person, …) change nothing and are written to the audit log."""
    from shaheen.review import service
    from shaheen.review.rules import Proposed

    outcome = service.decide(
        open_database().sessions,
        case_id=case,
        username=user,
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
def show(case: int) -> None:
    """A case: the account, its posts, the signals with their evidence, the risk reasons
    and the decisions taken (JSON)."""
    from shaheen.review import service

    with session_scope(open_database().sessions) as session:
        view = service.case_view(session=session, case_id=case)
    typer.echo(json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False))


@app.command("legal-bases")
def legal_bases_() -> None:
    """The legal provisions a referral may cite."""
    from shaheen.review import service

    for basis in service.legal_bases_in_force().values():
        console.print(f"{basis.code:<16} {basis.title}", markup=False)
