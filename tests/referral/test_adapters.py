"""Platform adapters: a signed package per platform, and one registry naming them all."""

from __future__ import annotations

import base64
import csv
import inspect
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from shaheen.evidence.service import Signer
from shaheen.platforms import registry
from shaheen.platforms.registry import PLATFORM_CODES, PLATFORMS, PlatformSpec
from shaheen.referral import adapters
from shaheen.referral.adapters import PlatformAdapter, ReferralFacts, adapter_class, adapter_for
from shaheen.referral.simulator import DEFAULT_PROFILE

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def facts(platform: str) -> ReferralFacts:
    return ReferralFacts(
        1,
        platform,
        "Counter-Terrorism Authority",
        "CTA",
        "Officer A",
        "a@cta.example",
        "ATA-1997-s11W",
        "Anti-Terrorism Act 1997, section 11-W",
        "TTP",
        "recruitment",
        True,
        T0,
        [
            {"url": "https://x.example/a", "kind": "account"},
            {"url": "https://x.example/a/1", "kind": "post"},
        ],
    )


@pytest.mark.parametrize("code", PLATFORM_CODES)
def test_every_platform_gets_its_own_signed_package(code: str, tmp_path: Path) -> None:
    signer = Signer(tmp_path / "keys")
    package = adapter_for(code).package(facts(code), signer.sign)
    assert package.platform == code
    assert len(package.rows) == 2 and package.csv_text().startswith("reference,url,")
    assert package.sha256 in package.letter_html and "URGENT" in package.letter_html
    assert json.loads(package.json_bytes())["country"] == "PK"
    key = load_pem_public_key(signer.public_pem)
    assert isinstance(key, Ed25519PublicKey)
    key.verify(base64.b64decode(package.signature or ""), bytes.fromhex(package.sha256))


def test_platform_field_names_differ() -> None:
    meta = adapter_for("facebook").document(facts("facebook"))
    tiktok = adapter_for("tiktok").document(facts("tiktok"))
    assert "local_law_cited" in meta and "legal_process" in tiktok and tiktok["emergency"] is True


def _concrete_adapters() -> set[type[PlatformAdapter]]:
    """Every adapter class in the adapters module that serves a platform (has a code)."""
    return {
        cls
        for _, cls in inspect.getmembers(adapters, inspect.isclass)
        if issubclass(cls, PlatformAdapter) and "code" in vars(cls)
    }


def test_every_platform_has_an_adapter_and_every_adapter_a_platform() -> None:
    named = {code: adapter_class(code) for code in PLATFORM_CODES}
    assert all(cls.code == code for code, cls in named.items())
    assert len(set(named.values())) == len(named)  # no adapter serves two platforms
    assert set(named.values()) == _concrete_adapters()


def test_the_simulator_plays_every_registered_platform() -> None:
    assert set(DEFAULT_PROFILE) == set(PLATFORM_CODES)


def test_an_unknown_platform_has_no_adapter() -> None:
    with pytest.raises(KeyError, match="myspace"):
        adapter_for("myspace")


@pytest.mark.parametrize(
    ("path", "error", "reason"),
    [
        ("shaheen.referral.adapters:MySpaceAdapter", ImportError, "no 'MySpaceAdapter'"),
        ("shaheen.referral.adapters:ReferralFacts", TypeError, "not a PlatformAdapter"),
        ("shaheen.referral.adapters:XAdapter", TypeError, "another code"),
    ],
)
def test_a_registry_entry_naming_the_wrong_class_is_refused(
    monkeypatch: pytest.MonkeyPatch, path: str, error: type[Exception], reason: str
) -> None:
    wrong = PlatformSpec(
        code="facebook", name="Facebook", channel_name="c", hosts=("facebook.com",), adapter=path
    )
    monkeypatch.setattr(registry, "PLATFORMS", (wrong, *PLATFORMS[1:]))
    with pytest.raises(error, match=reason):
        adapter_for("facebook")


def test_hostile_urls_are_text_and_csv_cells_are_not_formulas() -> None:
    hostile = facts("x")
    hostile.items[:] = [
        {"url": "javascript:alert(document.cookie)", "kind": "account"},
        {"url": '=HYPERLINK("https://evil.example","open")', "kind": "post"},
        {"url": "https://x.example/a/1?q='><script>", "kind": "post"},
    ]
    package = adapter_for("x").package(hostile)
    assert "href='javascript:" not in package.letter_html
    assert "<code>javascript:alert(document.cookie)</code>" in package.letter_html
    assert "<script>" not in package.letter_html
    assert "href='https://x.example/a/1?q=&#x27;&gt;&lt;script&gt;'" in package.letter_html
    rows = list(csv.DictReader(io.StringIO(package.csv_text())))
    assert rows[1]["url"].startswith("'=HYPERLINK(")
    assert rows[2]["url"].startswith("https://")
