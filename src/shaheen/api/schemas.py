"""Typed shapes of the API's own routes (signing in, who am I). Every other route
serves the schemas of the stage it renders."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SignIn(BaseModel):
    """A person's credentials. The password is a `SecretStr`: no repr or log shows it."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: SecretStr = Field(min_length=1, max_length=1024)
    code: str | None = Field(default=None, max_length=16, description="the TOTP code")


class SessionToken(BaseModel):
    """A new session: `token` is shown once; send it as `Authorization: Bearer TOKEN`."""

    token: str
    token_type: str = "bearer"
    username: str
    second_factor: bool
    must_change_password: bool
    second_factor_missing: bool

    def __repr__(self) -> str:  # a token must never reach a log through repr()
        return f"SessionToken(username={self.username!r})"


class Me(BaseModel):
    """Who the token stands for, and what the policy lets them do."""

    model_config = ConfigDict(frozen=True)

    username: str
    agency: str | None
    role: str | None
    platform_admin: bool
    second_factor: bool
    actions: list[str]
