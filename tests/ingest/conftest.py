"""An importer over the shared clean-database fixtures (`sessions`, see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shaheen.ingest.connectors.base import ConnectorOptions
from shaheen.ingest.flows import Importer
from shaheen.ingest.media import MediaStore


@pytest.fixture
def media_store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def importer(sessions: sessionmaker[Session], media_store: MediaStore) -> Importer:
    return Importer(
        sessions=sessions, media=media_store, options=ConnectorOptions(timezone="UTC"), batch_size=3
    )
