"""Reading the knowledge-base file and keeping the database in step with it.

Loading is idempotent: an organisation is found by its slug and its terms and listings
are made to equal the file's, so loading the same file twice changes nothing and a
newer file adds, updates and removes exactly what changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from shaheen.audit import service as audit
from shaheen.errors import KnowledgeBaseError, NotFound
from shaheen.knowledge.enums import Script, TermKind
from shaheen.knowledge.models import (
    KnowledgeBaseRelease,
    Organisation,
    OrganisationTerm,
    Proscription,
)
from shaheen.knowledge.schemas import (
    KnowledgeBaseFile,
    ListingRead,
    OrganisationRead,
    OrganisationSpec,
    TermLists,
)


def bundled_path() -> Path:
    """The knowledge-base file shipped with Shaheen."""
    return Path(str(resources.files("shaheen.knowledge") / "data" / "organisations.yaml"))


def script_of(value: str) -> Script:
    """Arabic if the term has any Arabic-script letter, else Latin."""
    if any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in value):
        return Script.ARABIC
    return Script.LATIN


@dataclass(frozen=True, slots=True)
class ParsedKnowledgeBase:
    """A validated knowledge-base file and where it came from."""

    content: KnowledgeBaseFile
    source: str
    sha256: str


@dataclass(frozen=True, slots=True)
class MergedKnowledgeBase:
    """Several files combined: organisations with every extension's terms folded in."""

    version: str
    organisations: list[OrganisationSpec]
    sources: list[str]
    sha256: str


def parse(path: Path) -> ParsedKnowledgeBase:
    """Read and validate a knowledge-base YAML file, or raise `KnowledgeBaseError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read knowledge base {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise KnowledgeBaseError(f"{path}:{line} is not valid YAML: {exc}") from None
    try:
        content = KnowledgeBaseFile.model_validate(document)
    except ValidationError as exc:
        raise KnowledgeBaseError(f"{path}: {_describe(exc, document)}") from None
    return ParsedKnowledgeBase(content, str(path), hashlib.sha256(raw).hexdigest())


def _describe(exc: ValidationError, document: object) -> str:
    """Name the organisation and the field of the first validation error."""
    error = exc.errors()[0]
    location = list(error["loc"])
    where = ".".join(str(part) for part in location) or "file"
    if len(location) >= 2 and location[0] == "organisations" and isinstance(location[1], int):
        organisations = document.get("organisations") if isinstance(document, dict) else None
        if isinstance(organisations, list) and location[1] < len(organisations):
            entry = organisations[location[1]]
            slug = entry.get("slug") if isinstance(entry, dict) else None
            where = f"organisation {slug or '#' + str(location[1] + 1)}, " + ".".join(
                str(part) for part in location[2:]
            )
    return f"{where}: {error['msg']}"


def merge(parsed: list[ParsedKnowledgeBase]) -> MergedKnowledgeBase:
    """Combine files in order; an extension must name an organisation defined before it."""
    organisations: dict[str, OrganisationSpec] = {}
    for item in parsed:
        for spec in item.content.organisations:
            if spec.slug in organisations:
                raise KnowledgeBaseError(
                    f"{item.source}: organisation {spec.slug!r} is already defined by an "
                    "earlier file; use `extensions:` to add terms to it"
                )
            organisations[spec.slug] = spec
        for extension in item.content.extensions:
            base = organisations.get(extension.slug)
            if base is None:
                raise KnowledgeBaseError(
                    f"{item.source}: extension names unknown organisation {extension.slug!r}"
                )
            organisations[extension.slug] = _extend(base, extension.terms)
    digest = hashlib.sha256("".join(p.sha256 for p in parsed).encode()).hexdigest()
    return MergedKnowledgeBase(
        version="+".join(p.content.version for p in parsed),
        organisations=list(organisations.values()),
        sources=[p.source for p in parsed],
        sha256=digest,
    )


def _extend(spec: OrganisationSpec, extra: TermLists) -> OrganisationSpec:
    merged = {
        field: getattr(spec.terms, field) + getattr(extra, field)
        for field in TermLists.model_fields
    }
    return spec.model_copy(update={"terms": TermLists(**merged)})


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading a knowledge base changed."""

    version: str
    organisations_added: int
    organisations_updated: int
    terms: int
    unchanged: bool


