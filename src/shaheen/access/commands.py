"""`shaheen login`, `logout`, `whoami` and `shaheen user …`: rendering only.

User administration acts as the signed-in person (an agency's administrator, or a
platform administrator for agencies' administrators), or, with `--operator`, as the
audited `system` actor of the person running the server: that is how the first
platform administrator is made. Temporary passwords and otpauth URIs are printed
once, to the administrator's terminal, and never logged.
"""

from __future__ import annotations

import webbrowser

import typer
from rich.console import Console
from rich.table import Table

from shaheen.access import current, flows, oidc
from shaheen.access.rules import Principal
from shaheen.access.schemas import NewCredentials, SignedIn
from shaheen.agencies.enums import Role
from shaheen.agencies.models import Agency
from shaheen.config import get_settings
from shaheen.errors import Unauthenticated
from shaheen.runtime import Database, open_database
from shaheen.store.engine import session_scope, write_scope

user_app = typer.Typer(
    help="People: add, reset, disable, enrol a second factor.", no_args_is_help=True
)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

OPERATOR = typer.Option(
    False, "--operator", help="act as the server's operator (audited as `system`)"
)


def _actor(database: Database, operator: bool) -> Principal:
    return current.operator_principal() if operator else current.current_principal(database)


def _report_signed_in(signed_in: SignedIn) -> None:
    factor = "with a second factor" if signed_in.second_factor else "with a password only"
    console.print(f"signed in as {signed_in.username} ({factor})")
    if signed_in.second_factor_missing:
        errors.print(
            "[yellow]your role needs a second factor for some actions: enrol one with "
            "`shaheen user totp`, then sign in again[/]"
        )


def login(
    username: str | None = typer.Argument(None, help="your username"),
    agency: str | None = typer.Option(
        None, "--oidc", metavar="AGENCY", help="sign in through AGENCY's identity provider"
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="print the identity provider's URL instead of opening it"
    ),
    print_token: bool = typer.Option(
        False, "--print-token", help="print the token (for SHAHEEN_TOKEN) instead of saving it"
    ),
) -> None:
    """Sign in; the session token goes to the session file (0600)."""
    settings = get_settings()
    database = open_database()
    if agency is not None:
        signed_in = _login_oidc(database, agency, no_browser)
    else:
        if not username:
            raise typer.BadParameter("give your USERNAME, or --oidc AGENCY")
        password = typer.prompt("password", hide_input=True)
        code = typer.prompt(
            "second-factor code (empty if you have none)",
            default="",
            show_default=False,
            hide_input=True,
        )
        signed_in = flows.login(database.sessions, username=username, password=password, code=code)
        if signed_in.must_change_password:
            console.print("your password is temporary: choose your own now")
            new = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
            if not print_token:
                current.save_token(signed_in.token, settings)
            with session_scope(database.sessions) as session:
                flows.change_password(session, token=signed_in.token, current=password, new=new)
    if print_token:
        typer.echo(signed_in.token)
    else:
        current.save_token(signed_in.token, settings)
    _report_signed_in(signed_in)


def _login_oidc(database: Database, agency: str, no_browser: bool) -> SignedIn:
    settings = get_settings()
    provider = oidc.provider_for(oidc.load_providers(settings.oidc_providers), agency)
    client = oidc.OidcClient(provider)

    def open_url(url: str) -> None:
        errors.print(f"sign in at: {url}")
        if not no_browser:
            webbrowser.open(url)

    claims = oidc.sign_in_in_browser(client, open_url)
    with write_scope(database.sessions) as session:
        outcome = flows.attempt_oidc_sign_in(
            session, agency_code=agency, match=provider.match, claims=claims
        )
    if outcome.signed_in is None:
        raise Unauthenticated(outcome.refusal or flows.REFUSED)
    return outcome.signed_in


def logout() -> None:
    """End this session and delete the session file."""
    token = current.current_token()
    database = open_database()
    with session_scope(database.sessions) as session:
        ended = flows.logout(session, token)
    removed = current.forget_token()
    console.print("signed out" if ended or removed else "no one was signed in")


def whoami() -> None:
    """Who the session token stands for, and what they may do."""
    database = open_database()
    principal = current.current_principal(database)
    with session_scope(database.sessions) as session:
        agency = session.get(Agency, principal.agency_id) if principal.agency_id else None
    role = principal.role.value if principal.role else "no role"
    extra = ", platform administrator" if principal.platform_admin else ""
    factor = "with" if principal.second_factor else "without"
    console.print(
        f"{principal.username}: {role} of {agency.code if agency else '?'}{extra}, "
        f"signed in {factor} a second factor"
    )
    console.print("may: " + ", ".join(sorted(a.value for a in principal.actions)))


