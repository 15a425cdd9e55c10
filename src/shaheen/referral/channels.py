"""How a package reaches a platform: a file drop, e-mail over SMTP, or an HTTPS webhook;
and the secrets and signatures that let a platform's answers be trusted.

A platform's channel is configured on its row (`platforms.channel_kind` and
`channel_address`): a folder for a file drop (default `SHAHEEN_OUTBOX_DIR`), an
`smtp://host:port/recipient@domain` address for e-mail, an `https://…` URL for a webhook.

Each platform shares its own secret with us (`WebhookSecrets`: one file per platform in
the keys folder, mode 0600, made on first use and rotated by `shaheen track
webhook-secret`). Every webhook message, both ways, carries `X-Shaheen-Timestamp` (Unix
seconds) and `X-Shaheen-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body)`.
Why the timestamp is signed too: a captured message can then be replayed only within
the replay window, and the receiver's store of seen delivery ids covers that window.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import smtplib
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from shaheen.config import DEFAULT_SECRET
from shaheen.errors import BadInput, ConfigError, SafeguardViolation, ShaheenError
from shaheen.referral.adapters import RequestPackage

SIGNATURE_HEADER = "X-Shaheen-Signature"
TIMESTAMP_HEADER = "X-Shaheen-Timestamp"
TIMEOUT_SECONDS = 15
DEFAULT_REPLAY_WINDOW = 300.0  # seconds; the setting SHAHEEN_WEBHOOK_REPLAY_WINDOW_SECONDS
MIN_SECRET_LENGTH = 32
# Secrets that were ever built into Shaheen: published, so never a secret.
KNOWN_DEFAULT_SECRETS = frozenset(
    {DEFAULT_SECRET, "demo-webhook-secret (simulator only)", "webhook-test-secret"}
)
_PLATFORM_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class ChannelError(ShaheenError):
    """A package could not be delivered; the referral stays a draft."""


@dataclass(frozen=True)
class Delivery:
    channel: str
    detail: str
    platform_reference: str | None = None


class InsecureSecretFile(ConfigError):
    """A webhook secret file others may read, or holding a value that is no secret."""


class BadSignature(SafeguardViolation):
    """A webhook message without a valid, fresh signature from the platform's secret."""

    def __init__(self, message: str, reason: str = "bad_signature") -> None:
        super().__init__(message)
        self.reason = reason


class WebhookSecrets:
    """The per-platform webhook secrets, one file each in `folder` (the keys folder).

    `get` makes a platform's secret on first use; `existing` never does (the receiving
    side must not let junk requests create files); `rotate` replaces it. A file with
    permissions looser than 0600, or holding a known default or a short value, is
    refused with its path rather than used.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, platform: str) -> Path:
        if not _PLATFORM_CODE.fullmatch(platform):
            raise BadInput(f"{platform!r} is not a platform code")
        return self.folder / f"webhook-{platform}.secret"

    def existing(self, platform: str) -> str | None:
        """The platform's secret, or None if it has none yet."""
        path = self.path(platform)
        try:
            return self._read(path)
        except FileNotFoundError:
            return None

    def get(self, platform: str) -> str:
        """The platform's secret, made on first use."""
        return self.ensure(platform)[0]

    def ensure(self, platform: str) -> tuple[str, bool]:
        """The platform's secret and whether it was made just now."""
        found = self.existing(platform)
        if found is not None:
            return found, False
        value = _new_secret()
        if self._write(self.path(platform), value, exclusive=True):
            return value, True
        return self._read(self.path(platform)), False  # another process made it first

    def rotate(self, platform: str) -> str:
        """A new secret for the platform; the old one stops working at once."""
        value = _new_secret()
        self._write(self.path(platform), value, exclusive=False)
        return value

    def _read(self, path: Path) -> str:
        if os.name == "posix":  # modes mean nothing elsewhere; the folder's ACL must do
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise InsecureSecretFile(
                    f"webhook secret {path} has mode {mode:04o}: other users can read it; "
                    f"run `chmod 600 {path}` (Shaheen refuses to use it until then)"
                )
        value = path.read_text(encoding="utf-8").strip()
        if value in KNOWN_DEFAULT_SECRETS or len(value) < MIN_SECRET_LENGTH:
            raise InsecureSecretFile(
                f"webhook secret {path} is a published default or shorter than "
                f"{MIN_SECRET_LENGTH} characters; make a new one with "
                f"`shaheen track webhook-secret {path.stem.removeprefix('webhook-')} --rotate`"
            )
        return value

    def _write(self, path: Path, value: str, *, exclusive: bool) -> bool:
        """Write with mode 0600 from the start; False if `exclusive` and it exists."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = path if exclusive else path.with_name(f".{path.name}.{os.getpid()}.new")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            descriptor = os.open(target, flags, 0o600)
        except FileExistsError:
            if exclusive:
                return False
            target.unlink()
            descriptor = os.open(target, flags, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        if not exclusive:
            target.replace(path)  # readers see the old secret or the new, never half
        return True


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the HMAC-SHA256 of `timestamp.body` under the secret."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The timestamp and signature headers for a message sent now."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    window: float = DEFAULT_REPLAY_WINDOW,
    now: float | None = None,
) -> float:
    """The signed time (Unix seconds) of a message whose signature is good and fresh.

    Raises `BadSignature` (with a `reason` code) otherwise. The digest is compared in
    constant time; the timestamp must lie within `window` seconds of now either way.
    """
    timestamp, signature = _header(headers, TIMESTAMP_HEADER), _header(headers, SIGNATURE_HEADER)
    if not signature or not timestamp:
        raise BadSignature("missing signature or timestamp", "unsigned")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise BadSignature("bad signature")
    try:
        signed_at = float(int(timestamp))
    except ValueError:
        raise BadSignature("timestamp is not Unix seconds", "bad_timestamp") from None
    if abs((time.time() if now is None else now) - signed_at) > window:
        raise BadSignature(f"signed more than {window:.0f} s from now", "stale_timestamp")
    return signed_at


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # http.client and Starlette headers match names case-insensitively; a plain dict may not
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


class Channel(ABC):
    @abstractmethod
    def deliver(self, package: RequestPackage, reference: str) -> Delivery:
        """Send the package; raise `ChannelError` if it did not go."""


class FileDrop(Channel):
    """Writes the package for a liaison officer to upload to the platform's portal."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, package: RequestPackage, reference: str) -> Delivery:
        target = self.folder / package.platform / reference
        try:
            target.mkdir(parents=True, exist_ok=True)
            (target / "request.json").write_bytes(package.json_bytes())
            (target / "items.csv").write_text(package.csv_text(), encoding="utf-8")
            (target / "letter.html").write_text(package.letter_html, encoding="utf-8")
        except OSError as exc:
            raise ChannelError(f"cannot write the package to {target}: {exc.strerror}") from None
        return Delivery("file_drop", str(target))


