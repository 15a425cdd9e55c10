"""Hash banks worked by a person: created for their agency, a hash list imported with
its bad rows named, exported at the strictest marking; another agency's bank and the
reference banks are read only; and the audit log's part of each agency shows its
curators' steps. Both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from shaheen.audit import service as audit
from shaheen.detect.media import curation
from shaheen.errors import BadInput, Forbidden, NotFound
from shaheen.knowledge import banks
from shaheen.knowledge.enums import TLP
from tests.tasks.world import World, build_world

PDQ = "f" * 48 + "0123456789abcdef"
MD5 = "0123456789abcdef" * 2


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _listing(tmp_path: Path) -> Path:
    path = tmp_path / "partner.csv"
    path.write_text(
        "signal_type,signal_str,tags,tlp\n"
        f"pdq,{PDQ},poster,TLP:RED\n"
        f"md5,{MD5},video,\n"
        "pdq,too-short,broken,\n",
        encoding="utf-8",
    )
    return path


def test_a_curator_creates_imports_and_exports_their_agencys_bank(
    world: World, tmp_path: Path
) -> None:
    boss = world.as_("cta-boss")
    made = curation.create(
        session=world.session, by=boss, name="cta-posters", label="Posters", tlp=TLP.AMBER
    )
    assert made.source == "CTA" and made.tlp == "amber"
    result, parsed = curation.import_file(
        session=world.session,
        by=boss,
        name="cta-posters",
        path=_listing(tmp_path),
        file_name="partner.csv",
    )
    assert (result.added, len(parsed.rejected)) == (2, 1)
    assert "line 4" in parsed.rejected[0]
    out = tmp_path / "out.json"
    exported = curation.export(
        session=world.session, by=boss, name="cta-posters", path=out, fmt="stix"
    )
    assert exported.count == 2 and exported.tlp is TLP.RED  # the strictest entry's marking
    assert PDQ in out.read_text(encoding="utf-8")
    steps = audit.entries(session=world.session, by=boss, object_type="hash_bank", limit=20)
    mine = [(e.action, e.actor) for e in steps.entries if e.agency_id == boss.agency_id]
    assert mine == [
        ("bank.export", "cta-boss"),
        ("bank.import", "cta-boss"),
        ("bank.create", "cta-boss"),
    ]


def test_reviewers_and_other_agencies_cannot_change_a_bank(world: World, tmp_path: Path) -> None:
    curation.create(session=world.session, by=world.as_("cta-boss"), name="cta-only")
    with pytest.raises(Forbidden):  # a reviewer reads banks, never writes them
        curation.create(session=world.session, by=world.as_("cta-reviewer"), name="mine")
    with pytest.raises(NotFound):  # another agency's AMBER bank is not even there
        curation.import_file(
            session=world.session,
            by=world.as_("kp-boss"),
            name="cta-only",
            path=_listing(tmp_path),
            file_name="partner.csv",
        )
    banks.create_bank(session=world.session, name="reference", actor="system")
    with pytest.raises(Forbidden):  # reference data: the operator's
        curation.export(
            session=world.session,
            by=world.as_("kp-boss"),
            name="reference",
            path=tmp_path / "r.csv",
            fmt="csv",
        )
    with pytest.raises(BadInput):
        curation.create(session=world.session, by=world.as_("cta-boss"), name="../etc")
    with pytest.raises(BadInput):
        curation.create(session=world.session, by=world.as_("cta-boss"), name="cta-only")
