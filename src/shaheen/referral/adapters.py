"""One `PlatformAdapter` per platform: the request package its government channel asks for.

A package is the same facts (who asks, under which law, about which accounts and posts,
why, how urgently) laid out in the fields and words each platform's law-enforcement or
government channel uses, as JSON (for portals and webhooks), CSV (one row per item, for
bulk upload forms) and a signed HTML letter. The letter carries the SHA-256 of the JSON
and an Ed25519 signature over it, so a platform can check a package was not altered.

Which adapter serves which platform is said once, in the platform registry
(`platforms/registry.py`, each `PlatformSpec.adapter`); `adapter_for` resolves it.
"""

from __future__ import annotations

import csv
import hashlib
import html
import importlib
import io
import json
from abc import ABC
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from shaheen.canonical import canonical_json
from shaheen.platforms.registry import spec_for
from shaheen.safe_output import csv_cell, http_link


@dataclass(frozen=True)
class ReferralFacts:
    """What every package says, whatever the platform."""

    referral_id: int
    platform: str
    agency: str
    agency_code: str
    officer: str
    officer_email: str | None
    legal_basis: str
    legal_title: str
    organisation: str
    reason: str
    urgent: bool
    created_at: datetime
    items: list[dict[str, Any]] = field(default_factory=list)  # url, kind, handle, excerpt
    evidence_sha256: str | None = None


@dataclass(frozen=True)
class RequestPackage:
    platform: str
    referral_id: int
    document: dict[str, Any]
    rows: list[dict[str, str]]
    letter_html: str
    sha256: str
    signature: str | None

    def json_bytes(self) -> bytes:
        return json.dumps(self.document, indent=2, ensure_ascii=False, default=str).encode()

    def csv_text(self) -> str:
        out = io.StringIO()
        if self.rows:
            writer = csv.DictWriter(out, list(self.rows[0]), lineterminator="\n")
            writer.writeheader()
            # the URLs and kinds come from platform exports: never formulas in a spreadsheet
            writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in self.rows)
        return out.getvalue()


class PlatformAdapter(ABC):
    """Builds one platform's package; subclasses name the fields their channel uses."""

    code: ClassVar[str]
    channel_title: ClassVar[str]
    #: our field -> the platform's name for it
    field_names: ClassVar[dict[str, str]] = {}
    #: the platform's category for terrorist content
    category: ClassVar[str] = "terrorism"

    def document(self, facts: ReferralFacts) -> dict[str, Any]:
        ours: dict[str, Any] = {
            "request_type": self.channel_title,
            "reference": f"{facts.agency_code}-{facts.referral_id}",
            "requesting_agency": facts.agency,
            "country": "PK",
            "officer": facts.officer,
            "officer_email": facts.officer_email,
            "legal_basis": f"{facts.legal_basis}: {facts.legal_title}",
            "category": self.category,
            "organisation": facts.organisation,
            "reason": facts.reason,
            "urgent": facts.urgent,
            "items": facts.items,
            "evidence_sha256": facts.evidence_sha256,
            "submitted_at": facts.created_at.isoformat(),
        }
        return {self.field_names.get(key, key): value for key, value in ours.items()}

    def rows(self, facts: ReferralFacts) -> list[dict[str, str]]:
        return [
            {
                "reference": f"{facts.agency_code}-{facts.referral_id}",
                "url": str(item.get("url", "")),
                "kind": str(item.get("kind", "")),
                "legal_basis": facts.legal_basis,
                "category": self.category,
                "urgent": "yes" if facts.urgent else "no",
            }
            for item in facts.items
        ]

    def letter(self, facts: ReferralFacts, sha256: str, signature: str | None) -> str:
        items = "".join(
            f"<li>{_link(str(i.get('url', '')))} ({html.escape(str(i.get('kind', '')))})</li>"
            for i in facts.items
        )
        urgency = "<p><strong>URGENT: live attack content.</strong></p>" if facts.urgent else ""
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>Referral {facts.agency_code}-{facts.referral_id}</title></head><body>"
            f"<p>To: {html.escape(self.channel_title)}</p>"
            f"<p>From: {html.escape(facts.agency)}, {html.escape(facts.officer)}</p>{urgency}"
            f"<p>Under {html.escape(facts.legal_title)} ({html.escape(facts.legal_basis)}), we "
            f"request the removal or restriction of the following content, which serves "
            f"{html.escape(facts.organisation)}, a proscribed organisation "
            f"({html.escape(facts.reason)}):</p><ol>{items}</ol>"
            f"<p>Package SHA-256: <code>{sha256}</code><br>"
            f"Ed25519 signature: <code>{html.escape(signature or 'unsigned')}</code></p>"
            "</body></html>"
        )

    def package(self, facts: ReferralFacts, sign: Any = None) -> RequestPackage:
        document = self.document(facts)
        sha256 = hashlib.sha256(canonical_json(document)).hexdigest()
        signature = sign(sha256) if sign is not None else None
        return RequestPackage(
            self.code,
            facts.referral_id,
            document,
            self.rows(facts),
            self.letter(facts, sha256, signature),
            sha256,
            signature,
        )


