"""Settings: defaults, validation, and one readable line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from shaheen.config import DEFAULT_SECRET, Settings, load_settings, unknown_variables
from shaheen.errors import ConfigError, ReturnCode


def test_defaults_use_an_embedded_sqlite_file() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./var/shaheen.db"
    assert settings.media_dir == Path("var/media")
    assert settings.log_level == "INFO"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAHEEN_DATABASE_URL", "postgresql+psycopg://u@db/shaheen")
    monkeypatch.setenv("SHAHEEN_LOG_LEVEL", "DEBUG")
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://u@db/shaheen"
    assert settings.log_level == "DEBUG"


def test_a_misspelt_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAHEEN_DATABSE_URL", "sqlite:///elsewhere.db")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "unknown setting SHAHEEN_DATABSE_URL" in str(caught.value)
    assert "SHAHEEN_DATABASE_URL" in str(caught.value)
    assert caught.value.return_code is ReturnCode.CONFIG


def test_harness_variables_are_not_settings() -> None:
    environ = {"SHAHEEN_TEST_POSTGRES_URL": "x", "SHAHEEN_REQUIRE_POSTGRES": "1", "HOME": "/"}
    assert unknown_variables(environ) == []


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SHAHEEN_LOG_LEVEL", "LOUD", "invalid setting SHAHEEN_LOG_LEVEL"),
        ("SHAHEEN_DATABASE_URL", "mysql://x/y", "invalid setting SHAHEEN_DATABASE_URL"),
        ("SHAHEEN_ENVIRONMENT", "staging", "invalid setting SHAHEEN_ENVIRONMENT"),
    ],
)
def test_invalid_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=expected):
        load_settings()


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAHEEN_ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match="SHAHEEN_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("SHAHEEN_SECRET_KEY", "a-private-value")
    assert load_settings().secret_key != DEFAULT_SECRET


def test_a_shared_webhook_secret_is_refused_with_what_replaced_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Per-platform secrets live in the keys folder; no setting (and no default) is a secret.
    monkeypatch.setenv("SHAHEEN_WEBHOOK_SECRET", DEFAULT_SECRET)
    with pytest.raises(ConfigError, match="no longer used: each platform now has its own"):
        load_settings()
    assert not any("secret" in name for name in Settings.model_fields if "webhook" in name)
