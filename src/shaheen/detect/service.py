"""Building detection resources: the lexicon from the knowledge base, the active model."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shaheen.detect.classifier import Example, TextClassifier, read_examples
from shaheen.detect.lexicon import Lexicon, Term
from shaheen.detect.seed import CORPUS
from shaheen.knowledge import service as knowledge
from shaheen.knowledge.models import Organisation
from shaheen.knowledge.schemas import OrganisationSpec


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


def active_model(model_dir: Path, lexicon: Lexicon) -> TextClassifier:
    """The active model in `model_dir`, training the bootstrap model the first time."""
    model = TextClassifier.active(model_dir)
    if model is None:
        examples = seed_examples()
        log.info("no model yet: training the bootstrap model on %d seed examples", len(examples))
        model = TextClassifier.train(examples, lexicon, source="seed corpus")
        model.save(model_dir)
    return model