def _link(url: str) -> str:
    """An http(s) URL as a link; anything else (javascript:, data:, file:) as text."""
    shown = html.escape(url)
    target = http_link(url)
    return f"<a href='{html.escape(target)}'>{shown}</a>" if target else f"<code>{shown}</code>"


class MetaAdapter(PlatformAdapter):
    channel_title = "Meta government content-restriction request"
    category = "dangerous_organizations_and_individuals"
    field_names: ClassVar[dict[str, str]] = {
        "requesting_agency": "government_agency",
        "legal_basis": "local_law_cited",
        "items": "content",
    }


class FacebookAdapter(MetaAdapter):
    code = "facebook"


class InstagramAdapter(MetaAdapter):
    code = "instagram"


class TiktokAdapter(PlatformAdapter):
    code = "tiktok"
    channel_title = "TikTok law-enforcement request"
    category = "violent_extremism"
    field_names: ClassVar[dict[str, str]] = {
        "requesting_agency": "agency_name",
        "officer": "requesting_officer",
        "legal_basis": "legal_process",
        "items": "reported_content",
        "urgent": "emergency",
    }


class XAdapter(PlatformAdapter):
    code = "x"
    channel_title = "X legal request"
    category = "violent_and_hateful_entities"
    field_names: ClassVar[dict[str, str]] = {
        "legal_basis": "law_cited",
        "items": "reported_urls",
        "requesting_agency": "reporter_organization",
    }


class TelegramAdapter(PlatformAdapter):
    code = "telegram"
    channel_title = "Telegram abuse notification"
    category = "terrorist_propaganda"
    field_names: ClassVar[dict[str, str]] = {"items": "links", "reason": "details"}


class WhatsappAdapter(PlatformAdapter):
    code = "whatsapp"
    channel_title = "WhatsApp law-enforcement request"
    category = "dangerous_organizations"
    field_names: ClassVar[dict[str, str]] = {
        "items": "accounts_and_groups",
        "legal_basis": "legal_authority",
    }


class YoutubeAdapter(PlatformAdapter):
    code = "youtube"
    channel_title = "Google legal removal request"
    category = "violent_extremism"
    field_names: ClassVar[dict[str, str]] = {
        "items": "urls",
        "legal_basis": "law_and_section",
        "reason": "explanation",
    }


def adapter_class(platform_code: str) -> type[PlatformAdapter]:
    """The adapter class the platform registry names for `platform_code`.

    KeyError for a platform the registry does not know; ImportError or TypeError when
    the registry names something that is not that platform's adapter (a bug, which the
    registry's test catches before it ships).
    """
    try:
        path = spec_for(platform_code).adapter
    except KeyError:
        raise KeyError(f"no platform adapter for {platform_code!r}") from None
    module_name, _, class_name = path.partition(":")
    found = getattr(importlib.import_module(module_name), class_name, None)
    if found is None:
        raise ImportError(f"platform {platform_code!r}: no {class_name!r} in {module_name}")
    if not (isinstance(found, type) and issubclass(found, PlatformAdapter)):
        raise TypeError(f"platform {platform_code!r}: {path} is not a PlatformAdapter")
    if getattr(found, "code", None) != platform_code:
        raise TypeError(f"platform {platform_code!r}: {path} builds packages for another code")
    return found


def adapter_for(platform_code: str) -> PlatformAdapter:
    """A fresh adapter for `platform_code` (KeyError if the registry does not know it)."""
    return adapter_class(platform_code)()
