"""`shaheen demo`: seed the synthetic dataset and run every stage on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from shaheen.config import get_settings
from shaheen.detect.commands import risk_table
from shaheen.ingest.commands import results_table
from shaheen.reports.commands import stats_table
from shaheen.runtime import cli_actor, open_database
from shaheen.safe_output import terminal

if TYPE_CHECKING:
    from shaheen.demo.scenario import WorkflowSummary

console = Console()


def demo(seed: int = typer.Option(7, help="seed of the synthetic dataset")) -> None:
    """Migrate, load the knowledge base, seed fictional accounts and posts, run every stage."""
    from shaheen.demo import flows  # the whole pipeline: imported when the demo runs

    database = open_database(require_schema=False)
    workdir = get_settings().media_dir.parent / "demo"
    with console.status("running the demo pipeline…"):
        summary = flows.run(
            engine=database.engine,
            sessions=database.sessions,
            actor=cli_actor(),
            workdir=workdir,
            seed=seed,
        )
    console.print(
        f"knowledge base [bold]{summary.kb_version}[/]: {summary.organisations} organisations"
    )
    console.print(f"synthetic exports written to {workdir / 'exports'}, one per platform")
    console.print(results_table(summary.runs, title="Ingest of the synthetic exports"))
    labels = ", ".join(f"{label} {n}" for label, n in sorted(summary.labels.items()))
    console.print(f"ground truth of the posts: {labels}")
    scan = summary.scan
    console.print(
        f"detection: {scan.posts:,} posts scanned with model {scan.model_version}, "
        f"{scan.signals:,} signals, {scan.indicators:,} indicators, "
        f"{scan.cases_opened:,} review cases opened"
    )
    if scan.media is not None:
        console.print(
            f"media: {scan.media.hashed:,} images and videos hashed, matched against the "
            f"demo hash bank: {scan.media.signals:,} matches"
        )
    console.print(risk_table(summary.risk, title="Highest-risk accounts, with reasons"))
    follow_up = summary.workflow
    console.print(
        f"review: {follow_up.referred} cases referred ({follow_up.second_reviews} after a "
        f"second review), {follow_up.dismissed} dismissed; {follow_up.sent} referrals sent to "
        f"the platform SIMULATOR, {follow_up.escalations} SLA escalations over ten simulated days"
    )
    console.print(outcomes_table(follow_up))
    chain = summary.evidence
    console.print(
        f"evidence chain: {chain.records} signed records, "
        + ("[green]intact[/]" if chain.intact else f"[red]broken at {chain.first_bad_sequence}[/]")
    )
    console.print(stats_table(summary.stats, title="Demo summary: per platform"))
    story = summary.network
    if story is not None:
        console.print(
            f"network: {story.removed} came back as {story.recreated}: "
            f"{len(story.evasion_cases)} ban-evasion case(s) linked to its removal, waiting for "
            f"review (shaheen network evasion); {len(story.campaigns)} coordinated campaign(s) "
            f"naming {story.campaign_accounts} accounts (shaheen network campaigns)",
            highlight=False,
        )
    if summary.weekly_report is not None:
        console.print(f"weekly report (PDF) written to {summary.weekly_report}", highlight=False)
    console.print(people_table(flows.demo_credentials(workdir)))
    open_cases = summary.stats.totals.open_cases
    console.print(
        f"\nLeft for you on this instance: {open_cases} open cases, a public tip and a "
        "referral past its SLA. Sign in as one of the people above (`shaheen login "
        "reviewer`: the temporary password, the code your authenticator app shows "
        "for the otpauth URI, then a password of your own), and try:\n"
        "  shaheen review queue          the open cases, highest priority first\n"
        "  shaheen review show CASE      one case: account, posts, signals, reasons\n"
        "  shaheen tip list              the public reports\n"
        "  shaheen track overdue         chase the referral the platform has not answered\n"
        "  shaheen evidence verify       check the signed evidence chain\n"
        "  shaheen audit verify          check the audit chain",
        highlight=False,
    )


def outcomes_table(summary: WorkflowSummary) -> Table:
    columns = {
        "removed": "removed",
        "geo_blocked": "geo-blocked",
        "rejected": "rejected",
        "no_response": "no answer",
        "reinstated": "back online",
    }
    table = Table(
        "platform",
        "sent",
        *columns.values(),
        "median h",
        title="Per-platform outcomes after ten days (simulated platforms)",
    )
    for code, outcome in sorted(summary.outcomes.items()):
        median = outcome.median_hours
        table.add_row(
            code,
            str(outcome.referrals),
            *(str(outcome.by_status.get(status, 0)) for status in columns),
            f"{median:.0f}" if median is not None else "-",
        )
    return table


def people_table(rows: list[list[str]]) -> Table:
    """The demo's people with their temporary passwords and second-factor URIs."""
    table = Table(
        "agency",
        "username",
        "role",
        title="Demo people (synthetic instance: change these before any real use)",
        caption="the same in var/demo/credentials.txt (tab-separated)",
    )
    # a password or URI cut short with "…" on a narrow terminal is no use: wrap them
    table.add_column("temporary password", overflow="fold", min_width=20)
    table.add_column("TOTP (otpauth URI for an authenticator app)", overflow="fold")
    for row in rows:
        table.add_row(*(terminal(cell) for cell in row))
    return table
