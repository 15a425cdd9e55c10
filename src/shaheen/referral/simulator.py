"""A SIMULATOR of the seven platforms' referral channels, for the demo and the tests.

It is not a platform and says so in every answer (`"simulator": true`). It listens on
loopback and behaves like a government channel: it takes referral packages on
`POST /<platform>/referrals` (checking the HMAC signature), gives each a reference,
and then, on `GET /<platform>/referrals/<reference>`, answers as time passes:
acknowledged after a delay, then removed, geo-blocked, rejected, or never a word,
at rates set per platform. `GET /<platform>/liveness?url=…` says whether an item is
still online (removed content can come back: reinstatement).

The default profile follows the public transparency reports in spirit: Facebook,
Instagram and TikTok fast and cooperative, YouTube close behind, X and WhatsApp slow
and often silent, Telegram in between. Delays are in seconds of simulated time,
scaled by `speed` so a demo runs in moments.

It holds each platform's webhook secret (the same files in the keys folder Shaheen
uses), checks the signature of every package it takes and signs every answer it gives:
status and liveness answers, and, when given `answer_to` (the address of `shaheen
serve`), answers it pushes to `POST /webhooks/<platform>` as a platform would. An item
it was never sent is "unknown", never "online".

`configure_channels` points the platforms' channels at it and records in the audit log
what it replaced; `restore_channels` puts those back (also audited).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shaheen.audit import service as audit
from shaheen.audit.models import AuditEvent
from shaheen.errors import BadInput, NotFound
from shaheen.platforms.enums import ChannelKind
from shaheen.platforms.service import all_platforms
from shaheen.referral.channels import (
    DEFAULT_REPLAY_WINDOW,
    BadSignature,
    signed_headers,
    verify,
)

log = logging.getLogger(__name__)
MAX_PACKAGE_BYTES = 16 * 1024 * 1024


class SecretSource(Protocol):
    """Where the simulator finds each platform's webhook secret (`WebhookSecrets`)."""

    def get(self, platform: str) -> str: ...


@dataclass(frozen=True)
class Behaviour:
    """How one platform answers: delays in (simulated) hours, outcome rates."""

    acknowledge_after: float
    answer_after: float
    remove: float
    geo_block: float
    reject: float  # the rest of the probability stays silent
    reinstate: float = 0.0  # share of removals that come back online
    reinstate_after: float = 72.0


DEFAULT_PROFILE: dict[str, Behaviour] = {
    "facebook": Behaviour(2, 12, 0.80, 0.05, 0.10, reinstate=0.05),
    "instagram": Behaviour(2, 14, 0.78, 0.05, 0.12, reinstate=0.05),
    "tiktok": Behaviour(1, 8, 0.85, 0.03, 0.08, reinstate=0.03),
    "youtube": Behaviour(4, 30, 0.70, 0.10, 0.12, reinstate=0.05),
    "telegram": Behaviour(24, 60, 0.45, 0.00, 0.20, reinstate=0.25),
    "x": Behaviour(48, 120, 0.30, 0.15, 0.20, reinstate=0.10),
    "whatsapp": Behaviour(72, 160, 0.20, 0.00, 0.15, reinstate=0.05),
}


@dataclass
class _Request:
    platform: str
    reference: str
    received: float
    urls: list[str]
    outcome: str  # removed | geo_blocked | rejected | silent
    reinstated: bool
    package: dict[str, Any] = field(default_factory=dict)
    pushed: str = "sent"  # the last status pushed to `answer_to`


