"""A model file is a pickle: it loads only from the model folder, and only if its SHA-256
is the one the database recorded when this instance trained it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from shaheen.detect import service
from shaheen.detect.classifier import TextClassifier
from shaheen.detect.lexicon import Lexicon
from shaheen.errors import ConfigError


def test_a_recorded_model_loads(
    session: Session, model: TextClassifier, lexicon: Lexicon, tmp_path: Path
) -> None:
    service.save_model(session=session, model=model, model_dir=tmp_path)
    loaded = service.active_model(tmp_path, lexicon, session=session)
    assert loaded.info.version == model.info.version


def test_an_altered_model_file_is_refused(
    session: Session, model: TextClassifier, lexicon: Lexicon, tmp_path: Path
) -> None:
    path = service.save_model(session=session, model=model, model_dir=tmp_path)
    path.write_bytes(pickle.dumps({"pipeline": "swapped"}))
    with pytest.raises(ConfigError, match="is not the model this instance trained"):
        service.active_model(tmp_path, lexicon, session=session)


def test_a_model_file_dropped_in_is_refused(
    session: Session, model: TextClassifier, lexicon: Lexicon, tmp_path: Path
) -> None:
    model.save(tmp_path)  # written, but never recorded by this instance
    with pytest.raises(ConfigError, match="was not trained by this instance"):
        service.active_model(tmp_path, lexicon, session=session)


@pytest.mark.parametrize(
    "pointer", ["../elsewhere/classifier-x.joblib", "/etc/passwd", "model.pkl", ""]
)
def test_the_pointer_cannot_leave_the_folder(tmp_path: Path, pointer: str) -> None:
    (tmp_path / "ACTIVE").write_text(pointer + "\n")
    with pytest.raises(ConfigError, match="not a model file of this folder"):
        TextClassifier.active_path(tmp_path)


def test_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "classifier-evil.joblib").write_bytes(b"x")
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "classifier-evil.joblib").symlink_to(outside / "classifier-evil.joblib")
    (folder / "ACTIVE").write_text("classifier-evil.joblib\n")
    with pytest.raises(ConfigError, match="leads out of the model folder"):
        TextClassifier.active_path(folder)


def test_without_a_database_no_file_is_trusted(
    model: TextClassifier, lexicon: Lexicon, tmp_path: Path
) -> None:
    (tmp_path / "ACTIVE").write_text("classifier-evil.joblib\n")
    (tmp_path / "classifier-evil.joblib").write_bytes(b"not even a pickle")
    fresh = service.active_model(tmp_path, lexicon, session=None)  # trained in memory
    assert fresh.info.version == model.info.version  # the same bootstrap model
