"""`shaheen refer …`, `shaheen track …` and `shaheen simulate platforms`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select, update

from shaheen.config import get_settings
from shaheen.referral.enums import EventSource, ReferralStatus
from shaheen.runtime import open_database
from shaheen.store.engine import session_scope

if TYPE_CHECKING:  # imported where used: `shaheen --help` stays fast
    from shaheen.evidence.service import Signer
    from shaheen.referral.tracking import ChannelSettings

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
refer_app = typer.Typer(help="Referrals to platforms: create and send.", no_args_is_help=True)
track_app = typer.Typer(help="Follow referrals to their end.", no_args_is_help=True)
simulate_app = typer.Typer(help="Local simulators for demos and tests.", no_args_is_help=True)


def _channel_settings() -> ChannelSettings:
    from shaheen.referral.tracking import ChannelSettings

    settings = get_settings()
    return ChannelSettings(settings.outbox_dir, settings.webhook_secret)


def _signer() -> Signer:
    from shaheen.evidence.service import Signer

    return Signer(get_settings().keys_dir)


@refer_app.command("create")
def create(case: int, user: str = typer.Option(..., "--as", help="your username")) -> None:
    """A draft referral from a case a reviewer referred (with a signed evidence snapshot)."""
    from shaheen.referral import service

    referral_id = service.create_from_case(
        open_database().sessions, case_id=case, username=user, signer=_signer()
    )
    console.print(f"referral {referral_id} drafted from case {case}")


@refer_app.command("send")
def send(referral: int, user: str = typer.Option(..., "--as", help="your username")) -> None:
    """Build the platform's package and send it through the platform's channel."""
    from shaheen.referral import tracking

    package = tracking.send(
        open_database().sessions,
        referral_id=referral,
        username=user,
        settings=_channel_settings(),
        signer=_signer(),
    )
    console.print(
        f"referral {referral} sent to {package.platform} (package {package.sha256[:16]}…)"
    )


@refer_app.command("show")
def show(referral: int) -> None:
    """A referral, its items and every status change."""
    from shaheen.referral import service
    from shaheen.referral.models import ReferralEvent, ReferralItem

    with session_scope(open_database().sessions) as session:
        found = service.get_referral(session=session, referral_id=referral)
        items = session.scalars(select(ReferralItem).where(ReferralItem.referral_id == referral))
        events = session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral)
            .order_by(ReferralEvent.occurred_at, ReferralEvent.id)
        )
        document = {
            "referral": found.id,
            "status": found.status.value,
            "urgent": found.urgent,
            "legal_basis": found.legal_basis,
            "platform_reference": found.platform_reference,
            "due_at": found.due_at,
            "escalation_level": found.escalation_level,
            "items": [{"url": i.url, "online": i.online} for i in items],
            "events": [
                {
                    "at": e.occurred_at,
                    "from": e.from_status.value if e.from_status else None,
                    "to": e.to_status.value,
                    "source": e.source.value,
                    "note": e.note,
                }
                for e in events
            ],
        }
    typer.echo(json.dumps(document, indent=2, default=str, ensure_ascii=False))


@track_app.command("record")
def record(
    referral: int,
    status: ReferralStatus,
    user: str = typer.Option(..., "--as", help="your username"),
    reference: str | None = typer.Option(None, help="the platform's reference"),
    note: str = typer.Option(""),
) -> None:
    """Record a platform's answer by hand (illegal moves are refused and audited)."""
    from shaheen.referral import service

    service.record_status(
        open_database().sessions,
        referral_id=referral,
        status=status,
        source=EventSource.MANUAL,
        actor=user,
        platform_reference=reference,
        note=note,
    )
    console.print(f"referral {referral}: {status.value}")


@track_app.command("import")
def import_(file: Path, user: str = typer.Option(..., "--as", help="your username")) -> None:
    """Answers from a CSV: referral_id,status[,platform_reference,at,note]."""
    from shaheen.referral import tracking

    result = tracking.import_answers(open_database().sessions, path=file, actor=user)
    for line in result.refused:
        errors.print(f"[red]refused:[/] {line}", highlight=False)
    console.print(f"{result.applied} answers recorded, {len(result.refused)} refused")
    if result.refused:
        raise typer.Exit(5)


@track_app.command()
def poll() -> None:
    """Ask webhook channels for answers to every referral still waiting for one."""
    from shaheen.referral import tracking

    changes = tracking.poll(open_database().sessions, settings=_channel_settings())
    console.print(f"{changes} referrals moved on")


@track_app.command()
def recheck() -> None:
    """Check whether referred items are still online; record removals and reinstatements."""
    from shaheen.referral import tracking

    changes = tracking.recheck(open_database().sessions, settings=_channel_settings())
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

    with session_scope(open_database().sessions) as session:
        found = service.board(session=session, platform_code=platform)
    table = Table("status", "referrals", title=f"{found.platform}: {found.total:,} referrals")
    for status, count in sorted(found.by_status.items()):
        table.add_row(status, f"{count:,}")
    console.print(table)


@simulate_app.command("platforms")
def simulate_platforms(
    port: int = typer.Option(8765, help="loopback port"),
    speed: float = typer.Option(3600.0, help="simulated seconds per real second"),
    configure: bool = typer.Option(
        False, help="point the platforms' channels at the simulator (webhook)"
    ),
) -> None:
    """Run the platform SIMULATOR on loopback until interrupted."""
    from shaheen.platforms.enums import ChannelKind
    from shaheen.platforms.models import Platform
    from shaheen.referral.simulator import Simulator

    simulator = Simulator(get_settings().webhook_secret, speed=speed)
    url = simulator.serve(port=port)
    if configure:
        with session_scope(open_database().sessions) as session:
            for platform in session.scalars(select(Platform)):
                session.execute(
                    update(Platform)
                    .where(Platform.id == platform.id)
                    .values(
                        channel_kind=ChannelKind.WEBHOOK,
                        channel_address=f"{url}/{platform.code}/referrals",
                    )
                )
    console.print(f"platform SIMULATOR listening on {url} (not a real platform); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        simulator.stop()