class Simulator:
    """The simulated channels' state; `serve()` puts them on loopback HTTP."""

    def __init__(
        self,
        secrets: SecretSource,
        profile: dict[str, Behaviour] | None = None,
        seed: int = 7,
        speed: float = 3600.0,
        clock: Any = time.monotonic,
        answer_to: str | None = None,
        window: float = DEFAULT_REPLAY_WINDOW,
    ) -> None:
        self.secrets = secrets
        self.answer_to = answer_to.rstrip("/") if answer_to else None
        self.window = window
        self.stopping = threading.Event()
        self.profile = profile or DEFAULT_PROFILE
        self.random = random.Random(seed)
        self.speed = speed  # simulated seconds per real second (3600: an hour a second)
        self.clock = clock
        self.requests: dict[str, _Request] = {}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # -- behaviour ------------------------------------------------------------------------

    def receive(
        self, platform: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if platform not in self.profile:
            return 404, {"error": f"no simulated platform {platform!r}"}
        try:
            verify(self.secrets.get(platform), body, headers, window=self.window)
        except BadSignature as exc:
            return 401, {"error": str(exc)}
        try:
            document = json.loads(body)
        except json.JSONDecodeError:
            return 400, {"error": "not JSON"}
        package = document.get("package") or {}
        urls = [str(i.get("url")) for i in _items(package) if isinstance(i, dict)]
        behaviour = self.profile[platform]
        with self.lock:
            roll = self.random.random()
            outcome = (
                "removed"
                if roll < behaviour.remove
                else "geo_blocked"
                if roll < behaviour.remove + behaviour.geo_block
                else "rejected"
                if roll < behaviour.remove + behaviour.geo_block + behaviour.reject
                else "silent"
            )
            reinstated = outcome == "removed" and self.random.random() < behaviour.reinstate
            reference = f"{platform.upper()}-{len(self.requests) + 1:06d}"
            self.requests[reference] = _Request(
                platform, reference, self.clock(), urls, outcome, reinstated, package
            )
        return 202, {"reference": reference, "simulator": True}

    def _hours(self, request: _Request) -> float:
        return float(self.clock() - request.received) * self.speed / 3600.0

    def _status_of(self, request: _Request) -> str:
        behaviour, hours = self.profile[request.platform], self._hours(request)
        status = "sent"
        if request.outcome != "silent" and hours >= behaviour.acknowledge_after:
            status = "acknowledged"
        if request.outcome != "silent" and hours >= behaviour.answer_after:
            status = request.outcome
        return status

    def status(self, platform: str, reference: str) -> tuple[int, dict[str, Any]]:
        request = self.requests.get(reference)
        if request is None or request.platform != platform:
            return 404, {"error": f"no referral {reference!r}", "simulator": True}
        return 200, {"reference": reference, "status": self._status_of(request), "simulator": True}

    def liveness(self, platform: str, url: str) -> tuple[int, dict[str, Any]]:
        """Whether an item is online; "unknown" (online: null) for one never referred here.

        Why not "online" by default: a re-check that takes silence for "still up" would
        report content as reinstated (or a typo'd URL as live) on no evidence at all.
        """
        known, online = False, True
        for request in self.requests.values():
            if request.platform != platform or url not in request.urls:
                continue
            known = True
            behaviour, hours = self.profile[platform], self._hours(request)
            gone = request.outcome in ("removed", "geo_blocked") and hours >= behaviour.answer_after
            back = (
                request.reinstated and hours >= behaviour.answer_after + behaviour.reinstate_after
            )
            if gone and not back:
                online = False
        if not known:
            return 200, {"url": url, "online": None, "status": "unknown", "simulator": True}
        status = "online" if online else "offline"
        return 200, {"url": url, "online": online, "status": status, "simulator": True}

    def push_answers(self) -> int:
        """POST every status that changed since the last push to `answer_to`, signed as
        the platform; returns how many Shaheen took. A refused answer (say, a move the
        rules forbid after a re-check) is not sent again; an unreachable Shaheen is."""
        if self.answer_to is None:
            return 0
        with self.lock:
            due = [(r, self._status_of(r)) for r in self.requests.values()]
        taken = 0
        for request, status in due:
            if status == request.pushed:
                continue
            body = json.dumps(
                {
                    "delivery": f"sim-{uuid.uuid4().hex}",
                    "reference": request.reference,
                    "status": status,
                    "at": datetime.now(UTC).isoformat(),
                    "simulator": True,
                }
            ).encode()
            headers = {
                "Content-Type": "application/json",
                **signed_headers(self.secrets.get(request.platform), body),
            }
            url = f"{self.answer_to}/webhooks/{request.platform}"
            post = urllib.request.Request(url, data=body, method="POST", headers=headers)
            try:
                with urllib.request.urlopen(post, timeout=10):
                    taken += 1
            except urllib.error.HTTPError as error:
                log.info("%s refused %s of %s: %s", url, status, request.reference, error.code)
            except OSError as exc:  # Shaheen not up (yet): try again on the next tick
                log.warning("cannot push to %s: %s", url, exc)
                continue
            request.pushed = status
        return taken

    # -- HTTP -----------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving in a thread; return the base URL."""
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the demo prints its own story
                return

            def _answer(self, code: int, document: dict[str, Any], platform: str = "") -> None:
                body = json.dumps(document).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if platform in simulator.profile:  # answers are signed as the platform
                    for name, value in signed_headers(
                        simulator.secrets.get(platform), body
                    ).items():
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                parts = urlsplit(self.path).path.strip("/").split("/")
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_PACKAGE_BYTES:
                    self._answer(413, {"error": "package too large", "simulator": True})
                    return
                body = self.rfile.read(length)
                if len(parts) == 2 and parts[1] == "referrals":
                    headers = dict(self.headers.items())
                    self._answer(*simulator.receive(parts[0], body, headers), parts[0])
                else:
                    self._answer(404, {"error": "unknown path"})

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                parts = split.path.strip("/").split("/")
                if len(parts) == 3 and parts[1] == "referrals":
                    self._answer(*simulator.status(parts[0], parts[2]), parts[0])
                elif len(parts) == 2 and parts[1] == "liveness":
                    url = (parse_qs(split.query).get("url") or [""])[0]
                    self._answer(*simulator.liveness(parts[0], url), parts[0])
                else:
                    self._answer(404, {"error": "unknown path"})

        self.server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        if self.answer_to is not None:
            threading.Thread(target=self._push_loop, daemon=True).start()
        bound_port = self.server.server_address[1]
        return f"http://{host}:{bound_port}"

    def _push_loop(self, every: float = 1.0) -> None:
        while not self.stopping.wait(every):
            self.push_answers()

    def stop(self) -> None:
        self.stopping.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _items(package: dict[str, Any]) -> list[Any]:
    for key in (
        "items",
        "content",
        "reported_content",
        "reported_urls",
        "links",
        "accounts_and_groups",
        "urls",
    ):
        if isinstance(package.get(key), list):
            return list(package[key])
    return []


# -- pointing the platforms' channels at the simulator, and back ----------------------------

CONFIGURE, RESTORE = "simulator.configure", "simulator.restore"


def _outstanding(session: Session) -> AuditEvent | None:
    """The last `simulator.configure` not yet followed by a restore, if any."""
    last = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_([CONFIGURE, RESTORE]), AuditEvent.outcome == "ok")
        .order_by(AuditEvent.sequence.desc())
        .limit(1)
    ).first()
    return last if last is not None and last.action == CONFIGURE else None


