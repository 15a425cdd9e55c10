"""Sign-in through an agency's identity provider, against `oidc-provider-mock` running
on 127.0.0.1 (a real OpenID provider built on authlib's server side; no network).

The mock lets anyone be anyone (it asks for a subject and vouches for it): exactly
the provider to test that Shaheen checks what it is told, and maps people only to
users of the provider's own agency.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from sqlalchemy import select

from shaheen.access import flows, oidc
from shaheen.access.schemas import OidcProvider
from shaheen.audit.models import AuditEvent
from shaheen.errors import ConfigError, Unauthenticated
from shaheen.store.base import utcnow
from tests.access.conftest import T0, People, Shell

# The mock's server side uses an authlib hook that authlib has deprecated: its business.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

CLIENT_ID = "shaheen-cta"
IDP_USERS = {
    # subject: claims the provider asserts
    "amina-sub": {
        "email": "cta-analyst@cta.gov.example",
        "email_verified": True,
        "amr": ["pwd", "mfa"],
    },
    "rev-sub": {"email": "cta-reviewer@cta.gov.example", "email_verified": True, "amr": ["pwd"]},
    "sup-sub": {"email": "cta-supervisor@cta.gov.example", "email_verified": True, "amr": ["otp"]},
    "unverified-sub": {"email": "cta-liaison@cta.gov.example", "email_verified": False},
    "pta-sub": {"email": "pta-analyst@pta.gov.example", "email_verified": True, "amr": ["mfa"]},
    "ghost-sub": {"email": "ghost@cta.gov.example", "email_verified": True, "amr": ["mfa"]},
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    app = oidc_provider_mock.app(
        require_nonce=True,
        user_claims=[oidc_provider_mock.User(sub=s, claims=c) for s, c in IDP_USERS.items()],
    )
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def _provider(issuer: str, **changes: str) -> OidcProvider:
    values = {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": "not-a-real-secret"}
    values.update(changes)
    return OidcProvider.model_validate(values)


def browser(subject: str) -> Callable[[str], None]:
    """A person at the provider's page who signs in as `subject` and is sent back."""

    def open_url(url: str) -> None:
        answer = requests.post(url, data={"sub": subject}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        requests.get(answer.headers["Location"], timeout=10)  # to our loopback listener

    return open_url


def _claims(issuer: str, subject: str, **changes: str) -> dict[str, object]:
    return oidc.sign_in_in_browser(
        oidc.OidcClient(_provider(issuer, **changes)), browser(subject), timeout=20
    )


def _raw_id_token(issuer: str, subject: str) -> tuple[str, str, dict[str, object]]:
    """An ID token issued to CLIENT_ID for `subject`, its nonce, and the JWKS."""
    client = oidc.OidcClient(_provider(issuer))
    request = client.begin("http://127.0.0.1:9/callback")
    answer = requests.post(request.url, data={"sub": subject}, allow_redirects=False, timeout=10)
    callback = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    token = requests.post(
        client.metadata()["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": request.redirect_uri,
        },
        auth=(CLIENT_ID, "not-a-real-secret"),
        timeout=10,
    ).json()
    jwks = requests.get(client.metadata()["jwks_uri"], timeout=10).json()
    return token["id_token"], request.nonce, jwks


# --- The happy paths --------------------------------------------------------------------


def test_a_verified_email_of_the_agency_signs_in_with_the_providers_second_factor(
    issuer: str, people: People
) -> None:
    claims = _claims(issuer, "amina-sub")
    assert claims["iss"] == issuer and CLIENT_ID in claims["aud"]  # type: ignore[operator]
    outcome = flows.attempt_oidc_sign_in(
        people.session, agency_code="CTA", match="email", claims=claims, now=T0
    )
    assert outcome.signed_in is not None and outcome.signed_in.second_factor
    principal = flows.principal_for_token(people.session, outcome.signed_in.token, now=T0)
    assert (principal.username, principal.second_factor) == ("cta-analyst", True)
    [event] = people.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.login")
    ).all()[-1:]
    assert event.details["method"] == "oidc" and event.outcome == "ok"


