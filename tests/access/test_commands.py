"""`shaheen login`, `whoami`, `logout` and `shaheen user …` as people run them.

In-process (Typer's runner) for speed, with `main()`'s mapping of domain errors to
exit codes; one subprocess check that the real command prints one line and exits 8.
"""

from __future__ import annotations

import re
import stat
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from shaheen.access import credentials
from shaheen.audit.models import AuditEvent
from shaheen.runtime import open_database
from shaheen.store.base import utcnow
from tests.access.conftest import Shell
from tests.test_cli import shaheen

NEW_PASSWORD = "a passphrase of my own"


def _credentials(output: str) -> tuple[str, str | None]:
    password = re.search(r"temporary password for \S+ \(.*?\): (\S+)", output)
    uri = re.search(r"(otpauth://\S+)", output)
    assert password, output
    return password.group(1), uri.group(1) if uri else None


def _code(uri: str | None, later: int = 0) -> str:
    assert uri is not None
    secret = pyotp.parse_uri(uri).secret
    return credentials.totp_code(secret, utcnow() + timedelta(seconds=30 * later))


def _first_sign_in(run: Shell, username: str, output: str, *extra: str) -> tuple[int, str]:
    temporary, uri = _credentials(output)
    code = _code(uri) if uri else ""
    answers = f"{temporary}\n{code}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    return run("login", username, *extra, input=answers)


def _audit(action: str) -> list[AuditEvent]:
    database = open_database()
    with database.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.sequence)
            )
        )


def test_the_first_platform_administrator_is_made_by_the_operator(run: Shell) -> None:
    code, out = run("user", "add", "CTA", "root", "--role", "admin", "--platform-admin")
    assert code == 8 and "no one is signed in" in out
    code, out = run(
        "user", "add", "CTA", "root", "--role", "admin", "--platform-admin", "--operator"
    )
    assert code == 0, out
    code, signed = _first_sign_in(run, "root", out)
    assert code == 0, signed
    assert "choose your own now" in signed and "with a second factor" in signed
    session_file = Path("var/session")
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    token = session_file.read_text().strip()
    assert token.startswith("shs_") and token not in signed
    code, out = run("whoami")
    assert code == 0 and "root: admin of CTA, platform administrator" in out
    assert "with a second factor" in out and "user.admin" in out
    [added] = _audit("user.add")
    assert added.actor == "system" and added.details["platform_admin"] is True
    # the administrator now adds people as themself
    code, out = run("user", "add", "CTA", "amina", "--role", "analyst")
    assert code == 0 and "temporary password for amina" in out and "otpauth" not in out
    assert _audit("user.add")[-1].actor == "root"
    code, out = run("user", "list")
    assert code == 0 and "amina" in out and "temporary" in out


@pytest.fixture
def admin(run: Shell) -> str:
    """CTA's administrator, signed in (session file written)."""
    code, out = run("user", "add", "CTA", "cta-admin", "--role", "admin", "--operator")
    assert code == 0
    assert _first_sign_in(run, "cta-admin", out)[0] == 0
    return out


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_a_session_file_others_can_read_is_refused(run: Shell, admin: str, mode: int) -> None:
    Path("var/session").chmod(mode)
    code, out = run("whoami")
    assert code == 8 and "can be read or changed by others" in out and f"{mode:04o}" in out
    Path("var/session").chmod(0o600)
    assert run("whoami")[0] == 0


def test_a_token_in_the_environment_and_signing_out(run: Shell, admin: str) -> None:
    _, uri = _credentials(admin)
    answers = f"{NEW_PASSWORD}\n{_code(uri, later=1)}\n"
    code, out = run("login", "cta-admin", "--print-token", input=answers)
    assert code == 0, out
    token = next(line for line in out.splitlines() if line.startswith("shs_"))
    Path("var/session").unlink()
    code, out = run("whoami", SHAHEEN_TOKEN=token)
    assert code == 0 and "cta-admin: admin of CTA" in out
    assert run("logout", SHAHEEN_TOKEN=token)[0] == 0
    code, out = run("whoami", SHAHEEN_TOKEN=token)
    assert code == 8 and "was ended" in out
    code, out = run("whoami")
    assert code == 8 and "no one is signed in" in out


def test_a_wrong_password_at_the_prompt_is_exit_8_and_no_session_file(run: Shell) -> None:
    code, out = run("user", "add", "CTA", "ana", "--role", "analyst", "--operator")
    code, out = run("login", "ana", input="not my password\n\n")
    assert code == 8 and "sign-in failed: wrong username, password or code" in out
    assert not Path("var/session").exists()
    code, out = run("login", "nobody", input="not my password\n\n")
    assert code == 8 and "sign-in failed: wrong username, password or code" in out
    [*_, refused] = _audit("user.login")
    assert refused.outcome == "rejected" and "username_sha256" in refused.details


def test_another_agencys_administrator_cannot_reset_and_is_audited(run: Shell, admin: str) -> None:
    assert run("user", "add", "CTA", "amina", "--role", "analyst")[0] == 0
    code, out = run("user", "add", "PTA", "pta-admin", "--role", "admin", "--operator")
    assert _first_sign_in(run, "pta-admin", out)[0] == 0
    code, out = run("user", "reset", "amina")
    assert code == 6 and "no user 'amina'" in out
    [refused] = _audit("user.password_reset")
    assert (refused.outcome, refused.actor) == ("rejected", "pta-admin")
    code, out = run("user", "disable", "amina")
    assert code == 6
    code, out = run("user", "add", "CTA", "mole", "--role", "analyst")
    assert code == 7 and "your own agency" in out


def test_an_admin_resets_disables_and_enables_in_their_agency(run: Shell, admin: str) -> None:
    code, out = run("user", "add", "CTA", "amina", "--role", "analyst")
    code, out = run("user", "reset", "amina")
    assert code == 0 and "temporary password for amina" in out
    assert _audit("user.password_reset")[-1].actor == "cta-admin"
    assert run("user", "disable", "amina")[0] == 0
    temporary, _ = _credentials(out)
    code, out = run("login", "amina", input=f"{temporary}\n\n")
    assert code == 8 and "sign-in failed" in out
    assert run("user", "enable", "amina")[0] == 0
    assert run("user", "disable", "cta-admin")[0] == 5  # not oneself
    code, out = run("user", "totp", "amina")
    assert code == 0 and "otpauth://totp/" in out


def test_agency_user_is_the_operators_user_add(run: Shell) -> None:
    code, out = run("agency", "user", "CTA", "rev1", "--role", "reviewer")
    assert code == 0 and "temporary password for rev1" in out and "otpauth://" in out
    [added] = _audit("user.add")
    assert added.actor == "system" and added.details["role"] == "reviewer"
    [agency] = _audit("agency.add")[:1]
    assert agency.actor == "system"


def test_the_real_command_says_sign_in_in_one_line(tmp_path: Path) -> None:
    assert shaheen("db", "upgrade", cwd=tmp_path).returncode == 0
    result = shaheen("whoami", cwd=tmp_path)
    assert result.returncode == 8
    assert result.stderr.strip().splitlines() == [
        "error: no one is signed in: sign in with `shaheen login USERNAME` (or set SHAHEEN_TOKEN)"
    ]
