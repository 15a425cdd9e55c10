"""The `shaheen` command: one Typer app assembled from each stage's commands.

`main()` is the single place where domain errors become a red line and an exit code;
nothing below it prints tracebacks for mistakes a user can fix.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from shaheen import __version__
from shaheen.access.commands import login, logout, user_app, whoami
from shaheen.access.token_commands import app as token_app
from shaheen.agencies.commands import app as agency_app
from shaheen.audit.commands import app as audit_app
from shaheen.config import get_settings
from shaheen.demo.commands import demo
from shaheen.detect.commands import eval_, explain, model_app, risk
from shaheen.detect.media.commands import bank_app, hash_, match, media_app
from shaheen.errors import ReturnCode, ShaheenError
from shaheen.evidence.commands import app as evidence_app
from shaheen.ingest.commands import app as ingest_app
from shaheen.ingest.commands import tip_app
from shaheen.knowledge.commands import app as kb_app
from shaheen.network.commands import app as network_app
from shaheen.pipeline.commands import run, scan, status, train
from shaheen.pipeline.network import evasion as network_evasion
from shaheen.pipeline.network import task as network_task
from shaheen.referral.commands import refer_app, simulate_app, track_app
from shaheen.reports.commands import report_app, stats
from shaheen.review.commands import app as review_app
from shaheen.review.commands import evidence_export, indicators_app
from shaheen.runtime import configure_logging
from shaheen.store.commands import app as db_app
from shaheen.tasks.commands import share_app, task_app
from shaheen.web.commands import serve

app = typer.Typer(
    name="shaheen",
    help="Find, review, refer and track terrorist propaganda accounts across platforms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(kb_app, name="kb")
app.add_typer(ingest_app, name="ingest")
app.add_typer(tip_app, name="tip")
app.add_typer(audit_app, name="audit")
app.add_typer(agency_app, name="agency")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.command()(login)
app.command()(logout)
app.command()(whoami)
model_app.command()(train)  # trains on review's labels too: a pipeline command
app.add_typer(model_app, name="model")
app.add_typer(indicators_app, name="indicators")
app.add_typer(bank_app, name="bank")
app.add_typer(media_app, name="media")
app.add_typer(review_app, name="review")
evidence_app.command("export")(evidence_export)  # needs a case's agency: review's
app.add_typer(evidence_app, name="evidence")
app.add_typer(refer_app, name="refer")
app.add_typer(track_app, name="track")
app.add_typer(simulate_app, name="simulate")
app.add_typer(share_app, name="share")
app.add_typer(task_app, name="task")
app.add_typer(report_app, name="report")
network_app.command("evasion")(network_evasion)  # opens review cases: a pipeline command
network_app.command("task")(network_task)  # issues a task: a pipeline command
app.add_typer(network_app, name="network")
app.command("hash")(hash_)
app.command()(match)
app.command()(scan)
app.command()(run)
app.command()(status)
app.command("eval")(eval_)
app.command()(explain)
app.command()(risk)
app.command()(stats)
app.command()(demo)
app.command()(serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shaheen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version"
    ),
) -> None:
    configure_logging(get_settings())


def main() -> None:
    """Run the CLI; translate `ShaheenError` into one line on stderr and its exit code."""
    errors = Console(stderr=True)
    try:
        app()
    except ShaheenError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.return_code)
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(ReturnCode.ERROR)
