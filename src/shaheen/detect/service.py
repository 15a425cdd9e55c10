"""Building detection resources: the lexicon from the knowledge base, the active model."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shaheen.detect import embeddings
from shaheen.detect.classifier import ClassifierDetector, Example, TextClassifier, read_examples
from shaheen.detect.lexicon import Lexicon, LexiconDetector, Term
from shaheen.detect.models import Signal
from shaheen.detect.seed import CORPUS
from shaheen.ingest.models import Post
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.models import Organisation
from shaheen.knowledge.schemas import OrganisationSpec
from shaheen.review.enums import ABOUT_NOT_FOR, Verdict
from shaheen.review.models import Case, Decision


def lexicon_from_specs(organisations: Iterable[OrganisationSpec], version: str) -> Lexicon:
    """A lexicon straight from knowledge-base files (no database): eval and tests."""
    terms = [
        Term(spec.slug, kind, value, weight)
        for spec in organisations
        for kind, value, weight in spec.terms.entries()
    ]
    return Lexicon(terms, version)


def bundled_lexicon() -> Lexicon:
    """The lexicon of the knowledge base shipped with Shaheen."""
    merged = knowledge.merge([knowledge.parse(knowledge.bundled_path())])
    return lexicon_from_specs(merged.organisations, merged.sha256[:12])


def load_lexicon(*, session: Session) -> Lexicon:
    """The lexicon of the active organisations in the database."""
    release = knowledge.current_release(session=session)
    organisations = session.scalars(
        select(Organisation).where(Organisation.active).options(selectinload(Organisation.terms))
    )
    terms = [
        Term(org.slug, term.kind, term.value, term.weight)
        for org in organisations
        for term in org.terms
    ]
    return Lexicon(terms, release.sha256[:12] if release else "empty")


log = logging.getLogger(__name__)


def seed_examples() -> list[Example]:
    """The bootstrap corpus shipped with Shaheen (see `seed.py`)."""
    return read_examples(CORPUS)


def train(
    examples_beyond_seed: list[Example], lexicon: Lexicon, source: str, include_seed: bool = True
) -> TextClassifier:
    """A model on the seed corpus (its shipped embeddings reused) plus further examples."""
    seed = seed_examples() if include_seed else []
    vectors = None
    if embeddings.available():
        shipped = embeddings.seed_embeddings(CORPUS, len(seed)) if seed else None
        if shipped is not None or not seed:
            extra = embeddings.embed([e.text for e in examples_beyond_seed])
            vectors = np.vstack([shipped, extra]) if shipped is not None else extra
    return TextClassifier.train(seed + examples_beyond_seed, lexicon, source, vectors)


def active_model(
    model_dir: Path, lexicon: Lexicon, cascade_threshold: float | None = None
) -> TextClassifier:
    """The active model in `model_dir`, training the bootstrap model the first time."""
    model = TextClassifier.active(model_dir)
    if model is None:
        log.info("no model yet: training the bootstrap model on the seed corpus")
        model = train([], lexicon, source="seed corpus")
        model.save(model_dir)
    if cascade_threshold is not None:
        model.cascade_threshold = cascade_threshold
    return model


FLAGGED = 0.5


def decision_examples(*, session: Session) -> list[Example]:
    """Labelled posts from reviewers' latest decision on each case.

    A decision is about an account, so it labels the posts that led to it: a referral
    labels the posts the classifier flagged as propaganda; a dismissal because the
    account reports on, condemns, counters or studies a group labels its posts that
    name one as news_or_counter; any other dismissal labels the flagged posts as other
    (they were false positives, the most useful negatives there are). Escalations and
    requests for translation teach nothing yet.
    """
    latest: dict[int, Decision] = {}
    for decision in session.scalars(select(Decision).order_by(Decision.decided_at, Decision.id)):
        latest[decision.case_id] = decision
    examples: list[Example] = []
    for case_id, decision in latest.items():
        case = session.get(Case, case_id)
        if case is None or decision.verdict not in (Verdict.REFER, Verdict.DISMISS):
            continue
        if decision.verdict is Verdict.REFER:
            posts, label = _flagged_posts(session, case.account_id), "propaganda"
        elif decision.reason_code in ABOUT_NOT_FOR:
            posts, label = _naming_posts(session, case.account_id), "news_or_counter"
        else:
            posts, label = _flagged_posts(session, case.account_id), "other"
        examples.extend(Example(text, label, language) for text, language in posts)
    return examples


def _flagged_posts(session: Session, account_id: int) -> list[tuple[str, str | None]]:
    return [
        (text, language)
        for text, language in session.execute(
            select(Post.text, Post.language)
            .join(Signal, Signal.post_id == Post.id)
            .where(
                Post.account_id == account_id,
                Signal.detector == ClassifierDetector.get_name(),
                Signal.score >= FLAGGED,
            )
        )
    ]


def _naming_posts(session: Session, account_id: int) -> list[tuple[str, str | None]]:
    return [
        (text, language)
        for text, language in session.execute(
            select(Post.text, Post.language)
            .distinct()
            .join(Signal, Signal.post_id == Post.id)
            .where(Post.account_id == account_id, Signal.detector == LexiconDetector.get_name())
        )
    ]
