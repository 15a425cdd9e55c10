"""Every indicator kind, and the look-alikes that must not count."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaheen.detect import indicators
from shaheen.detect.indicators import extract


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in extract(text)]


@pytest.mark.parametrize(
    "spelling",
    [
        "0300-1234567",
        "03001234567",
        "+92 300 1234567",
        "0092-300-1234567",
        "+92-300-123-4567",
        "923001234567",
        "0300 1234567",
    ],
)
def test_pakistani_mobile_numbers_in_every_spelling(spelling: str) -> None:
    assert ("phone", "+923001234567") in _kinds(f"rabta karein {spelling} abhi")


def test_foreign_numbers_with_their_country_code() -> None:
    assert ("phone", "+442079460958") in _kinds("call +44 20 7946 0958")


def test_order_numbers_are_not_phones() -> None:
    assert not [k for k, _ in _kinds("order 12345678901 shipped") if k == "phone"]


def test_links_domains_and_invites() -> None:
    found = _kinds(
        "join https://t.me/+AbCdEfGhIjKl12 and https://chat.whatsapp.com/"
        "Fa5bC7dE9fG1hI3jK5lM7n, news at https://www.dawn.example.co.uk/x."
    )
    assert ("telegram_invite", "https://t.me/+AbCdEfGhIjKl12") in found
    assert ("whatsapp_invite", "https://chat.whatsapp.com/Fa5bC7dE9fG1hI3jK5lM7n") in found
    assert ("domain", "example.co.uk") in found
    assert ("url", "https://www.dawn.example.co.uk/x") in found  # trailing dot dropped


def test_handles_but_not_emails() -> None:
    found = _kinds("follow @Qafla_Media or mail someone@example.org")
    assert ("handle", "@qafla_media") in found
    assert not [v for k, v in found if k == "handle" and "example" in v]


def test_wallets_with_checksums() -> None:
    found = _kinds(
        "btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 forged 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 "
        "bech32 bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq "
        "eth 0x52908400098527886E0F7030069857D2E4169EE7"
    )
    assert ("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") in found
    assert ("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3") not in found
    assert ("btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq") in found
    assert ("eth", "0x52908400098527886e0f7030069857d2e4169ee7") in found


def test_nothing_in_plain_text() -> None:
    assert extract("aaj mausam bohat acha hai") == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.characters()
        | st.sampled_from([*"0123456789aZ -", "\ud800", "۱", "é"])
        | st.sampled_from(["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "0300-1234567"])
    ).map("".join)
)
def test_the_byte_prechecks_answer_as_the_patterns(text: str) -> None:
    """The cheap tests on bytes never skip what the patterns would find."""
    encoded = text.encode("utf-8", "surrogatepass")
    assert (indicators._TOKEN_OF_25 in encoded.translate(indicators._ALNUM_RUN)) == bool(
        indicators._LONG_TOKEN.search(text)
    )
    if text.isascii() and indicators._SEVEN_DIGITS.search(text):
        assert len(encoded.translate(None, indicators._NOT_DIGITS)) >= 7