def _print_credentials(new: NewCredentials) -> None:
    # Plain echo, not Rich: a secret must not be wrapped across lines or read as markup.
    if new.temporary_password:
        typer.echo(
            f"temporary password for {new.username} (to be replaced at first sign-in): "
            f"{new.temporary_password}"
        )
    if new.totp_uri:
        typer.echo(f"authenticator app (otpauth URI): {new.totp_uri}")
    typer.echo("hand these over in person or by a channel only they can read")


@user_app.command("add")
def add(
    agency: str = typer.Argument(..., help="the agency's code"),
    username: str = typer.Argument(..., help="login name"),
    role: Role = typer.Option(..., help="what the person may do"),
    name: str | None = typer.Option(None, help="display name (default: the username)"),
    email: str | None = typer.Option(None, help="e-mail (also matches an identity provider)"),
    platform_admin: bool = typer.Option(
        False, "--platform-admin", help="may manage agencies and their administrators"
    ),
    oidc_subject: str | None = typer.Option(
        None, "--oidc-subject", help="the agency identity provider's subject for this person"
    ),
    operator: bool = OPERATOR,
) -> None:
    """Add a person with one role in one agency; prints a temporary password (and an
    otpauth URI where the role needs a second factor)."""
    database = open_database()
    actor = _actor(database, operator)
    with flows.guarded(database.sessions, actor=actor, action="user.add", username=username) as s:
        new = flows.add_user(
            s,
            actor=actor,
            agency_code=agency,
            username=username,
            role=role,
            display_name=name,
            email=email,
            platform_admin=platform_admin,
            oidc_subject=oidc_subject,
        )
    title = role.value + (", platform administrator" if platform_admin else "")
    console.print(f"{username} ({title}) in {agency}")
    _print_credentials(new)


@user_app.command("passwd")
def passwd() -> None:
    """Change your own password (you stay signed in; your other sessions end)."""
    database = open_database()
    token = current.current_token()
    if token is None:
        raise Unauthenticated(f"no one is signed in: {current.SIGN_IN_HINT}")
    old = typer.prompt("current password", hide_input=True)
    new = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    with session_scope(database.sessions) as session:
        flows.change_password(session, token=token, current=old, new=new)
    console.print("password changed")


@user_app.command("reset")
def reset(username: str, operator: bool = OPERATOR) -> None:
    """Give a person of your agency a temporary password; their sessions end."""
    database = open_database()
    actor = _actor(database, operator)
    with flows.guarded(
        database.sessions, actor=actor, action="user.password_reset", username=username
    ) as session:
        new = flows.reset_password(session, actor=actor, username=username)
    _print_credentials(new)


@user_app.command("disable")
def disable(username: str, operator: bool = OPERATOR) -> None:
    """Stop a person signing in; their sessions end."""
    database = open_database()
    actor = _actor(database, operator)
    with flows.guarded(
        database.sessions, actor=actor, action="user.disable", username=username
    ) as session:
        flows.set_active(session, actor=actor, username=username, active=False)
    console.print(f"{username} disabled")


@user_app.command("enable")
def enable(username: str, operator: bool = OPERATOR) -> None:
    """Let a person sign in again (also lifts a lock-out after failed sign-ins)."""
    database = open_database()
    actor = _actor(database, operator)
    with flows.guarded(
        database.sessions, actor=actor, action="user.enable", username=username
    ) as session:
        flows.set_active(session, actor=actor, username=username, active=True)
    console.print(f"{username} enabled")


@user_app.command("totp")
def totp(
    username: str | None = typer.Argument(None, help="whom to enrol (default: yourself)"),
    operator: bool = OPERATOR,
) -> None:
    """Enrol a (new) TOTP second factor; prints the otpauth URI for an authenticator app."""
    database = open_database()
    actor = _actor(database, operator)
    name = username or actor.username
    with flows.guarded(
        database.sessions, actor=actor, action="user.totp_enrol", username=name
    ) as session:
        uri = flows.enrol_totp(session, actor=actor, username=username)
    _print_credentials(NewCredentials(name, None, uri))


@user_app.command("list")
def list_(operator: bool = OPERATOR) -> None:
    """The people you administer."""
    database = open_database()
    actor = _actor(database, operator)
    with session_scope(database.sessions) as session:
        rows = flows.list_users(session, actor=actor)
    table = Table(title="Users")
    for column in ("username", "agency", "role", "state", "2FA", "last sign-in"):
        table.add_column(column)
    for row in rows:
        state = "disabled" if not row.active else "locked" if row.locked else "active"
        if row.must_change_password:
            state += ", temporary password"
        role = row.role.value + (" + platform admin" if row.platform_admin else "")
        last = row.last_login_at.strftime("%Y-%m-%d %H:%M") if row.last_login_at else "never"
        table.add_row(
            row.username, row.agency, role, state, "yes" if row.second_factor else "no", last
        )
    console.print(table)
