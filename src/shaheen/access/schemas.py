"""Typed shapes the sign-in flows return, and an agency's identity-provider settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from shaheen.agencies.enums import Role


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A successful sign-in. `token` is shown to its holder once and stored nowhere
    but in the holder's session file (the database keeps its SHA-256)."""

    token: str
    username: str
    second_factor: bool
    must_change_password: bool
    #: The role needs a second factor and none is enrolled: sensitive actions refuse
    #: until `shaheen user totp` enrols one.
    second_factor_missing: bool

    def __repr__(self) -> str:  # a token must never reach a log through repr()
        return f"SignedIn(username={self.username!r}, second_factor={self.second_factor})"


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What a sign-in attempt came to: `signed_in`, or the answer for a refusal."""

    signed_in: SignedIn | None = None
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class NewCredentials:
    """What an admin hands to a person: a temporary password, maybe a TOTP URI."""

    username: str
    temporary_password: str | None
    totp_uri: str | None

    def __repr__(self) -> str:
        return f"NewCredentials(username={self.username!r})"


@dataclass(frozen=True, slots=True)
class UserRow:
    """One line of `shaheen user list`."""

    username: str
    agency: str
    role: Role
    platform_admin: bool
    active: bool
    locked: bool
    second_factor: bool
    must_change_password: bool
    last_login_at: datetime | None


class OidcProvider(BaseModel):
    """One agency's OpenID Connect identity provider (a key of SHAHEEN_OIDC_PROVIDERS).

    `match` says how the provider's person becomes a Shaheen user *of that agency
    only*: by a verified e-mail address (`email`) or by the provider's subject
    recorded on the user (`subject`, `shaheen user add --oidc-subject`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    match: str = Field(default="email", pattern="^(email|subject)$")
    scopes: str = "openid email profile"

    @field_validator("issuer")
    @classmethod
    def _secure_issuer(cls, issuer: str) -> str:
        # Tokens travel from the issuer: https, except a provider on this machine.
        parts = urlsplit(issuer)
        loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError(f"issuer {issuer!r} must be an https:// URL")
        return issuer
