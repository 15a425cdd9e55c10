"""The network's work that joins later stages, so it lives above them (no stage may
import a later one):

* ban evasion: removed accounts (referral answers, platform statuses) → network
  matching → review's linked cases (`shaheen network evasion`);
* a campaign handed to another agency as a task (`shaheen network task`): the
  disinformation task force investigates what the coordination measures found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.access.current import current_principal
from shaheen.access.rules import Principal, system
from shaheen.agencies import service as agencies
from shaheen.config import get_settings
from shaheen.network import flows as network
from shaheen.network import service as network_service
from shaheen.network.schemas import RemovedAccount
from shaheen.referral.enums import ReferralStatus
from shaheen.referral.models import Referral, ReferralItem
from shaheen.review import service as review
from shaheen.runtime import RecordId, cli_actor, open_database
from shaheen.safe_output import terminal
from shaheen.store.engine import session_scope
from shaheen.tasks import service as tasks
from shaheen.tasks.enums import TaskKind

console = Console()
REMOVED = (ReferralStatus.REMOVED, ReferralStatus.GEO_BLOCKED)


def removed_accounts(session: Session) -> list[RemovedAccount]:
    """Accounts a platform removed on our referral (with that referral and its case),
    and accounts the platforms show as removed or suspended however it came about."""
    found: dict[int, RemovedAccount] = {}
    rows = session.execute(
        select(ReferralItem.account_id, Referral.id, Referral.case_id)
        .join(Referral, Referral.id == ReferralItem.referral_id)
        .where(Referral.status.in_(REMOVED), ReferralItem.account_id.is_not(None))
        .order_by(Referral.id)
    )
    for account_id, referral_id, case_id in rows:
        if account_id is None:
            continue
        found[account_id] = RemovedAccount(account_id, referral_id, case_id)
    for account_id in network_service.removed_by_status(session=session):
        found.setdefault(account_id, RemovedAccount(account_id))
    return list(found.values())


@dataclass
class EvasionResult:
    removed: int = 0
    matches: int = 0
    cases: dict[int, int] = field(default_factory=dict)  # case id → account id


def raise_evasion_cases(
    session: Session,
    *,
    agency_id: int,
    actor: str,
    candidates: list[int] | None = None,
) -> EvasionResult:
    """Match new accounts (or `candidates`) against every removed account and open a
    linked case for each match; the caller owns the transaction."""
    removed = removed_accounts(session)
    result = EvasionResult(removed=len(removed))
    for found in network.find_evasion(session, removed=removed, candidates=candidates):
        result.matches += 1
        match = found.match
        if match.case_id is not None:
            continue
        case = review.intake_evasion(
            session=session,
            agency_id=agency_id,
            account_id=match.account_id,
            evades_account_id=match.removed_account_id,
            linked_case_id=match.removed_case_id,
            score=match.score,
            reasons=match.reasons,
            actor=actor,
        )
        if case is not None:
            network_service.mark_cased(session=session, match_id=match.id, case_id=case.id)
            result.cases[case.id] = match.account_id
    session.flush()
    return result


def evasion(
    agency: str | None = typer.Option(None, help="agency that owns the linked cases"),
    all_accounts: bool = typer.Option(
        False, "--all", help="check every account, not only those new since the last check"
    ),
) -> None:
    """Match new accounts against removed ones; open a linked case for each re-creation."""
    settings = get_settings()
    database = open_database()
    with session_scope(database.sessions) as session:
        agency_id = agencies.require_by_code(
            session=session, code=agency or settings.default_agency
        ).id
        candidates = (
            network_service.accounts_since(session=session, after=0) if all_accounts else None
        )
        result = raise_evasion_cases(
            session, agency_id=agency_id, actor=cli_actor(), candidates=candidates
        )
        views = network_service.evasion_matches(
            session=session, by=system("network-evasion"), limit=20
        )
    table = Table(title=f"Possible re-creations of {result.removed:,} removed accounts")
    for column in ("score", "account", "re-creates", "referral", "case", "why"):
        table.add_column(column, overflow="fold")
    for view in views:
        table.add_row(
            f"{view.score:.2f}",
            terminal(view.handle or str(view.account_id)),
            terminal(view.removed_handle or str(view.removed_account_id)),
            str(view.referral_id or "–"),
            str(view.case_id or "–"),
            ", ".join(str(r.get("kind")) for r in view.reasons),
        )
    console.print(table)
    console.print(
        f"{result.matches:,} matches; {len(result.cases):,} linked cases opened for review"
    )


#: Accounts a campaign task names (the API and `shaheen network campaigns` give all).
TASKED_ACCOUNTS = 25


def task_campaign(
    *,
    session: Session,
    by: Principal,
    campaign_id: int,
    recipients: list[str],
    due_days: int = 7,
    note: str = "",
) -> int:
    """Issue a task to the agencies named (the disinformation task force, say) to look
    into a campaign: its text names the campaign's origin and top amplifiers with what
    was measured (timing, duplication, account age, shared infrastructure: coordination,
    never a view), and the accounts a second reviewer must see first. The task's id."""
    detail = network_service.campaign(session=session, by=by, campaign_id=campaign_id)
    measures = ", ".join(f"{k} {v}" for k, v in sorted(detail.measures.items()))
    lines = [
        f"Campaign {detail.id} ({detail.basis}), score {detail.score:.2f}: {detail.accounts} "
        f"accounts, {detail.posts} posts on {', '.join(detail.platforms)}, "
        f"from {detail.first_post_at} to {detail.last_post_at}.",
        f"Measured: {measures}.",
        f"Text: {detail.excerpt}",
        "Origin and top amplifiers (platform, handle, posts, reach):",
    ]
    for member in [*detail.origin, *detail.amplifiers][:TASKED_ACCOUNTS]:
        flag = " (protected: a second reviewer first)" if member.needs_second_review else ""
        lines.append(
            f"- {member.role}: {member.platform} {member.handle or member.account_id}, "
            f"{member.posts} posts, reach {member.reach}{flag}"
        )
    if note.strip():
        lines += ["", note.strip()]
    return tasks.issue(
        session=session,
        by=by,
        title=f"Campaign {detail.id}: {detail.excerpt[:120]}",
        recipients=recipients,
        due_days=due_days,
        body="\n".join(lines),
        kind=TaskKind.REVIEW_ACCOUNTS,
    )


def task(
    campaign_id: RecordId,
    to: list[str] = typer.Option(..., "--to", help="agency code to task (repeat)"),
    due_days: int = typer.Option(7, min=1, max=365, help="days to answer"),
    note: str = typer.Option("", help="what you ask of them, beyond the campaign's facts"),
) -> None:
    """Task other agencies (the disinformation task force) with a campaign (its id from
    `shaheen network campaigns`)."""
    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        task_id = task_campaign(
            session=session,
            by=by,
            campaign_id=campaign_id,
            recipients=to,
            due_days=due_days,
            note=note,
        )
    console.print(f"task {task_id} issued to {', '.join(to)} about campaign {campaign_id}")
