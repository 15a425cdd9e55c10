"""Fixtures of the referral tests: the review desk, webhook secrets, signed answers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from shaheen.referral.channels import WebhookSecrets
from shaheen.referral.flows import WebhookPolicy
from tests.review.conftest import desk

__all__ = ["desk"]


@pytest.fixture
def secrets(tmp_path: Path) -> WebhookSecrets:
    return WebhookSecrets(tmp_path / "keys")


@pytest.fixture
def policy(secrets: WebhookSecrets) -> WebhookPolicy:
    return WebhookPolicy(secrets, window=300.0, refusal_window=60.0, max_body=2048)


def answer_body(
    reference: str, status: str, *, delivery: str | None = None, at: str | None = None
) -> bytes:
    """A platform's answer as it arrives on the webhook (a fresh delivery id by default)."""
    document: dict[str, str] = {
        "delivery": delivery or f"d-{uuid.uuid4().hex}",
        "reference": reference,
        "status": status,
    }
    if at is not None:
        document["at"] = at
    return json.dumps(document).encode()
