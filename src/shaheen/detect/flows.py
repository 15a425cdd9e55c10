"""Scanning: posts not yet scanned → signals, indicators, account risk, review cases.

The scan is incremental and restartable: it takes posts whose `scanned_at` is empty
(new, or changed by a re-import), in id order, a batch per transaction, and marks them
scanned in the same transaction, so a crash loses at most one batch of work and never
double-counts. Re-scanning a post replaces its earlier signals and indicators.

Then, given a media stage, media not yet hashed are hashed and media due for matching
are matched against the hash banks (`media/flows.py`).

After each batch, every account with a post in it (or with media that matched) is
assessed again from all the evidence stored about it (see `risk.py`); an account at or
over the threshold gets a review case in the scanning agency, unless one is already
open, whose score and priority are then brought up to date.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from shaheen.detect.base import Finding, TextItem
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.engines import BatchResult, Engine, LocalEngine, PostRow, TextPipeline
from shaheen.detect.enums import SubjectKind
from shaheen.detect.lexicon import Lexicon
from shaheen.detect.media.detector import HashMatchDetector
from shaheen.detect.media.flows import MediaScanResult, hash_pending, match_pending
from shaheen.detect.models import Indicator, Signal
from shaheen.detect.risk import AccountEvidence, MediaEvidence, PostEvidence, assess
from shaheen.evidence.service import Signer, capture
from shaheen.ingest.media import MediaStore
from shaheen.ingest.models import Account, Post
from shaheen.knowledge.enums import TermKind
from shaheen.knowledge.models import Organisation
from shaheen.review.enums import OPEN_STATUSES
from shaheen.review.models import Case
from shaheen.store.base import utcnow

RISK_DETECTOR = "account_risk"
RISK_VERSION = "1"
_SIGNALS = cast(Table, Signal.__table__)
_INDICATORS = cast(Table, Indicator.__table__)
_OPEN = OPEN_STATUSES


@dataclass
class ScanResult:
    posts: int = 0
    signals: int = 0
    indicators: int = 0
    accounts_assessed: int = 0
    cases_opened: int = 0
    seconds: float = 0.0
    model_version: str = ""
    kb_version: str = ""
    media: MediaScanResult | None = None


@dataclass
class MediaStage:
    """What the scan needs to hash and match media (see `media/flows.py`)."""

    store: MediaStore
    detector: HashMatchDetector


RECENCY_DAYS = 14.0


def case_priority(
    risk: float, reach: int, last_post: datetime | None = None, now: datetime | None = None
) -> float:
    """Risk × the order of magnitude of reach (10,000 followers count twice 100) ×
    recency: an account that posted today counts in full, one silent for a month about
    half as much, so live campaigns rise above old ones of the same size."""
    recency = 1.0
    if last_post is not None:
        age_days = max(0.0, ((now or utcnow()) - last_post).total_seconds() / 86_400)
        recency = 0.5 + 0.5 * math.exp(-age_days / RECENCY_DAYS)
    return round(risk * math.log10(10 + max(reach, 0)) * recency, 4)


class Scanner:
    """Runs the text detectors over unscanned posts and rolls them up to accounts."""

    def __init__(
        self,
        *,
        lexicon: Lexicon,
        model: TextClassifier,
        agency_id: int,
        risk_threshold: float = 0.6,
        batch_size: int = 1000,
        media: MediaStage | None = None,
        signer: Signer | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.pipeline = TextPipeline(lexicon, model)
        self.lexicon_detector = self.pipeline.lexicon_detector
        self.classifier_detector = self.pipeline.classifier_detector
        self.engine: Engine = engine or LocalEngine()
        self.agency_id = agency_id
        self.risk_threshold = risk_threshold
        self.batch_size = batch_size
        self.media = media
        self.signer = signer  # given, a signed snapshot is taken of each account a case opens on

    def scan(
        self, sessions: sessionmaker[Session], on_progress: Callable[[int], None] | None = None
    ) -> ScanResult:
        """Scan every unscanned post; return what was found."""
        result = ScanResult(
            model_version=self.classifier_detector.version, kb_version=self.lexicon.version
        )
        started = time.perf_counter()
        with sessions() as session:
            organisations = _organisation_ids(session)  # fixed for the scan's duration
        for rows, found in self.engine.map(self.pipeline, self._unscanned(sessions)):
            with sessions.begin() as session:
                self._store_posts(session, rows, found, result, organisations)
                accounts = sorted({row.account_id for row in rows})
                self._assess_accounts(session, accounts, result, organisations)
            result.posts += len(rows)
            if on_progress is not None:
                on_progress(result.posts)
        if self.media is not None:
            result.media = self._scan_media(sessions, self.media, result, organisations)
        result.seconds = time.perf_counter() - started
        return result

    def _scan_media(
        self,
        sessions: sessionmaker[Session],
        stage: MediaStage,
        result: ScanResult,
        organisations: dict[str, int],
    ) -> MediaScanResult:
        media = MediaScanResult()
        hash_pending(sessions, stage.store, media)
        match_pending(sessions, stage.detector, media)
        accounts = sorted(media.accounts)
        for start in range(0, len(accounts), self.batch_size):
            with sessions.begin() as session:
                chunk = accounts[start : start + self.batch_size]
                self._assess_accounts(session, chunk, result, organisations)
        return media

    # -- posts -------------------------------------------------------------------------

    def _unscanned(self, sessions: sessionmaker[Session]) -> Iterator[list[PostRow]]:
        """Unscanned posts in id order, a batch at a time (read ahead of the writes: an
        engine may be detecting several batches at once)."""
        last_id = 0
        while True:
            with sessions() as session:
                rows = session.execute(
                    select(Post.id, Post.text, Post.account_id, Post.platform_id, Post.language)
                    .where(Post.scanned_at.is_(None), Post.id > last_id)
                    .order_by(Post.id)
                    .limit(self.batch_size)
                ).all()
            if not rows:
                return
            last_id = rows[-1].id
            yield [PostRow(*row) for row in rows]

    def _store_posts(
        self,
        session: Session,
        rows: list[PostRow],
        found: BatchResult,
        result: ScanResult,
        organisations: dict[str, int],
    ) -> None:
        for post_id, language in found.languages.items():
            session.execute(update(Post).where(Post.id == post_id).values(language=language))
        ids = [row.id for row in rows]
        by_id = {row.id: row for row in rows}
        session.execute(
            delete(Signal).where(
                Signal.post_id.in_(ids), Signal.detector.in_(self.pipeline.detector_names)
            )
        )
        signal_rows = [
            _signal_row(f, by_id[f.key].platform_id, by_id[f.key].account_id, organisations)
            for f in found.findings
        ]
        if signal_rows:
            session.execute(insert(_SIGNALS), signal_rows)
        session.execute(delete(Indicator).where(Indicator.post_id.in_(ids)))
        now = utcnow()
        indicator_rows = [
            {
                "kind": kind,
                "value": value[:500],
                "post_id": post_id,
                "account_id": by_id[post_id].account_id,
                "platform_id": by_id[post_id].platform_id,
                "created_at": now,
            }
            for post_id, kind, value in found.indicators
        ]
        if indicator_rows:
            session.execute(insert(_INDICATORS), indicator_rows)
        session.execute(update(Post).where(Post.id.in_(ids)).values(scanned_at=now))
        result.signals += len(signal_rows)
        result.indicators += len(indicator_rows)

    # -- accounts ----------------------------------------------------------------------

    def _assess_accounts(
        self,
        session: Session,
        account_ids: list[int],
        result: ScanResult,
        organisations: dict[str, int],
    ) -> None:
        slugs = {oid: slug for slug, oid in organisations.items()}
        accounts = session.scalars(select(Account).where(Account.id.in_(account_ids))).all()
        evidence = {a.id: AccountEvidence(a.id) for a in accounts}
        self._post_evidence(session, account_ids, evidence, slugs)
        profile_signals: list[dict[str, Any]] = []
        for account in accounts:
            profile_signals.extend(self._profile(account, evidence[account.id], organisations))
        session.execute(
            delete(Signal).where(
                Signal.account_id.in_(account_ids),
                Signal.subject == SubjectKind.ACCOUNT,
                Signal.detector.in_([self.lexicon_detector.get_name(), RISK_DETECTOR]),
            )
        )
        open_cases = {
            case.account_id: case
            for case in session.scalars(
                select(Case).where(
                    Case.account_id.in_(account_ids),
                    Case.agency_id == self.agency_id,
                    Case.status.in_(_OPEN),
                )
            )
        }
        languages = _main_languages(session, account_ids)
        latest = _latest_posts(session, account_ids)
        opened: list[Case] = []
        for account in accounts:
            risk = assess(evidence[account.id])
            account.risk_score, account.risk_explanation = risk.score, risk.explanation
            top = risk.organisations[0] if risk.organisations else None
            profile_signals.append(
                {
                    "detector": RISK_DETECTOR,
                    "detector_version": RISK_VERSION,
                    "subject": SubjectKind.ACCOUNT,
                    "platform_id": account.platform_id,
                    "account_id": account.id,
                    "post_id": None,
                    "media_id": None,
                    "organisation_id": organisations.get(top) if top else None,
                    "label": RISK_DETECTOR,
                    "score": risk.score,
                    "evidence": risk.explanation,
                    "created_at": utcnow(),
                }
            )
            result.accounts_assessed += 1
            reach = account.followers or 0
            case = open_cases.get(account.id)
            if case is None and risk.score >= self.risk_threshold:
                case = Case(agency_id=self.agency_id, account_id=account.id)
                session.add(case)
                result.cases_opened += 1
                opened.append(case)
            if case is not None:
                case.risk_score, case.reach = risk.score, reach
                case.priority = case_priority(risk.score, reach, latest.get(account.id))
                case.language = languages.get(account.id)
                if top is not None and case.organisation_id is None:
                    case.organisation_id = organisations.get(top)
        if profile_signals:
            session.execute(insert(_SIGNALS), profile_signals)
            result.signals += len(profile_signals)
        session.flush()
        if self.signer is not None:
            for case in opened:
                capture(
                    session=session,
                    signer=self.signer,
                    purpose="detection",
                    account_id=case.account_id,
                    case_id=case.id,
                )

    def _post_evidence(
        self,
        session: Session,
        account_ids: list[int],
        evidence: dict[int, AccountEvidence],
        slugs: dict[int, str],
    ) -> None:
        classifier, lexicon = self.classifier_detector.get_name(), self.lexicon_detector.get_name()
        per_post: dict[int, dict[str, Any]] = defaultdict(lambda: {"p": 0.0, "orgs": {}})
        owner: dict[int, int] = {}
        for post_id, account_id, detector, score, organisation_id in session.execute(
            select(
                Signal.post_id,
                Signal.account_id,
                Signal.detector,
                Signal.score,
                Signal.organisation_id,
            ).where(
                Signal.account_id.in_(account_ids),
                Signal.subject == SubjectKind.POST,
                Signal.detector.in_([classifier, lexicon]),
            )
        ):
            if post_id is None or account_id is None:
                continue
            owner[post_id] = account_id
            if detector == classifier:
                per_post[post_id]["p"] = score
            elif organisation_id is not None:
                per_post[post_id]["orgs"][slugs[organisation_id]] = score
        strong = [pid for pid, e in per_post.items() if e["p"] >= 0.2]
        excerpts = (
            dict(session.execute(select(Post.id, Post.text).where(Post.id.in_(strong))).all())
            if strong
            else {}
        )
        self._media_evidence(session, account_ids, evidence, slugs)
        for post_id, found in per_post.items():
            evidence[owner[post_id]].posts.append(
                PostEvidence(
                    post_id, found["p"], found["orgs"], (excerpts.get(post_id) or "")[:160]
                )
            )

    @staticmethod
    def _media_evidence(
        session: Session,
        account_ids: list[int],
        evidence: dict[int, AccountEvidence],
        slugs: dict[int, str],
    ) -> None:
        rows = session.execute(
            select(
                Signal.account_id,
                Signal.media_id,
                Signal.post_id,
                Signal.score,
                Signal.organisation_id,
                Signal.evidence,
            ).where(
                Signal.account_id.in_(account_ids),
                Signal.subject == SubjectKind.MEDIA,
                Signal.detector == HashMatchDetector.get_name(),
            )
        )
        for account_id, media_id, post_id, score, organisation_id, found in rows:
            if account_id in evidence and media_id is not None:
                evidence[account_id].media.append(
                    MediaEvidence(
                        media_id,
                        post_id,
                        score,
                        slugs.get(organisation_id) if organisation_id else None,
                        str(found.get("bank", "")),
                        str(found.get("signal_type", "")),
                    )
                )

    def _profile(
        self, account: Account, evidence: AccountEvidence, organisations: dict[str, int]
    ) -> list[dict[str, Any]]:
        items = [
            TextItem(SubjectKind.ACCOUNT, account.id, text, field)
            for field, text in (("bio", account.bio), ("display_name", account.display_name))
            if text
        ]
        rows = []
        for finding in self.lexicon_detector.detect(items):
            slug = finding.organisation or ""
            evidence.profile[slug] = max(evidence.profile.get(slug, 0.0), finding.score)
            evidence.profile_terms.extend(h["matched"] for h in finding.evidence["hits"])
            rows.append(_signal_row(finding, account.platform_id, account.id, organisations))
        if account.handle:
            for hit in self.lexicon.scan("@" + account.handle.lstrip("@")):
                if hit.term.kind is TermKind.HANDLE:
                    evidence.known_as[hit.term.organisation] = hit.term.value
        return rows


def _latest_posts(session: Session, account_ids: list[int]) -> dict[int, datetime]:
    """When each account last posted (as far as the exports say)."""
    rows = session.execute(
        select(Post.account_id, func.max(Post.posted_at))
        .where(Post.account_id.in_(account_ids))
        .group_by(Post.account_id)
    )
    return {account_id: when for account_id, when in rows if when is not None}


def _main_languages(session: Session, account_ids: list[int]) -> dict[int, str]:
    """Each account's most frequent post language."""
    counted = session.execute(
        select(Post.account_id, Post.language, func.count())
        .where(Post.account_id.in_(account_ids), Post.language.is_not(None))
        .group_by(Post.account_id, Post.language)
    )
    best: dict[int, tuple[int, str]] = {}
    for account_id, language, count in counted:
        if count > best.get(account_id, (0, ""))[0]:
            best[account_id] = (count, language or "")
    return {account_id: language for account_id, (_, language) in best.items()}


def _organisation_ids(session: Session) -> dict[str, int]:
    return {slug: oid for slug, oid in session.execute(select(Organisation.slug, Organisation.id))}


def _signal_row(
    finding: Finding, platform_id: int, account_id: int, organisations: dict[str, int]
) -> dict[str, Any]:
    is_post = finding.subject is SubjectKind.POST
    return {
        "detector": finding.detector,
        "detector_version": finding.version,
        "subject": finding.subject,
        "platform_id": platform_id,
        "account_id": account_id,
        "post_id": finding.key if is_post else None,
        "media_id": None,
        "organisation_id": organisations.get(finding.organisation or ""),
        "label": finding.label,
        "score": finding.score,
        "evidence": finding.evidence,
        "created_at": utcnow(),
    }
