"""Sign-in through an agency's own OpenID Connect identity provider (authlib).

The authorization-code flow with PKCE, `state` and `nonce`, as a native application
does it (RFC 8252): the command line listens on a loopback port for the provider's
redirect. Everything the provider says is checked before it counts:

* discovery: the document's `issuer` must be exactly the configured issuer;
* the ID token: signed with a key from the provider's JWKS, with an algorithm the
  provider announced (never `none`, never a symmetric one keyed by a public key);
  `iss` is the issuer, `aud` holds our client id, not expired, our `nonce`;
* the person: mapped to a user *of that agency only* (`flows.attempt_oidc_sign_in`).

A second factor counts if the provider asserts one in `amr` ("mfa" or "otp").
Providers are configured per agency in the YAML file named by SHAHEEN_OIDC_PROVIDERS,
which holds client secrets and is therefore read only when its mode is 0600.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import yaml
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from pydantic import ValidationError

from shaheen.access.private_files import read_private
from shaheen.access.schemas import OidcProvider
from shaheen.errors import ConfigError, NotFound, Unauthenticated

#: Asymmetric algorithms only: with HS256 the "key" would be the public JWKS.
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
TIMEOUT_SECONDS = 10
#: Seconds of clock difference tolerated on `exp`, `iat`, `nbf`.
LEEWAY_SECONDS = 60


def load_providers(path: Path | None) -> dict[str, OidcProvider]:
    """The identity providers by agency code, from the settings file (0600)."""
    if path is None:
        return {}
    try:
        raw = yaml.safe_load(read_private(path, "identity-provider settings")) or {}
    except FileNotFoundError:
        raise ConfigError(f"SHAHEEN_OIDC_PROVIDERS names {path}, which does not exist") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of agency codes to providers")
    providers = {}
    for code, entry in raw.items():
        try:
            providers[str(code)] = OidcProvider.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: agency {code}: {where}: {first['msg']}") from None
    return providers


def provider_for(providers: Mapping[str, OidcProvider], agency_code: str) -> OidcProvider:
    """The provider of one agency; `NotFound` with the setting to use if none."""
    try:
        return providers[agency_code]
    except KeyError:
        raise NotFound(
            f"agency {agency_code!r} has no identity provider configured "
            "(SHAHEEN_OIDC_PROVIDERS); sign in with a password instead"
        ) from None


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """One sign-in in progress: the URL for the browser and what must come back."""

    url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str

    def __repr__(self) -> str:  # the verifier is a secret until it is spent
        return f"AuthRequest(url={self.url!r})"


class OidcClient:
    """An agency's identity provider, as a relying party sees it."""

    def __init__(self, provider: OidcProvider) -> None:
        self.provider = provider
        self._metadata: dict[str, Any] | None = None

    def _session(self, redirect_uri: str | None = None) -> OAuth2Session:
        return OAuth2Session(
            client_id=self.provider.client_id,
            client_secret=self.provider.client_secret.get_secret_value(),
            scope=self.provider.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=False)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise Unauthenticated(
                f"identity provider unreachable or broken at {url}: {exc}"
            ) from None
        if not isinstance(data, dict):
            raise Unauthenticated(f"identity provider answered {url} with no JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, checked against the configured issuer."""
        if self._metadata is None:
            issuer = self.provider.issuer.rstrip("/")
            data = self._get_json(f"{issuer}/.well-known/openid-configuration")
            # OpenID Connect Discovery §4.3: the issuer in the document must be identical
            # to the one configured, or another provider could speak in its name.
            if data.get("issuer") != self.provider.issuer:
                raise Unauthenticated(
                    f"identity provider at {self.provider.issuer} calls itself "
                    f"{data.get('issuer')!r}; check the issuer setting"
                )
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(data.get(key), str):
                    raise Unauthenticated(f"identity provider's discovery has no {key}")
            self._metadata = data
        return self._metadata

    def begin(self, redirect_uri: str) -> AuthRequest:
        """The authorization URL to open, with fresh `state`, `nonce` and PKCE."""
        metadata = self.metadata()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        url, _ = self._session(redirect_uri).create_authorization_url(
            metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
        return AuthRequest(str(url), state, nonce, verifier, redirect_uri)

    def finish(self, request: AuthRequest, callback: Mapping[str, str]) -> dict[str, Any]:
        """Exchange the code from the provider's redirect for a validated ID token's
        claims; `Unauthenticated` for anything amiss."""
        if "error" in callback:
            raise Unauthenticated(
                f"the identity provider refused: {callback.get('error')} "
                f"{callback.get('error_description', '')}".strip()
            )
        if not hmac.compare_digest(callback.get("state", "").encode(), request.state.encode()):
            raise Unauthenticated("the identity provider's answer does not belong to this sign-in")
        code = callback.get("code")
        if not code:
            raise Unauthenticated("the identity provider's answer has no code")
        metadata = self.metadata()
        try:
            token = self._session(request.redirect_uri).fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=request.code_verifier,
                timeout=TIMEOUT_SECONDS,
            )
        except Exception as exc:  # authlib raises OAuthError, requests its own
            raise Unauthenticated(f"the identity provider did not issue a token: {exc}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Unauthenticated("the identity provider issued no ID token")
        return verify_id_token(
            id_token,
            jwks=self._get_json(metadata["jwks_uri"]),
            issuer=self.provider.issuer,
            client_id=self.provider.client_id,
            nonce=request.nonce,
            algorithms=metadata.get("id_token_signing_alg_values_supported"),
            access_token=token.get("access_token"),
        )


def verify_id_token(
    id_token: str,
    *,
    jwks: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: list[str] | None = None,
    access_token: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The claims of an ID token, after checking its signature, issuer, audience,
    lifetime and nonce; `Unauthenticated` naming what failed."""
    allowed = [a for a in (algorithms or ["RS256"]) if a in ALLOWED_ALGORITHMS]
    try:
        decoded = jwt.decode(
            id_token,
            KeySet.import_key_set(jwks),  # type: ignore[arg-type]
            algorithms=allowed,
            registry=JWSRegistry(algorithms=allowed, strict_check_header=False),
        )
        params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": client_id},
            },
            params,
        )
        claims.validate(now=int(now.timestamp()) if now else None, leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError) as exc:
        raise Unauthenticated(
            f"the identity provider's ID token is not valid here: {exc}"
        ) from None
    return dict(claims)


# --- The loopback redirect (RFC 8252 §7.3) -----------------------------------------------


def sign_in_in_browser(
    client: OidcClient,
    open_url: Callable[[str], object],
    *,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Listen on 127.0.0.1, have `open_url` send the person to the provider, wait for
    the redirect back, and return the validated claims."""
    received: dict[str, str] = {}
    done = threading.Event()

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/callback" or done.is_set():
                self.send_error(404)
                return
            received.update(parse_qsl(parts.query))
            done.set()
            body = b"Shaheen: you can close this window and return to the terminal.\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # The default writes the request line (with the code) to stderr.
            return

    server = HTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        request = client.begin(f"http://127.0.0.1:{server.server_port}/callback")
        open_url(request.url)
        if not done.wait(timeout):
            raise Unauthenticated("no answer from the identity provider in time; try again")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
    return client.finish(request, received)