@pytest.mark.parametrize(
    ("subject", "username", "second_factor"),
    [("rev-sub", "cta-reviewer", False), ("sup-sub", "cta-supervisor", True)],
)
def test_amr_decides_the_second_factor(
    issuer: str, people: People, subject: str, username: str, second_factor: bool
) -> None:
    outcome = flows.attempt_oidc_sign_in(
        people.session, agency_code="CTA", match="email", claims=_claims(issuer, subject), now=T0
    )
    assert outcome.signed_in is not None
    assert outcome.signed_in.username == username
    assert outcome.signed_in.second_factor is second_factor
    assert outcome.signed_in.second_factor_missing is not second_factor


def test_mapping_by_subject(issuer: str, people: People) -> None:
    people.users["cta-auditor"].oidc_subject = "ghost-sub"
    claims = _claims(issuer, "ghost-sub")
    outcome = flows.attempt_oidc_sign_in(
        people.session, agency_code="CTA", match="subject", claims=claims, now=T0
    )
    assert outcome.signed_in is not None and outcome.signed_in.username == "cta-auditor"


# --- Refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "agency", "match", "why"),
    [
        ("ghost-sub", "CTA", "email", "no user with that address"),
        ("unverified-sub", "CTA", "email", "address not verified by the provider"),
        ("pta-sub", "CTA", "email", "a user of another agency"),
        ("amina-sub", "PTA", "email", "the right person through another agency's provider"),
        ("amina-sub", "CTA", "subject", "no user carries that subject"),
    ],
)
def test_only_a_matching_active_user_of_that_agency_signs_in(
    issuer: str, people: People, subject: str, agency: str, match: str, why: str
) -> None:
    outcome = flows.attempt_oidc_sign_in(
        people.session, agency_code=agency, match=match, claims=_claims(issuer, subject), now=T0
    )
    assert outcome.signed_in is None, why
    assert outcome.refusal is not None and "no active Shaheen user" in outcome.refusal
    [event] = people.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.login")
    ).all()[-1:]
    assert event.outcome == "rejected" and event.details["method"] == "oidc"


@pytest.mark.parametrize("state", ["disabled", "locked"])
def test_a_disabled_or_locked_user_cannot_sign_in_through_the_provider(
    issuer: str, people: People, state: str
) -> None:
    user = people.users["cta-analyst"]
    if state == "disabled":
        user.active = False
    else:
        user.locked_until = T0 + timedelta(minutes=5)
    outcome = flows.attempt_oidc_sign_in(
        people.session,
        agency_code="CTA",
        match="email",
        claims=_claims(issuer, "amina-sub"),
        now=T0,
    )
    assert outcome.signed_in is None


def test_wrong_audience_issuer_nonce_or_age_is_refused(issuer: str) -> None:
    id_token, nonce, jwks = _raw_id_token(issuer, "amina-sub")
    good = oidc.verify_id_token(
        id_token, jwks=jwks, issuer=issuer, client_id=CLIENT_ID, nonce=nonce
    )
    assert good["sub"] == "amina-sub"
    cases = {
        "aud": {"issuer": issuer, "client_id": "shaheen-pta", "nonce": nonce},
        "iss": {"issuer": "http://127.0.0.1:1", "client_id": CLIENT_ID, "nonce": nonce},
        "nonce": {"issuer": issuer, "client_id": CLIENT_ID, "nonce": "another sign-in's"},
    }
    for claim, expect in cases.items():
        with pytest.raises(Unauthenticated, match=claim):
            oidc.verify_id_token(id_token, jwks=jwks, **expect)  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated, match="expired"):
        oidc.verify_id_token(
            id_token,
            jwks=jwks,
            issuer=issuer,
            client_id=CLIENT_ID,
            nonce=nonce,
            now=utcnow() + timedelta(hours=2),
        )


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_forged_or_unsigned_id_token_is_refused(issuer: str) -> None:
    id_token, nonce, jwks = _raw_id_token(issuer, "amina-sub")
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = _b64({**claims, "email": "cta-admin@cta.gov.example"})
    forged = {
        "changed claims": f"{header}.{forged_payload}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{forged_payload}.",
        "hs256": f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{forged_payload}.{signature}",
    }
    for name, token in forged.items():
        with pytest.raises(Unauthenticated, match="not valid here"):
            oidc.verify_id_token(token, jwks=jwks, issuer=issuer, client_id=CLIENT_ID, nonce=nonce)
        assert name


