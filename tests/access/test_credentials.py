"""Credentials, pure: argon2 hashes, TOTP codes (once each), token digests."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher

from shaheen.access import credentials
from shaheen.errors import BadInput
from tests.access.conftest import T0, CountingHasher


def test_argon2id_with_the_library_defaults_in_production() -> None:
    previous = credentials.use_hasher(PasswordHasher())
    try:
        encoded = credentials.hash_password("a long enough password")
    finally:
        credentials.use_hasher(previous)
    defaults = PasswordHasher()
    assert encoded.startswith("$argon2id$")
    assert f"m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}" in encoded


def test_a_password_matches_only_its_hash() -> None:
    encoded = credentials.hash_password("correct horse battery staple")
    assert credentials.verify_password(encoded, "correct horse battery staple")
    assert not credentials.verify_password(encoded, "correct horse battery stapl")
    assert not credentials.verify_password(encoded, "")
    assert not credentials.verify_password("not a hash", "correct horse battery staple")


def test_no_hash_runs_argon2_all_the_same_and_fails() -> None:
    hasher = CountingHasher()
    previous = credentials.use_hasher(hasher)
    try:
        assert not credentials.verify_password(None, "anything at all")
    finally:
        credentials.use_hasher(previous)
    assert len(hasher.verified) == 1 and hasher.verified[0].startswith("$argon2id$")


def test_an_overlong_password_never_matches_even_on_its_prefix() -> None:
    password = "p" * credentials.MAX_PASSWORD_LENGTH
    encoded = credentials.hash_password(password)
    assert credentials.verify_password(encoded, password)
    assert not credentials.verify_password(encoded, password + "extra")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12"),
        ("x" * 1025, "at most 1024"),
        ("my name is Amina.Khan!", "must not contain the username"),
    ],
)
def test_new_passwords_are_checked(password: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        credentials.check_new_password(password, username="amina.khan")


def test_a_totp_code_is_good_in_its_window_and_only_once() -> None:
    secret = credentials.new_totp_secret()
    code = credentials.totp_code(secret, T0)
    assert code == pyotp.TOTP(secret).at(T0)  # the standard's code, not our own idea of it
    step = credentials.match_totp(secret, code, at=T0, last_step=None)
    assert step is not None
    # a clock 30 s off either way still works; further off does not
    assert credentials.match_totp(secret, code, at=T0 + timedelta(seconds=30), last_step=None)
    assert credentials.match_totp(secret, code, at=T0 - timedelta(seconds=30), last_step=None)
    assert (
        credentials.match_totp(secret, code, at=T0 + timedelta(seconds=90), last_step=None) is None
    )
    # once used, neither the same code nor an older one is accepted again
    assert credentials.match_totp(secret, code, at=T0, last_step=step) is None
    older = credentials.totp_code(secret, T0 - timedelta(seconds=30))
    assert credentials.match_totp(secret, older, at=T0, last_step=step) is None
    newer = credentials.totp_code(secret, T0 + timedelta(seconds=30))
    assert credentials.match_totp(secret, newer, at=T0, last_step=step) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "000000 "])
def test_malformed_totp_codes_fail(code: str) -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    good = credentials.totp_code(secret, T0)
    if code.strip() == good:
        pytest.skip("the random code happens to be right")
    assert credentials.match_totp(secret, code, at=T0, last_step=None) is None


def test_the_otpauth_uri_names_the_user_and_the_issuer() -> None:
    uri = credentials.totp_uri(credentials.new_totp_secret(), username="amina")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.name == "amina" and parsed.issuer == "Shaheen"


def test_tokens_are_random_and_stored_as_their_sha256() -> None:
    first, second = credentials.new_token(), credentials.new_token()
    assert first.value != second.value and first.value.startswith("shs_")
    assert len(first.digest) == 64 and first.value not in first.digest
    assert credentials.token_digest(first.value) == first.digest
    assert credentials.same_digest(first.digest, credentials.token_digest(first.value + "\n"))
    assert not credentials.same_digest(first.digest, second.digest)
