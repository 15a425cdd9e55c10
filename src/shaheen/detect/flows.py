"""Detection's stages over stored data: posts → signals and indicators, media → hashes
and bank matches, accounts → risk assessments.

`Scanner` holds what detection needs (lexicon, model, engine, media stage) and offers
each stage as a method over a session; it opens no transaction and knows nothing of
review. The loop that runs the stages in transactions, and hands the assessments to
review's intake, is `shaheen.pipeline.flows.scan`.

Posts are taken when their `scanned_at` is empty (new, or changed by a re-import), in id
order; re-scanning a post replaces its earlier signals and indicators. An account is
assessed again from all the evidence stored about it (see `risk.py`) whenever one of
its posts or media is scanned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shaheen.detect import service
from shaheen.detect.base import MediaItem, TextItem
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.engines import (
    BatchResult,
    Engine,
    InlineEngine,
    PostRow,
    TextPipeline,
    Workload,
)
from shaheen.detect.enums import SubjectKind
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.media.detector import HashMatchDetector
from shaheen.detect.media.flows import (
    Hashed,
    MediaFile,
    MediaScanResult,
    hash_pending,
    match_pending,
)
from shaheen.detect.media.matching import Found
from shaheen.detect.risk import AccountEvidence, assess, carry_association
from shaheen.detect.schemas import AccountAssessment
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account
from shaheen.knowledge.enums import TermKind
from shaheen.store.base import utcnow

RISK_DETECTOR = "account_risk"
RISK_VERSION = "1"


@dataclass
class MediaStage:
    """What the scan needs to hash and match media (see `media/flows.py`)."""

    store: MediaStore
    detector: HashMatchDetector


@dataclass(frozen=True)
class Assessed:
    """Accounts assessed, and how many profile and risk signals that stored."""

    assessments: list[AccountAssessment]
    signals: int


@dataclass
class StoredBatch:
    """What storing one batch of detections wrote."""

    posts: int
    signals: int
    indicators: int


class Scanner:
    """Runs the text detectors over unscanned posts, media against the banks, and rolls
    what was found up to account assessments."""

    def __init__(
        self,
        *,
        lexicon: Lexicon,
        model: TextClassifier,
        batch_size: int = 4000,
        media: MediaStage | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.pipeline = TextPipeline(lexicon, model)
        self.engine: Engine = engine or InlineEngine()
        self.batch_size = batch_size
        self.media = media
        # what the engine's workers hold for this scanner's life (loaded once per worker)
        self.workload = Workload(
            self.pipeline,
            media.store if media else None,
            media.detector.matcher.index if media else None,
        )

    @property
    def model_version(self) -> str:
        return self.pipeline.classifier_detector.version

    # -- posts --------------------------------------------------------------------------

    def detected_batches(
        self, sessions: sessionmaker[Session]
    ) -> Iterator[tuple[list[PostRow], BatchResult]]:
        """Unscanned posts, a batch at a time, with what the detectors found in them. The
        posts are read ahead of the caller's writes: an engine may be detecting several
        batches at once."""
        return self.engine.map(self.workload, "text", self._unscanned(sessions))

    def _unscanned(self, sessions: sessionmaker[Session]) -> Iterator[list[PostRow]]:
        last_id = 0
        while True:
            with sessions() as session:
                rows = service.unscanned_posts(
                    session=session, after_id=last_id, limit=self.batch_size
                )
            if not rows:
                return
            last_id = rows[-1].id
            yield rows

    def store(
        self,
        session: Session,
        rows: list[PostRow],
        found: BatchResult,
        organisations: dict[str, int],
    ) -> StoredBatch:
        """Store one batch's findings (replacing earlier ones) and mark it scanned."""
        signals, indicators = service.store_post_findings(
            session=session,
            rows=rows,
            found=found,
            detectors=self.pipeline.detector_names,
            organisations=organisations,
        )
        return StoredBatch(len(rows), signals, indicators)

    # -- media --------------------------------------------------------------------------

    def scan_media(self, sessions: sessionmaker[Session]) -> MediaScanResult | None:
        """Hash media not yet hashed, match media due against the banks (own transactions);
        hashing and the index searches run on the engine, the writes here, in order."""
        if self.media is None:
            return None
        media = MediaScanResult()
        workload = self.workload

        def hasher(
            batches: Iterable[list[MediaFile]],
        ) -> Iterator[tuple[list[MediaFile], list[Hashed]]]:
            return self.engine.map(workload, "hash", batches)

        def searcher(
            batches: Iterable[list[MediaItem]],
        ) -> Iterator[tuple[list[MediaItem], list[Found]]]:
            return self.engine.map(workload, "search", batches)

        hash_pending(sessions, self.media.store, media, hasher=hasher)
        match_pending(sessions, self.media.detector, media, searcher=searcher)
        return media

    # -- accounts -----------------------------------------------------------------------

    def assess(
        self, session: Session, account_ids: list[int], organisations: dict[str, int]
    ) -> Assessed:
        """Assess the accounts again from every stored signal about them; store their
        profile and risk signals and their score; return the assessments."""
        slugs = {oid: slug for slug, oid in organisations.items()}
        accounts = service.accounts(session=session, account_ids=account_ids)
        evidence = service.account_evidence(session=session, account_ids=account_ids, slugs=slugs)
        rows: list[dict[str, Any]] = []
        for account in accounts:
            rows.extend(self._profile(account, evidence[account.id], organisations))
        languages = service.main_languages(session=session, account_ids=account_ids)
        latest = service.latest_posts(session=session, account_ids=account_ids)
        assessments = []
        for account in accounts:
            risk = assess(evidence[account.id])
            account.risk_score = risk.score
            account.risk_explanation = carry_association(account.risk_explanation, risk.explanation)
            top = risk.organisations[0] if risk.organisations else None
            organisation_id = organisations.get(top) if top else None
            rows.append(_risk_row(account, risk.score, risk.explanation, organisation_id))
            assessments.append(
                AccountAssessment(
                    account_id=account.id,
                    score=risk.score,
                    organisation_id=organisation_id,
                    reach=account.followers or 0,
                    last_post=latest.get(account.id),
                    language=languages.get(account.id),
                )
            )
        service.replace_account_signals(
            session=session,
            account_ids=account_ids,
            detectors=[self.pipeline.lexicon_detector.get_name(), RISK_DETECTOR],
            rows=rows,
        )
        session.flush()
        return Assessed(assessments, len(rows))

    def _profile(
        self, account: Account, evidence: AccountEvidence, organisations: dict[str, int]
    ) -> list[dict[str, Any]]:
        """Lexicon findings on the bio and display name; a handle known to the knowledge
        base. Adds them to `evidence`; returns the profile signal rows."""
        items = [
            TextItem(SubjectKind.ACCOUNT, account.id, text, field)
            for field, text in (("bio", account.bio), ("display_name", account.display_name))
            if text
        ]
        rows = []
        for finding in self.pipeline.lexicon_detector.detect(items):
            slug = finding.organisation or ""
            evidence.profile[slug] = max(evidence.profile.get(slug, 0.0), finding.score)
            evidence.profile_terms.extend(h["matched"] for h in finding.evidence["hits"])
            rows.append(service.signal_row(finding, account.platform_id, account.id, organisations))
        if account.handle:
            for hit in self.lexicon.scan("@" + account.handle.lstrip("@")):
                if hit.term.kind is TermKind.HANDLE:
                    evidence.known_as[hit.term.organisation] = hit.term.value
        return rows


def _risk_row(
    account: Account, score: float, explanation: dict[str, Any], organisation_id: int | None
) -> dict[str, Any]:
    return {
        "detector": RISK_DETECTOR,
        "detector_version": RISK_VERSION,
        "subject": SubjectKind.ACCOUNT,
        "platform_id": account.platform_id,
        "account_id": account.id,
        "post_id": None,
        "media_id": None,
        "organisation_id": organisation_id,
        "label": RISK_DETECTOR,
        "score": score,
        "evidence": explanation,
        "created_at": utcnow(),
    }
