"""The shipped seed corpus is exactly what its generator writes, and its embeddings fit it."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from shaheen.demo.seed_corpus import rows, write_corpus
from shaheen.detect import embeddings
from shaheen.detect.classifier import SEED_CORPUS, read_examples


def test_the_shipped_csv_equals_the_generator_output(tmp_path: Path) -> None:
    fresh = tmp_path / "seed_corpus.csv"
    assert write_corpus(fresh) == len(rows())
    assert fresh.read_bytes() == SEED_CORPUS.read_bytes()  # regenerate: python -m ...


def test_the_shipped_embeddings_belong_to_the_shipped_csv() -> None:
    count = len(read_examples(SEED_CORPUS))
    assert embeddings.SEED_DIGEST.read_text().strip() == embeddings.corpus_digest(SEED_CORPUS)
    shipped = embeddings.seed_embeddings(SEED_CORPUS, count)
    assert isinstance(shipped, np.ndarray) and len(shipped) == count


def test_no_runtime_module_imports_the_generator() -> None:
    # The sentence bank is demo data: only demo/ (and bench/) may import it.
    src = Path(__file__).resolve().parents[2] / "src" / "shaheen"
    offenders = []
    for path in src.rglob("*.py"):
        if path.parent.name == "demo":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offenders += [str(path) for name in names if name.endswith("seed_corpus")]
    assert offenders == []
