"""The arrows between stages point down the flow.

A stage may import the stages before it (ingest → detect → network → review → referral
→ reports) and the shared layers beneath them all, never a stage after it nor the
packages above (the pipeline, the demo, the web app, the CLI). Every import counts,
including those inside functions, since a late import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "shaheen"
FLOW = ("ingest", "detect", "network", "review", "referral", "tasks", "reports")
# Beneath the stages: reference data, identity, storage, the audit chain.
SHARED = ("store", "knowledge", "platforms", "agencies", "audit", "access", "sharing")
ABOVE = ("pipeline", "demo", "web", "cli")
# The evidence chain snapshots what was collected and detected, for review and referral.
EVIDENCE_SEES = {"ingest", "detect"}
# The one module that gathers every table for Alembic's autogenerate.
TABLE_REGISTRY = "store/metadata.py"


def _imports(path: Path) -> set[str]:
    """The `shaheen.<package>` names a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "shaheen" and len(parts) > 1:
                found.add(parts[1])
    return found


def _forbidden(package: str) -> set[str]:
    if package in FLOW:
        return set(FLOW[FLOW.index(package) + 1 :]) | set(ABOVE)
    if package in SHARED:
        return set(FLOW) | set(ABOVE)
    if package == "evidence":
        return set(FLOW) - EVIDENCE_SEES | set(ABOVE)
    return set()


@pytest.mark.parametrize("package", (*FLOW, *SHARED, "evidence"))
def test_no_arrow_runs_back_up_the_flow(package: str) -> None:
    wrong = {
        f"{path.relative_to(SRC)} imports shaheen.{target}"
        for path in (SRC / package).rglob("*.py")
        if str(path.relative_to(SRC)) != TABLE_REGISTRY
        for target in _imports(path) & _forbidden(package)
    }
    assert not wrong, sorted(wrong)


def test_detection_does_not_know_review() -> None:
    importers = [
        str(path.relative_to(SRC))
        for path in (SRC / "detect").rglob("*.py")
        if "review" in _imports(path)
    ]
    assert importers == []