def test_a_discovery_document_for_another_issuer_is_refused(issuer: str) -> None:
    client = oidc.OidcClient(_provider(issuer + "/"))  # not the issuer the document names
    with pytest.raises(Unauthenticated, match="calls itself"):
        client.metadata()


def test_an_answer_for_another_sign_in_is_refused(issuer: str) -> None:
    client = oidc.OidcClient(_provider(issuer))
    request = client.begin("http://127.0.0.1:9/callback")
    answer = requests.post(
        request.url, data={"sub": "amina-sub"}, allow_redirects=False, timeout=10
    )
    callback = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    with pytest.raises(Unauthenticated, match="does not belong"):
        client.finish(request, {**callback, "state": "someone-elses"})
    with pytest.raises(Unauthenticated, match="refused: access_denied"):
        client.finish(request, {"error": "access_denied", "state": request.state})


# --- Settings ---------------------------------------------------------------------------------


def _write(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_provider_settings_are_private_and_checked(tmp_path: Path) -> None:
    text = (
        "CTA:\n  issuer: https://idp.cta.example\n  client_id: shaheen\n"
        "  client_secret: from-the-idp\n  match: subject\n"
    )
    loose = _write(tmp_path / "loose.yaml", text, 0o644)
    with pytest.raises(Unauthenticated, match="can be read or changed by others"):
        oidc.load_providers(loose)
    good = _write(tmp_path / "good.yaml", text, 0o600)
    provider = oidc.provider_for(oidc.load_providers(good), "CTA")
    assert provider.match == "subject" and "from-the-idp" not in repr(provider)
    plain = _write(tmp_path / "plain.yaml", text.replace("https://", "http://"), 0o600)
    with pytest.raises(ConfigError, match="must be an https:// URL"):
        oidc.load_providers(plain)
    with pytest.raises(ConfigError, match="does not exist"):
        oidc.load_providers(tmp_path / "missing.yaml")


# --- The command line -----------------------------------------------------------------------


def test_shaheen_login_oidc_end_to_end(
    issuer: str, run: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = _write(
        tmp_path / "idp.yaml",
        f"CTA:\n  issuer: {issuer}\n  client_id: {CLIENT_ID}\n  client_secret: s3\n",
        0o600,
    )
    code, _ = run(
        "user",
        "add",
        "CTA",
        "amina",
        "--role",
        "analyst",
        "--email",
        "cta-analyst@cta.gov.example",
        "--operator",
    )
    assert code == 0
    monkeypatch.setattr("shaheen.access.commands.webbrowser.open", browser("amina-sub"))
    code, out = run("login", "--oidc", "CTA", SHAHEEN_OIDC_PROVIDERS=str(settings))
    assert code == 0, out
    assert "signed in as amina (with a second factor)" in out
    assert Path("var/session").stat().st_mode & 0o777 == 0o600
    code, out = run("whoami", SHAHEEN_OIDC_PROVIDERS=str(settings))
    assert code == 0 and "amina: analyst of CTA" in out
    code, out = run("login", "--oidc", "PTA", SHAHEEN_OIDC_PROVIDERS=str(settings))
    assert code == 6 and "no identity provider" in out
