"""Credentials, pure: argon2 password hashes, TOTP codes, session tokens.

Nothing here touches the database or logs. Every secret is compared in constant time:
argon2's own verify for passwords, `hmac.compare_digest` for TOTP codes and token
digests, so that how long a refusal takes says nothing about how close a guess was.

Why argon2-cffi's default parameters (argon2id, RFC 9106's second recommendation):
they are the library maintainers' considered choice and move with it; a hash made
with older parameters is re-made at the next good sign-in (`needs_rehash`). Tests
swap in a cheap hasher through `use_hasher`, never production code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shaheen.errors import BadInput

#: Shown by authenticator apps next to the account name.
TOTP_ISSUER = "Shaheen"
#: Steps either side of now still accepted: clocks drift, people type slowly.
TOTP_WINDOW = 1
TOKEN_PREFIX = "shs_"
MIN_PASSWORD_LENGTH = 12
# argon2 hashes whatever it is given; a bound keeps a megabyte "password" from being
# a cheap way to make the server work.
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()
_dummy: dict[int, str] = {}


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Replace the hasher (tests use a cheap one); returns the previous one."""
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


def hash_password(password: str) -> str:
    """The argon2id encoded hash of `password` (parameters and salt included)."""
    return _hasher.hash(password)


def _dummy_hash() -> str:
    # Made once per hasher, with the same parameters as real hashes, so verifying
    # against it costs what verifying a real user's password costs.
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy[key]


def verify_password(encoded: str | None, password: str) -> bool:
    """Whether `password` matches `encoded`. With no hash (an unknown user, or one
    who signs in only through an identity provider) argon2 still runs, against a
    dummy hash, and the answer is False: the cost is the same either way."""
    too_long = len(password) > MAX_PASSWORD_LENGTH  # no stored password is
    try:
        matched = _hasher.verify(
            _dummy_hash() if encoded is None or too_long else encoded,
            password[:MAX_PASSWORD_LENGTH],
        )
    except (VerificationError, InvalidHashError):
        return False
    return matched and encoded is not None and not too_long


def needs_rehash(encoded: str) -> bool:
    """Whether a stored hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(encoded)


def check_new_password(password: str, *, username: str) -> None:
    """Refuse passwords too short, too long, or that are the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadInput(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if username.casefold() in password.casefold():
        raise BadInput("a password must not contain the username")


def temporary_password() -> str:
    """A random password an admin hands over; the user must replace it at sign-in."""
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


# --- TOTP (RFC 6238) -------------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def totp_uri(secret: str, *, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def totp_code(secret: str, at: datetime) -> str:
    """The code for the time step containing `at` (tests and the demo use it)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(at))


def match_totp(secret: str, code: str, *, at: datetime, last_step: int | None) -> int | None:
    """The time step whose code `code` is, within the window around `at` and after
    `last_step` (a code is good once), or None.

    Every step of the window is computed and compared, in constant time, whether or
    not an earlier one matched.
    """
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at)
    given = code.strip().replace(" ", "").encode()
    found: int | None = None
    for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1):
        expected = totp.generate_otp(step).encode()
        if hmac.compare_digest(expected, given) and (last_step is None or step > last_step):
            found = step
    return found


# --- Session tokens ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    """A new session token: `value` goes to its holder once, `digest` to the database."""

    value: str
    digest: str


def new_token() -> Token:
    """A random session token (256 bits) and its SHA-256."""
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return Token(value, token_digest(value))


def token_digest(value: str) -> str:
    """The SHA-256 (hex) under which a token is stored and looked up."""
    return hashlib.sha256(value.strip().encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time equality of two hex digests."""
    return hmac.compare_digest(a.encode(), b.encode())
