"""How a package reaches a platform: a file drop, e-mail over SMTP, or an HTTPS webhook.

A platform's channel is configured on its row (`platforms.channel_kind` and
`channel_address`): a folder for a file drop (default `SHAHEEN_OUTBOX_DIR`), an
`smtp://host:port/recipient@domain` address for e-mail, an `https://…` URL for a webhook.
Webhook bodies carry an HMAC-SHA256 of the body under the shared secret
(`X-Shaheen-Signature: sha256=…`), and answers coming back must carry one too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from shaheen.errors import ShaheenError
from shaheen.referral.adapters import RequestPackage

SIGNATURE_HEADER = "X-Shaheen-Signature"
TIMEOUT_SECONDS = 15


class ChannelError(ShaheenError):
    """A package could not be delivered; the referral stays a draft."""


@dataclass(frozen=True)
class Delivery:
    channel: str
    detail: str
    platform_reference: str | None = None


def sign_body(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign_body(secret, body), header)


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
    """POSTs the JSON package; the platform answers with its own reference."""

    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret

    def deliver(self, package: RequestPackage, reference: str) -> Delivery:
        body = json.dumps(
            {"reference": reference, "package": package.document, "sha256": package.sha256},
            default=str,
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign_body(self.secret, body),
            },
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
        base = self.url.rstrip("/").removesuffix("/referrals")
        answer = self._get(f"{base}/liveness?url={urllib.parse.quote(item_url, safe='')}")
        return bool(answer["online"]) if "online" in answer else None

    def _get(self, url: str) -> dict[str, object]:
        return _exchange(urllib.request.Request(url), f"webhook query {url}")


def _exchange(request: urllib.request.Request, what: str) -> dict[str, object]:
    """Send `request`; its JSON object answer (empty if none), or `ChannelError`."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        raise ChannelError(f"{what} failed: {exc}") from None
    return answer if isinstance(answer, dict) else {}


def channel_for(kind: str, address: str | None, outbox: Path, secret: str, sender: str) -> Channel:
    """The channel a platform row configures."""
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
        return Webhook(address, secret)
    raise ChannelError(f"unknown channel kind {kind!r}")
