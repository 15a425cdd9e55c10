"""`shaheen refer …`, `shaheen track …` and `shaheen simulate platforms`."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from shaheen.access.current import current_principal
from shaheen.access.rules import SYSTEM
from shaheen.config import get_settings
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.runtime import RecordId, open_database
from shaheen.store.engine import session_scope

if TYPE_CHECKING:  # imported where used: `shaheen --help` stays fast
    from shaheen.evidence.service import Signer
    from shaheen.referral.flows import ChannelSettings

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
refer_app = typer.Typer(help="Referrals to platforms: create and send.", no_args_is_help=True)
track_app = typer.Typer(help="Follow referrals to their end.", no_args_is_help=True)
simulate_app = typer.Typer(help="Local simulators for demos and tests.", no_args_is_help=True)


def _channel_settings() -> ChannelSettings:
    from shaheen.referral.channels import WebhookSecrets
    from shaheen.referral.flows import ChannelSettings

    settings = get_settings()
    return ChannelSettings(
        settings.outbox_dir,
        WebhookSecrets(settings.keys_dir),
        window=float(settings.webhook_replay_window_seconds),
    )


def _signer() -> Signer:
    from shaheen.evidence.service import Signer

    return Signer(get_settings().keys_dir)


@refer_app.command("create")
def create(case: RecordId) -> None:
    """A draft referral from a case a reviewer referred (with a signed evidence snapshot)."""
    from shaheen.referral import service

    database = open_database()
    referral_id = service.create_from_case(
        database.sessions, case_id=case, by=current_principal(database), signer=_signer()
    )
    console.print(f"referral {referral_id} drafted from case {case}")


@refer_app.command("send")
def send(referral: RecordId) -> None:
    """Build the platform's package and send it through the platform's channel."""
    from shaheen.referral import flows

    database = open_database()
    package = flows.send(
        database.sessions,
        referral_id=referral,
        by=current_principal(database),
        settings=_channel_settings(),
        signer=_signer(),
    )
    console.print(
        f"referral {referral} sent to {package.platform} (package {package.sha256[:16]}…)"
    )


@refer_app.command("show")
def show(referral: RecordId) -> None:
    """A referral, its items and every status change (JSON)."""
    from shaheen.referral import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        view = service.referral_view(session=session, by=by, referral_id=referral)
    typer.echo(json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False))


@track_app.command("record")
def record(
    referral: RecordId,
    status: ReferralStatus,
    reference: str | None = typer.Option(None, help="the platform's reference"),
    note: str = typer.Option(""),
    at: str | None = typer.Option(
        None,
        "--at",
        help="when the platform answered, ISO 8601 with a zone (2026-05-01T10:00+05:00); "
        "default: now. The time it is recorded is kept as well.",
    ),
) -> None:
    """Record a platform's answer by hand (illegal moves are refused and audited)."""
    from datetime import datetime

    from shaheen.errors import BadInput
    from shaheen.referral import service

    answered = None
    if at is not None:
        try:
            answered = datetime.fromisoformat(at)
        except ValueError:
            raise BadInput(
                f"--at {at!r} is not an ISO 8601 time (2026-05-01T10:00+05:00)"
            ) from None
    database = open_database()
    service.record_status(
        database.sessions,
        referral_id=referral,
        status=status,
        source=EventSource.MANUAL,
        by=current_principal(database),
        platform_reference=reference,
        note=note,
        at=answered,
    )
    console.print(f"referral {referral}: {status.value}")


@track_app.command("import")
def import_(file: Path) -> None:
    """Answers from a CSV: referral_id,status[,platform_reference,at,note]."""
    from shaheen.referral import flows

    database = open_database()
    result = flows.import_answers(database.sessions, path=file, by=current_principal(database))
    for line in result.refused:
        errors.print(f"[red]refused:[/] {line}", highlight=False)
    console.print(f"{result.applied} answers recorded, {len(result.refused)} refused")
    if result.refused:
        raise typer.Exit(5)


@track_app.command()
def poll() -> None:
    """Ask webhook channels for answers to every referral still waiting for one."""
    from shaheen.referral import flows

    changes = flows.poll(open_database().sessions, settings=_channel_settings())
    console.print(f"{changes} referrals moved on")


