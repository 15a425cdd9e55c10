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
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shaheen.referral.channels import SIGNATURE_HEADER, signature_ok


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


class Simulator:
    """The simulated channels' state; `serve()` puts them on loopback HTTP."""

    def __init__(
        self,
        secret: str,
        profile: dict[str, Behaviour] | None = None,
        seed: int = 7,
        speed: float = 3600.0,
        clock: Any = time.monotonic,
    ) -> None:
        self.secret = secret
        self.profile = profile or DEFAULT_PROFILE
        self.random = random.Random(seed)
        self.speed = speed  # simulated seconds per real second (3600: an hour a second)
        self.clock = clock
        self.requests: dict[str, _Request] = {}
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # -- behaviour ------------------------------------------------------------------------

    def receive(
        self, platform: str, body: bytes, signature: str | None
    ) -> tuple[int, dict[str, Any]]:
        if platform not in self.profile:
            return 404, {"error": f"no simulated platform {platform!r}"}
        if not signature_ok(self.secret, body, signature):
            return 401, {"error": "bad or missing signature"}
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

    def status(self, platform: str, reference: str) -> tuple[int, dict[str, Any]]:
        request = self.requests.get(reference)
        if request is None or request.platform != platform:
            return 404, {"error": f"no referral {reference!r}", "simulator": True}
        behaviour, hours = self.profile[platform], self._hours(request)
        status = "sent"
        if request.outcome != "silent" and hours >= behaviour.acknowledge_after:
            status = "acknowledged"
        if request.outcome != "silent" and hours >= behaviour.answer_after:
            status = request.outcome
        return 200, {"reference": reference, "status": status, "simulator": True}

    def liveness(self, platform: str, url: str) -> tuple[int, dict[str, Any]]:
        online = True
        for request in self.requests.values():
            if request.platform != platform or url not in request.urls:
                continue
            behaviour, hours = self.profile[platform], self._hours(request)
            gone = request.outcome in ("removed", "geo_blocked") and hours >= behaviour.answer_after
            back = (
                request.reinstated and hours >= behaviour.answer_after + behaviour.reinstate_after
            )
            if gone and not back:
                online = False
        return 200, {"url": url, "online": online, "simulator": True}

    # -- HTTP -----------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving in a thread; return the base URL."""
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the demo prints its own story
                return

            def _answer(self, code: int, document: dict[str, Any]) -> None:
                body = json.dumps(document).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                parts = urlsplit(self.path).path.strip("/").split("/")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if len(parts) == 2 and parts[1] == "referrals":
                    self._answer(
                        *simulator.receive(parts[0], body, self.headers.get(SIGNATURE_HEADER))
                    )
                else:
                    self._answer(404, {"error": "unknown path"})

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                parts = split.path.strip("/").split("/")
                if len(parts) == 3 and parts[1] == "referrals":
                    self._answer(*simulator.status(parts[0], parts[2]))
                elif len(parts) == 2 and parts[1] == "liveness":
                    url = (parse_qs(split.query).get("url") or [""])[0]
                    self._answer(*simulator.liveness(parts[0], url))
                else:
                    self._answer(404, {"error": "unknown path"})

        self.server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        bound_port = self.server.server_address[1]
        return f"http://{host}:{bound_port}"

    def stop(self) -> None:
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
