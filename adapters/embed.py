"""The offline embedder: hashed character n-grams, deterministic, no download.

Good enough to place column names and short values near each other (``cust_email`` and
``customer e-mail`` share most trigrams); the domaining eval measures it against a real model.
"""

from __future__ import annotations

import hashlib
import math
import re

__all__ = ["DIMENSIONS", "hashed_ngrams"]

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
