"""`shaheen network build|clusters|campaigns|neighbours` (and `evasion`, which opens
review cases and so is assembled above the stages, in `pipeline/network.py`).

`build` and `clusters --run`/`campaigns --run` are operator jobs like `shaheen scan`;
reading clusters, campaigns and neighbours needs a signed-in person who may read cases.
"""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from shaheen.access.current import current_principal
from shaheen.config import get_settings
from shaheen.network import flows, rules, service
from shaheen.network.graph import ENGINES
from shaheen.runtime import RecordId, open_database
from shaheen.safe_output import terminal
from shaheen.store.base import MAX_ID
from shaheen.store.engine import session_scope

console = Console()
app = typer.Typer(
    help="Links between accounts, communities, ban evasion and coordinated campaigns.",
    no_args_is_help=True,
)


@app.command()
def build() -> None:
    """Add the links of every post, indicator and account that arrived since the last build."""
    database = open_database()
    with session_scope(database.sessions) as session:
        result = flows.build(session)
        total = service.count_edges(session=session)
    console.print(
        f"read {result.posts:,} posts, {result.indicators:,} indicators, {result.media:,} "
        f"media links and {result.accounts:,} accounts in {result.seconds:.1f}s: "
        f"{result.edges:,} edges added or strengthened, {total:,} in all"
    )


@app.command()
def backfill() -> None:
    """Fill the links (reply-to, quote, forward-from, mentions) of posts stored before
    posts had them, from their raw records; then `shaheen network build`."""
    from shaheen.ingest import service as ingest

    database = open_database()
    after, filled = 0, 0
    while True:
        with session_scope(database.sessions) as session:  # a transaction a batch
            after, count = ingest.fill_links(session=session, after=after)
        filled += count
        if not after:
            break
    console.print(f"{filled:,} posts given their links from their raw records")


@app.command()
def clusters(
    run: bool = typer.Option(False, "--run", help="find the communities again first"),
    engine: str = typer.Option("auto", help=f"Leiden implementation: {' | '.join(ENGINES)}"),
    limit: int = typer.Option(20, help="how many communities to list"),
) -> None:
    """Communities of the account graph, those with most known-bad accounts first."""
    settings = get_settings()
    database = open_database()
    if run:
        with session_scope(database.sessions) as session:
            result = flows.cluster(session, risk_threshold=settings.risk_threshold, engine=engine)
        console.print(
            f"{result.clusters:,} communities over {result.accounts:,} accounts and "
            f"{result.edges:,} links in {result.seconds:.1f}s; {result.associated:,} accounts "
            "given a weak association reason"
        )
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        rows = service.clusters(session=session, by=by, limit=limit)
    table = Table(title="Communities")
    for column in ("id", "accounts", "known bad", "share", "organisation"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            f"{row.size:,}",
            f"{row.known_bad:,}",
            f"{row.known_bad_share:.0%}",
            terminal(row.organisation or "–"),
        )
    console.print(table)


@app.command()
def campaigns(
    run: bool = typer.Option(False, "--run", help="detect campaigns in the window first"),
    since: datetime | None = typer.Option(None, help="window start (default: a week back)"),
    until: datetime | None = typer.Option(None, help="window end (default: now)"),
    show: int | None = typer.Option(None, min=1, max=MAX_ID, help="one campaign in full, by id"),
    limit: int = typer.Option(20, help="how many campaigns to list"),
) -> None:
    """Coordinated campaigns: origin, amplifiers, reach over time, platforms crossed."""
    settings = get_settings()
    database = open_database()
    if run:
        policy = flows.CampaignPolicy(
            protected=rules.protected_handles(settings.protected_list),
            reach_threshold=settings.reach_threshold,
        )
        with session_scope(database.sessions) as session:
            found = flows.detect_campaigns(
                session,
                since=_aware(since),
                until=_aware(until),
                policy=policy,
            )
        console.print(f"{len(found):,} coordinated campaigns found")
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        if show is not None:
            detail = service.campaign(session=session, by=by, campaign_id=show)
            console.print(
                f"[bold]Campaign {detail.id}[/] ({detail.basis}): {terminal(detail.excerpt)}"
            )
            console.print(f"measures: {detail.measures}; platforms: {', '.join(detail.platforms)}")
            table = Table(title="Origin and amplifiers")
            for column in ("role", "account", "platform", "posts", "reach", "first post", "review"):
                table.add_column(column)
            for member in detail.origin + detail.amplifiers[:10]:
                table.add_row(
                    member.role,
                    terminal(member.handle or str(member.account_id)),
                    member.platform,
                    str(member.posts),
                    f"{member.reach:,}",
                    str(member.first_post_at or "–"),
                    "protected: second review"
                    if member.protected
                    else ("second review" if member.needs_second_review else ""),
                )
            console.print(table)
            return
        rows = service.campaigns(session=session, by=by, limit=limit)
    table = Table(title="Coordinated campaigns (coordination measured, never viewpoint)")
    for column in (
        "id",
        "score",
        "accounts",
        "posts",
        "platforms",
        "first post",
        "protected",
        "text",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.id),
            f"{row.score:.2f}",
            str(row.accounts),
            str(row.posts),
            ", ".join(row.platforms),
            str(row.first_post_at or "–"),
            str(row.protected_accounts),
            terminal(row.excerpt[:80]),
        )
    console.print(table)


@app.command()
def neighbours(account_id: RecordId) -> None:
    """The accounts linked to one, strongest first, with the kinds of link."""
    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        rows = service.neighbours(session=session, by=by, account_id=account_id)
    table = Table(title=f"Neighbours of account {account_id}")
    for column in ("account", "platform", "links", "weight"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            terminal(row.handle or str(row.account_id)),
            row.platform,
            ", ".join(row.kinds),
            f"{row.weight:.2f}",
        )
    console.print(table)


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