class Email(Channel):
    """The letter as the body, JSON and CSV attached, over SMTP."""

    def __init__(self, host: str, port: int, recipient: str, sender: str) -> None:
        self.host, self.port, self.recipient, self.sender = host, port, recipient, sender

    def deliver(self, package: RequestPackage, reference: str) -> Delivery:
        message = EmailMessage()
        message["Subject"] = f"Referral {reference} ({package.platform})"
        message["From"], message["To"] = self.sender, self.recipient
        message.set_content("This referral is in the HTML part and the attachments.")
        message.add_alternative(package.letter_html, subtype="html")
        message.add_attachment(
            package.json_bytes(),
            maintype="application",
            subtype="json",
            filename=f"{reference}.json",
        )
        message.add_attachment(
            package.csv_text().encode(),
            maintype="text",
            subtype="csv",
            filename=f"{reference}.csv",
        )
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(
                f"e-mail to {self.recipient} via {self.host}:{self.port} failed: {exc}"
            ) from None
        return Delivery("email", f"mailed to {self.recipient}")


class Webhook(Channel):
    """POSTs the JSON package; the platform answers with its own reference.

    Answers to queries must be signed with the platform's secret too (a forged "removed"
    would otherwise close a referral as surely as one on our own webhook endpoint).
    """

    def __init__(self, url: str, secret: str, window: float = DEFAULT_REPLAY_WINDOW) -> None:
        self.url, self.secret, self.window = url, secret, window

    def deliver(self, package: RequestPackage, reference: str) -> Delivery:
        body = json.dumps(
            {"reference": reference, "package": package.document, "sha256": package.sha256},
            default=str,
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **signed_headers(self.secret, body)},
        )
        answer = _exchange(request, f"webhook {self.url}")
        theirs = answer.get("reference")  # the platform's own reference for the request
        return Delivery("webhook", self.url, str(theirs) if theirs else None)

    # Webhook channels that answer queries too (as the simulator does): the status of a
    # referral by its reference, and whether an item is still online.

    def status(self, reference: str) -> str | None:
        answer = self._get(f"{self.url.rstrip('/')}/{reference}")
        return str(answer["status"]) if "status" in answer else None

    def online(self, item_url: str) -> bool | None:
        """True or False as the platform says; None when it does not know the item."""
        base = self.url.rstrip("/").removesuffix("/referrals")
        answer = self._get(f"{base}/liveness?url={urllib.parse.quote(item_url, safe='')}")
        online = answer.get("online")
        return online if isinstance(online, bool) else None

    def _get(self, url: str) -> dict[str, object]:
        what = f"webhook query {url}"

        def check(body: bytes, headers: Mapping[str, str]) -> None:
            try:
                verify(self.secret, body, headers, window=self.window)
            except BadSignature as exc:
                raise ChannelError(f"{what}: answer refused: {exc}") from None

        return _exchange(urllib.request.Request(url), what, check)


def _exchange(
    request: urllib.request.Request,
    what: str,
    check: Callable[[bytes, Mapping[str, str]], None] | None = None,
) -> dict[str, object]:
    """Send `request`; its JSON object answer (empty if none), or `ChannelError`."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(1024 * 1024 + 1)
            if len(body) > 1024 * 1024:
                raise ChannelError(f"{what}: answer larger than 1 MiB")
            if check is not None:
                check(body, dict(response.headers.items()))
            answer = json.loads(body or b"{}")
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        raise ChannelError(f"{what} failed: {exc}") from None
    return answer if isinstance(answer, dict) else {}


def channel_for(
    kind: str,
    address: str | None,
    outbox: Path,
    secret: Callable[[], str],
    sender: str,
    window: float = DEFAULT_REPLAY_WINDOW,
) -> Channel:
    """The channel a platform row configures; `secret` is asked only by a webhook."""
    if kind == "file_drop":
        return FileDrop(Path(address) if address else outbox)
    if not address:
        raise ChannelError(f"the {kind} channel needs an address (platforms.channel_address)")
    parts = urlsplit(address)
    if kind == "email":
        if parts.scheme != "smtp" or not parts.hostname or not parts.path.strip("/"):
            raise ChannelError(f"{address!r} is not smtp://host:port/recipient@domain")
        return Email(parts.hostname, parts.port or 25, parts.path.strip("/"), sender)
    if kind == "webhook":
        if parts.scheme not in ("http", "https"):
            raise ChannelError(f"{address!r} is not an http(s) URL")
        return Webhook(address, secret(), window)
    raise ChannelError(f"unknown channel kind {kind!r}")
