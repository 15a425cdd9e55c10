"""Rows the tests build again and again, made in one place."""

from __future__ import annotations

from typing import Any

from shaheen.detect.enums import SubjectKind
from shaheen.detect.models import Signal
from shaheen.ingest.models import Post


def post_signal(
    post: Post,
    detector: str,
    label: str,
    score: float,
    *,
    organisation_id: int | None = None,
    evidence: dict[str, Any] | None = None,
) -> Signal:
    """One detector's finding on a stored (flushed) post, as a scan would store it."""
    return Signal(
        detector=detector,
        detector_version="t",
        subject=SubjectKind.POST,
        platform_id=post.platform_id,
        account_id=post.account_id,
        post_id=post.id,
        organisation_id=organisation_id,
        label=label,
        score=score,
        evidence=evidence or {},
    )