def load(*, session: Session, merged: MergedKnowledgeBase, actor: str) -> LoadResult:
    """Make the database's organisations match `merged`; audit and record the release.

    Organisations no longer in the files are deactivated, not deleted: signals and
    decisions of the past still point at them.
    """
    latest = current_release(session=session)
    existing = {
        org.slug: org
        for org in session.scalars(
            select(Organisation).options(
                selectinload(Organisation.terms), selectinload(Organisation.listings)
            )
        )
    }
    added = updated = terms = 0
    for spec in merged.organisations:
        organisation = existing.pop(spec.slug, None)
        if organisation is None:
            organisation = Organisation(slug=spec.slug)
            session.add(organisation)
            _apply(organisation, spec)
            added += 1
        elif _apply(organisation, spec):
            updated += 1
        terms += len(organisation.terms)
    for retired in existing.values():
        if retired.active:
            retired.active = False
            updated += 1
    session.flush()
    unchanged = added == updated == 0 and latest is not None and latest.sha256 == merged.sha256
    if not unchanged:
        release = KnowledgeBaseRelease(
            version=merged.version[:32],
            sha256=merged.sha256,
            source=", ".join(merged.sources)[:500],
            organisations=len(merged.organisations),
            terms=terms,
        )
        session.add(release)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="kb.load",
            object_type="kb_release",
            object_id=release.id,
            details={
                "version": merged.version,
                "sha256": merged.sha256,
                "added": added,
                "updated": updated,
                "sources": merged.sources,
            },
        )
    return LoadResult(merged.version, added, updated, terms, unchanged)


def _apply(organisation: Organisation, spec: OrganisationSpec) -> bool:
    """Copy `spec` onto `organisation`; return True if anything changed."""
    changed = False
    for field, value in (
        ("name", spec.name),
        ("region", spec.region),
        ("description", spec.description),
        ("active", True),
    ):
        if getattr(organisation, field) != value:
            setattr(organisation, field, value)
            changed = True

    meanings = spec.terms.other_meanings()
    wanted_terms = {
        (kind, value): (weight, _meanings_text(meanings, kind, value))
        for kind, value, weight in spec.terms.entries()
    }
    current_terms = {(t.kind, t.value): t for t in organisation.terms}
    for key, term in current_terms.items():
        if key not in wanted_terms:
            organisation.terms.remove(term)
            changed = True
        elif (term.weight, term.other_meanings) != wanted_terms[key]:
            term.weight, term.other_meanings = wanted_terms[key]
            changed = True
    for (kind, value), (weight, other) in wanted_terms.items():
        if (kind, value) not in current_terms:
            organisation.terms.append(
                OrganisationTerm(
                    kind=kind,
                    value=value,
                    script=script_of(value),
                    weight=weight,
                    other_meanings=other,
                )
            )
            changed = True

    wanted_listings = [(item.authority, item.instrument, item.date) for item in spec.listings]
    current_listings = [(p.authority, p.instrument, p.listed_on) for p in organisation.listings]
    if wanted_listings != current_listings:
        organisation.listings.clear()
        for authority, instrument, listed_on in wanted_listings:
            organisation.listings.append(
                Proscription(authority=authority, instrument=instrument, listed_on=listed_on)
            )
        changed = True
    return changed


def _meanings_text(meanings: dict[str, tuple[str, ...]], kind: TermKind, value: str) -> str:
    """An acronym's other meanings as stored: one a line (empty for other terms)."""
    return "\n".join(meanings.get(value, ())) if kind is TermKind.ACRONYM else ""


def list_organisations(*, session: Session) -> list[Organisation]:
    """Every organisation with its terms and listings, by name."""
    return list(
        session.scalars(
            select(Organisation)
            .options(selectinload(Organisation.terms), selectinload(Organisation.listings))
            .order_by(Organisation.name)
        )
    )


def summaries(*, session: Session) -> list[OrganisationRead]:
    """Every organisation in the shape the CLI and API show."""
    return [
        OrganisationRead(
            slug=org.slug,
            name=org.name,
            active=org.active,
            names=[t.value for t in org.terms if t.kind in (TermKind.NAME, TermKind.ALIAS)],
            acronyms=[t.value for t in org.terms if t.kind is TermKind.ACRONYM],
            media_wings=[t.value for t in org.terms if t.kind is TermKind.MEDIA_WING],
            terms=len(org.terms),
            listings=[
                ListingRead(authority=p.authority, instrument=p.instrument, date=p.listed_on)
                for p in org.listings
            ],
        )
        for org in list_organisations(session=session)
    ]


def current_release(*, session: Session) -> KnowledgeBaseRelease | None:
    """The most recently loaded knowledge-base release."""
    return session.scalars(
        select(KnowledgeBaseRelease).order_by(KnowledgeBaseRelease.id.desc()).limit(1)
    ).first()


def count_terms(*, session: Session) -> int:
    """How many terms the knowledge base holds."""
    return session.scalar(select(func.count()).select_from(OrganisationTerm)) or 0


def organisation_id(*, session: Session, slug: str | None) -> int | None:
    """The id of the organisation `slug` (None for no slug); `NotFound` if unknown."""
    if slug is None:
        return None
    found = session.scalar(select(Organisation.id).where(Organisation.slug == slug))
    if found is None:
        raise NotFound(f"no organisation {slug!r} in the knowledge base (`shaheen kb list`)")
    return found


def organisation_ids(*, session: Session) -> dict[str, int]:
    """Every organisation's id by slug (active or not: old signals still name them)."""
    return {slug: oid for slug, oid in session.execute(select(Organisation.slug, Organisation.id))}
