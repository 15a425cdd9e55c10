"""Who is acting at the command line: the signed-in person, or the operator.

A command that records a person's decision, shows case content or exports evidence
calls `current_principal(database)`: the session token comes from SHAHEEN_TOKEN or,
failing that, from the session file that `shaheen login` wrote (0600; a file others
can read is refused, not used). Server-side operator commands (migrate, ingest,
scan, kb load, verify, reports) call `operator_principal()` and are audited as
`system`. The shell's login name is never an actor.
"""

from __future__ import annotations

from pathlib import Path

from shaheen.access import flows
from shaheen.access.private_files import read_private, remove, write_private
from shaheen.access.rules import Principal, system
from shaheen.config import Settings, get_settings
from shaheen.errors import Unauthenticated
from shaheen.runtime import Database
from shaheen.store.engine import session_scope

SIGN_IN_HINT = "sign in with `shaheen login USERNAME` (or set SHAHEEN_TOKEN)"


def session_file(settings: Settings | None = None) -> Path:
    """Where `shaheen login` keeps the session token."""
    return (settings or get_settings()).session_file


def save_token(token: str, settings: Settings | None = None) -> Path:
    """Write the session token to the session file, mode 0600."""
    path = session_file(settings)
    write_private(path, token + "\n")
    return path


def forget_token(settings: Settings | None = None) -> bool:
    """Delete the session file; whether there was one."""
    return remove(session_file(settings))


def current_token(settings: Settings | None = None) -> str | None:
    """The session token: SHAHEEN_TOKEN, else the session file, else None."""
    settings = settings or get_settings()
    if settings.token is not None and settings.token.get_secret_value().strip():
        return settings.token.get_secret_value().strip()
    path = settings.session_file
    if not path.exists() and not path.is_symlink():
        return None
    return read_private(path, "session file").strip() or None


def current_principal(database: Database, settings: Settings | None = None) -> Principal:
    """The signed-in person; `Unauthenticated`, with what to do, if there is none or
    the session is no longer good."""
    token = current_token(settings)
    if token is None:
        raise Unauthenticated(f"no one is signed in: {SIGN_IN_HINT}")
    with session_scope(database.sessions) as session:
        return flows.principal_for_token(session, token, settings=settings)


def operator_principal() -> Principal:
    """The operator's `system` actor, for server-side commands."""
    return system()
