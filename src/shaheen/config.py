"""Settings, read in one place.

All configuration comes from `SHAHEEN_*` environment variables (or a `.env` file in the
working directory). `get_settings()` validates them once; an unknown `SHAHEEN_*`
variable is refused rather than ignored, because a mistyped name (say
`SHAHEEN_DATABSE_URL`) would otherwise silently run against the default database.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shaheen.errors import ConfigError

ENV_PREFIX = "SHAHEEN_"
DEFAULT_SECRET = "development-only-secret-change-me"

# Variables with our prefix that are not settings but belong to the test harness.
_NON_SETTING_VARIABLES = frozenset({"SHAHEEN_TEST_POSTGRES_URL", "SHAHEEN_REQUIRE_POSTGRES"})

# Settings that are gone, with what replaced them: refused with that hint, because a
# shared webhook secret still set in the environment would otherwise look in force.
_RETIRED_VARIABLES = {
    "SHAHEEN_WEBHOOK_SECRET": "each platform now has its own webhook secret in "
    "SHAHEEN_KEYS_DIR; make or rotate one with `shaheen track webhook-secret PLATFORM`",
}


class Settings(BaseSettings):
    """Every setting Shaheen reads, with its default."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="forbid", frozen=True
    )

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = Field(
        default="sqlite:///./var/shaheen.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    media_dir: Path = Field(default=Path("./var/media"), description="content-addressed media")
    model_dir: Path = Field(default=Path("./var/models"), description="trained classifiers")
    index_dir: Path = Field(default=Path("./var/index"), description="hash-matching indexes")
    keys_dir: Path = Field(default=Path("./var/keys"), description="evidence signing keys")
    outbox_dir: Path = Field(default=Path("./var/outbox"), description="file-drop referrals")
    reach_threshold: int = Field(
        default=100_000, ge=0, description="followers from which a referral needs two reviewers"
    )
    protected_list: Path | None = Field(
        default=None, description="file of protected handles (news, journalists, officials)"
    )
    legal_bases: Path | None = Field(
        default=None, description="YAML list of legal provisions a referral may cite"
    )
    match_threshold: int = Field(
        default=31, ge=0, le=63, description="PDQ bits apart that still match (Meta: 31)"
    )
    default_agency: str = Field(default="CTA", description="agency that owns cases a scan opens")
    risk_threshold: float = Field(default=0.6, ge=0.0, le=1.0, description="opens a case")
    cascade_threshold: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="posts naming a group below this fast-stage confidence are embedded",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    secret_key: str = Field(default=DEFAULT_SECRET, description="signs sessions and tokens")
    # Webhook secrets are not settings: each platform has its own, generated into
    # KEYS_DIR on first use (`shaheen track webhook-secret PLATFORM`), so there is no
    # built-in value that could ever be accepted.
    webhook_replay_window_seconds: int = Field(
        default=300,
        ge=10,
        le=86_400,
        description="how far a signed webhook answer's timestamp may be from now",
    )
    webhook_max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=16 * 1024 * 1024,
        description="largest webhook body read; beyond it the answer is refused with 413",
    )
    webhook_refusal_window_seconds: int = Field(
        default=60,
        ge=1,
        le=86_400,
        description="refused webhook requests are summarised in the audit log once per window",
    )
    export_timezone: str = Field(
        default="Asia/Karachi",
        description="zone of exports that write local times without one (WhatsApp)",
    )
    report_timezone: str = Field(
        default="Asia/Karachi",
        description="zone whose calendar weeks and months the reports count in",
    )
    report_min_count: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="counts below this are suppressed in published (transparency) reports",
    )
    sql_echo: bool = False
    web_fonts_dir: Path = Field(
        default=Path("/usr/share/fonts/truetype/noto"),
        description="Noto Nastaliq Urdu and Noto Naskh Arabic .ttf files the web app serves "
        "(Debian's fonts-noto-core, installed by `make`)",
    )
    checkpoint_dir: Path | None = Field(
        default=None,
        description="copies of signed chain checkpoints, outside the database "
        "(default: KEYS_DIR/checkpoints)",
    )
    # Sign-in (access/): a person's session token lives in SESSION_FILE (0600) or in
    # SHAHEEN_TOKEN; a SecretStr so that printing the settings never shows it.
    token: SecretStr | None = Field(
        default=None, description="a session token, used instead of the session file"
    )
    session_file: Path = Field(
        default=Path("./var/session"), description="where `shaheen login` keeps the token"
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="a session ends this long after sign-in"
    )
    session_idle_minutes: int = Field(
        default=120, ge=1, le=24 * 60, description="a session unused this long ends"
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="failed sign-ins in a row that lock a username"
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="how long a username stays locked"
    )
    oidc_providers: Path | None = Field(
        default=None,
        description="YAML file (0600) of agencies' OpenID Connect providers, by agency code",
    )
    # `shaheen serve` (web/commands.py); its options override these.
    workers: int = Field(default=1, ge=1, le=64, description="HTTP server processes")
    cors_origins: list[str] = Field(
        default=[], description="origins browsers may call the API from (JSON list; none: off)"
    )
    max_body_mb: int = Field(default=64, ge=1, le=4096, description="largest request body, MiB")
    # API tokens (access/tokens.py): a token bucket per token, in each server process.
    api_token_rate: float = Field(
        default=50.0, gt=0, le=100_000, description="requests per second one API token may make"
    )
    api_token_burst: int = Field(
        default=100, ge=1, le=1_000_000, description="requests one API token may make at once"
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return url

    @field_validator("export_timezone", "report_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r}; use an IANA name like Asia/Karachi"
            ) from None
        return name

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("SHAHEEN_SECRET_KEY must be set to a private value in production")
        return self


def unknown_variables(environ: dict[str, str] | None = None) -> list[str]:
    """Return the `SHAHEEN_*` variables that name no setting."""
    environ = dict(os.environ) if environ is None else environ
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(
        name
        for name in environ
        if name.upper().startswith(ENV_PREFIX)
        and name.upper() not in known
        and name.upper() not in _NON_SETTING_VARIABLES
    )


def load_settings(**overrides: object) -> Settings:
    """Validate the environment into `Settings`, or raise one readable `ConfigError`."""
    unknown = unknown_variables()
    retired = [name for name in unknown if name.upper() in _RETIRED_VARIABLES]
    if retired:
        name = retired[0].upper()
        raise ConfigError(f"setting {name} is no longer used: {_RETIRED_VARIABLES[name]}")
    if unknown:
        known = ", ".join(ENV_PREFIX + n.upper() for n in Settings.model_fields)
        raise ConfigError(f"unknown setting {', '.join(unknown)}; known settings are: {known}")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        field = ".".join(str(part) for part in first["loc"])
        if not field:  # a rule across several settings
            raise ConfigError(f"invalid settings: {message}") from None
        name = ENV_PREFIX + field.upper() if field in Settings.model_fields else field
        raise ConfigError(f"invalid setting {name}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use."""
    return load_settings()