def configure_channels(sessions: sessionmaker[Session], *, base_url: str, actor: str) -> int:
    """Point every platform's channel at the simulator at `base_url`; returns how many.

    What each channel was is written to the audit log, so `restore_channels` can put it
    back. Configured twice without a restore, the first record of the real channels is
    kept: restoring must never bring back the simulator's own addresses.
    """
    with sessions.begin() as session:
        earlier = _outstanding(session)
        kept: dict[str, Any] = dict(earlier.details.get("replaced", {})) if earlier else {}
        replaced: dict[str, dict[str, str | None]] = {}
        for platform in all_platforms(session=session):
            address = f"{base_url.rstrip('/')}/{platform.code}/referrals"
            replaced[platform.code] = kept.get(platform.code) or {
                "kind": platform.channel_kind.value,
                "address": platform.channel_address,
            }
            platform.channel_kind, platform.channel_address = ChannelKind.WEBHOOK, address
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=CONFIGURE,
            object_type="platforms",
            object_id="*",
            details={"simulator": base_url, "replaced": replaced},
        )
        return len(replaced)


def restore_channels(sessions: sessionmaker[Session], *, actor: str) -> dict[str, str]:
    """Put back the channels the last `configure_channels` replaced; audited.

    A platform whose channel someone changed since (it no longer points at the
    simulator) is left as it is and reported. Returns platform code → what happened.
    """
    with sessions.begin() as session:
        record = _outstanding(session)
        if record is None:
            raise NotFound("the platforms' channels are not pointed at the simulator")
        simulator_url = str(record.details.get("simulator", ""))
        replaced: dict[str, Any] = dict(record.details.get("replaced", {}))
        outcome: dict[str, str] = {}
        for platform in all_platforms(session=session):
            before = replaced.get(platform.code)
            if before is None:
                continue
            if not (platform.channel_address or "").startswith(simulator_url):
                outcome[platform.code] = "left as changed since"
                continue
            try:
                kind = ChannelKind(before["kind"])
            except (KeyError, ValueError):
                raise BadInput(
                    f"the audit record of {platform.code}'s channel is unreadable"
                ) from None
            platform.channel_kind, platform.channel_address = kind, before.get("address")
            outcome[platform.code] = f"{kind.value} {before.get('address') or '(default)'}"
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action=RESTORE,
            object_type="platforms",
            object_id="*",
            details={
                "simulator": simulator_url,
                "restored": outcome,
                "configured_by": record.sequence,
            },
        )
        return outcome
