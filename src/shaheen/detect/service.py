"""Building detection resources: the lexicon from the knowledge base, the active model."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shaheen.detect.lexicon import Lexicon, Term
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