@track_app.command()
def recheck() -> None:
    """Check whether referred items are still online; record removals and reinstatements."""
    from shaheen.referral import flows

    changes = flows.recheck(open_database().sessions, settings=_channel_settings())
    console.print(f"{changes} referrals changed status after re-checks")


@track_app.command()
def overdue() -> None:
    """Escalate referrals past their SLA: a reminder, then the supervisors' list."""
    from shaheen.referral import service

    for escalation in service.escalate_overdue(open_database().sessions):
        step = "reminder" if escalation.level == 1 else "supervisors' list (no response)"
        console.print(
            f"referral {escalation.referral_id} ({escalation.platform}) "
            f"{escalation.overdue_hours} h overdue: {step}"
        )


@track_app.command()
def board(platform: str) -> None:
    """A platform's referrals by status."""
    from shaheen.referral import service

    database = open_database()
    by = current_principal(database)
    with session_scope(database.sessions) as session:
        found = service.board(session=session, by=by, platform_code=platform)
    table = Table("status", "referrals", title=f"{found.platform}: {found.total:,} referrals")
    for status, count in sorted(found.by_status.items()):
        table.add_row(status, f"{count:,}")
    console.print(table)


@track_app.command("webhook-secret")
def webhook_secret(
    platform: str,
    rotate: bool = typer.Option(False, "--rotate", help="replace the secret with a new one"),
) -> None:
    """Make (or rotate) a platform's webhook secret; it is printed this once only."""
    from shaheen.audit import service as audit
    from shaheen.platforms.service import get_by_code
    from shaheen.referral.channels import WebhookSecrets

    sessions = open_database().sessions
    with session_scope(sessions) as session:
        get_by_code(session=session, code=platform)  # refuses a platform we do not know
    secrets = WebhookSecrets(get_settings().keys_dir)
    if rotate:
        secret, made = secrets.rotate(platform), True
    else:
        secret, made = secrets.ensure(platform)
    path = secrets.path(platform)
    if not made:
        console.print(
            f"{platform} has a webhook secret already ({path}); it is not shown again. "
            "Use --rotate to make a new one.",
            markup=False,
        )
        return
    with sessions.begin() as session:
        audit.record(
            session=session,
            actor=SYSTEM,
            action="webhook.secret_rotate" if rotate else "webhook.secret_create",
            object_type="platform",
            object_id=platform,
            details={"file": str(path)},
        )
    errors.print(
        f"webhook secret for {platform} ({path}); give it to the platform over a secure "
        "channel: it is shown only this once" + ("; the old one no longer works" if rotate else ""),
        markup=False,
    )
    typer.echo(secret)


@simulate_app.command("platforms")
def simulate_platforms(
    port: int = typer.Option(8765, help="loopback port"),
    speed: float = typer.Option(3600.0, help="simulated seconds per real second"),
    configure: bool = typer.Option(
        False,
        help="point the platforms' channels at the simulator (webhook) while it runs; "
        "Ctrl-C puts the old ones back",
    ),
    restore: bool = typer.Option(
        False,
        "--restore",
        "--unconfigure",
        help="put back the channels an earlier --configure replaced, and exit",
    ),
    answer_to: str | None = typer.Option(
        None, help="push signed answers to this `shaheen serve` address, as platforms do"
    ),
) -> None:
    """Run the platform SIMULATOR on loopback until interrupted."""
    from shaheen.referral.channels import WebhookSecrets
    from shaheen.referral.simulator import Simulator, configure_channels, restore_channels

    sessions = open_database().sessions
    if restore:
        for code, outcome in sorted(restore_channels(sessions, actor=SYSTEM).items()):
            console.print(f"{code}: {outcome}", markup=False)
        return
    settings = get_settings()
    simulator = Simulator(
        WebhookSecrets(settings.keys_dir),
        speed=speed,
        answer_to=answer_to,
        window=float(settings.webhook_replay_window_seconds),
    )
    url = simulator.serve(port=port)
    if configure:
        count = configure_channels(sessions, base_url=url, actor=SYSTEM)
        console.print(f"{count} platforms' channels point at the simulator")
    console.print(f"platform SIMULATOR listening on {url} (not a real platform); Ctrl-C stops it")
    stopped = threading.Event()
    # a service manager stops with SIGTERM: put the channels back then too
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    simulator.stop()
    if configure:
        restore_channels(sessions, actor=SYSTEM)
        console.print("the platforms' channels are back as they were")
