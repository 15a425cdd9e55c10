"""The knowledge base: the shipped file, idempotent loading, extensions, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shaheen.errors import KnowledgeBaseError
from shaheen.knowledge import service
from shaheen.knowledge.enums import Script, TermKind
from shaheen.knowledge.models import Organisation, OrganisationTerm

MINIMAL = """
version: "t1"
organisations:
  - slug: ttp
    name: Tehrik-e-Taliban Pakistan
    listings: [{authority: Pakistan, instrument: ATA 1997, date: 2008-08-25}]
    terms:
      names: [Tehrik-e-Taliban Pakistan, تحریک طالبان پاکستان]
      acronyms: [TTP]
  - slug: bla
    name: Balochistan Liberation Army
    listings: [{authority: Pakistan, instrument: ATA 1997, date: null}]
    terms:
      names: [Balochistan Liberation Army]
"""


def _write(tmp_path: Path, text: str, name: str = "kb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load(session: Session, *paths: Path) -> service.LoadResult:
    merged = service.merge([service.parse(path) for path in paths])
    return service.load(session=session, merged=merged, actor="test")


def test_the_shipped_file_names_the_groups_in_every_script() -> None:
    merged = service.merge([service.parse(service.bundled_path())])
    by_slug = {org.slug: org for org in merged.organisations}
    assert {"ttp", "bla", "blf", "iskp", "aqis", "jem", "let", "lej"} <= set(by_slug)
    ttp_terms = {value for _, value, _ in by_slug["ttp"].terms.entries()}
    assert "تحریک طالبان پاکستان" in ttp_terms  # Urdu script
    assert "Tehreek e Taliban Pakistan" in ttp_terms  # Roman-Urdu spelling
    assert "Umar Media" in ttp_terms  # media wing
    bla_dates = {listing.date for listing in by_slug["bla"].listings}
    assert any(d is not None for d in bla_dates)
    for org in merged.organisations:
        assert org.listings, f"{org.slug} has no listing"
        scripts = {service.script_of(value) for _, value, _ in org.terms.entries()}
        assert Script.LATIN in scripts, org.slug


def test_loading_twice_changes_nothing(session: Session, tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL)
    first = _load(session, path)
    assert (first.organisations_added, first.unchanged) == (2, False)
    second = _load(session, path)
    assert second.unchanged
    assert second.organisations_added == second.organisations_updated == 0
    terms = session.scalars(select(OrganisationTerm).join(Organisation)).all()
    assert len(terms) == 4
    urdu = next(t for t in terms if t.value.startswith("تحریک"))
    assert urdu.script is Script.ARABIC
    acronym = next(t for t in terms if t.kind is TermKind.ACRONYM)
    assert acronym.weight == pytest.approx(0.6)


def test_a_new_version_adds_removes_and_deactivates(session: Session, tmp_path: Path) -> None:
    _load(session, _write(tmp_path, MINIMAL))
    changed = MINIMAL.replace('version: "t1"', 'version: "t2"').replace(
        "acronyms: [TTP]", "media_wings: [Umar Media]"
    )
    changed = changed[: changed.index("  - slug: bla")]
    result = _load(session, _write(tmp_path, changed, "kb2.yaml"))
    assert result.organisations_updated == 2  # ttp's terms, bla deactivated
    ttp = session.scalar(select(Organisation).where(Organisation.slug == "ttp"))
    assert ttp is not None
    assert {t.kind for t in ttp.terms} == {TermKind.NAME, TermKind.MEDIA_WING}
    bla = session.scalar(select(Organisation).where(Organisation.slug == "bla"))
    assert bla is not None and not bla.active


def test_an_extension_adds_terms_to_a_defined_organisation(
    session: Session, tmp_path: Path
) -> None:
    extension = _write(
        tmp_path,
        'version: "unit-1"\nextensions:\n  - slug: ttp\n    terms:\n'
        '      handles: ["@fictional_handle"]\n',
        "unit.yaml",
    )
    result = _load(session, _write(tmp_path, MINIMAL), extension)
    assert result.version == "t1+unit-1"
    handles = session.scalars(
        select(OrganisationTerm.value).where(OrganisationTerm.kind == TermKind.HANDLE)
    ).all()
    assert handles == ["@fictional_handle"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: x\norganisations: [\n", "line"),
        (
            'version: "x"\norganisations:\n  - slug: ttp\n    name: T\n    listings: []\n'
            "    terms: {names: [T]}\n",
            "organisation ttp, listings",
        ),
        (
            'version: "x"\norganisations:\n  - slug: ttp\n    name: T\n'
            "    listings: [{authority: a, instrument: b, date: null}]\n"
            "    terms: {names: [T], alias: [U]}\n",
            "organisation ttp, terms.alias",
        ),
        (
            'version: "x"\norganisations:\n  - slug: Bad Slug\n    name: T\n'
            "    listings: [{authority: a, instrument: b, date: null}]\n"
            "    terms: {names: [T]}\n",
            "lower-case",
        ),
        (
            'version: "x"\norganisations:\n  - slug: ttp\n    name: T\n'
            "    listings: [{authority: a, instrument: b, date: null}]\n"
            "    terms: {acronyms: [T]}\n",
            "needs at least one name",
        ),
    ],
)
def test_malformed_files_say_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=message):
        service.parse(_write(tmp_path, text))


def test_duplicate_slugs_are_refused(tmp_path: Path) -> None:
    duplicated = MINIMAL + MINIMAL[MINIMAL.index("  - slug: bla") :]
    with pytest.raises(KnowledgeBaseError, match="'bla' appears twice"):
        service.parse(_write(tmp_path, duplicated))


def test_non_utf8_and_missing_files_are_refused(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes('version: "é"\n'.encode("latin-1"))
    with pytest.raises(KnowledgeBaseError, match="not UTF-8"):
        service.parse(latin1)
    with pytest.raises(KnowledgeBaseError, match="cannot read"):
        service.parse(tmp_path / "missing.yaml")


def test_extension_of_an_unknown_organisation_is_refused(tmp_path: Path) -> None:
    extension = _write(
        tmp_path, 'version: "u"\nextensions:\n  - slug: nobody\n    terms: {handles: [x]}\n'
    )
    with pytest.raises(KnowledgeBaseError, match="unknown organisation 'nobody'"):
        service.merge([service.parse(extension)])


def test_loading_is_audited(session: Session, tmp_path: Path) -> None:
    from shaheen.audit import service as audit

    _load(session, _write(tmp_path, MINIMAL))
    assert audit.count(session=session) == 1
    assert audit.verify(session=session).intact
