"""Name and value vectors of columns and domains, and their centroids in pgvector.

A vector here is a *hashed character n-gram* embedding (256 dimensions, L2-normalised): each
word of a header, and each character trigram of ``" word "``, is hashed (BLAKE2b) to a dimension
and a sign. Cosine similarity then measures shared spelling: ``posting_date`` is near ``Posting
Dt`` and ``Buchungsdatum`` is near ``Datum``. It needs no model, no download and no GPU, is the
same on every machine, and takes microseconds per header; a learned embedding can replace
``EMBEDDER`` later (centroids are stored per embedder and catalog hash).

Value vectors embed the *shapes* of values (``core.shapes``: ``2026-05-04`` -> ``9{4}-9{2}-9{2}``),
never the values themselves, so they carry no PII.

A domain's name centroid is the normalised mean of the vectors of its aliases and of its id's
words; its value centroid that of its curated examples' shapes. ``store_centroids`` writes them
once per catalog hash; ``nearest`` ranks a column's vector against them with pgvector's cosine
distance (``<=>``).

>>> round(cosine(name_vector("posting_date"), name_vector("PostingDate")), 3)
1.0
>>> cosine(name_vector("posting_date"), name_vector("vendor")) < 0.2
True
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from core.shapes import shape

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from specialists.domains.catalog import Domain, DomainCatalog

__all__ = [
    "DIM",
    "EMBEDDER",
    "centroids_of",
    "cosine",
    "domain_name_texts",
    "name_vector",
    "nearest",
    "store_centroids",
    "value_vector",
    "words",
]

DIM = 256
EMBEDDER = "hashed-char3-v1"
_MAX_TEXT = 200  # characters of a header or value that count (hostile inputs stay cheap)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^\w]+|_")


def words(text: str) -> list[str]:
    """The lowercase words of a header: camelCase, snake_case, spaces and punctuation split.

    >>> words("postedDate"), words("GL_Account-No."), words("  Straße  ")
    (['posted', 'date'], ['gl', 'account', 'no'], ['strasse'])
    """
    text = unicodedata.normalize("NFKC", text[:_MAX_TEXT])
    text = _CAMEL.sub(" ", text)
    return [w for w in _SPLIT.split(text.casefold()) if w]


def _slot(feature: str) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    return number % DIM, 1.0 if number >> 63 else -1.0


def _embed(features: Iterable[tuple[str, float]]) -> list[float]:
    vector = [0.0] * DIM
    for feature, weight in features:
        index, sign = _slot(feature)
        vector[index] += sign * weight
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


def _word_features(tokens: Sequence[str]) -> Iterable[tuple[str, float]]:
    for token in tokens:
        yield f"w:{token}", 2.0
        padded = f" {token} "
        for i in range(len(padded) - 2):
            yield f"c:{padded[i : i + 3]}", 1.0


def name_vector(text: str) -> list[float]:
    """The vector of a header or alias (zero for one with no word characters)."""
    return _embed(_word_features(words(text)))


def value_vector(values: Iterable[str | None], limit: int = 1_000) -> list[float]:
    """The vector of the shapes of up to ``limit`` non-null values (zero when there are none)."""
    shapes: list[str] = []
    for value in values:
        if value is not None and value != "":
            shapes.append(shape(value[:_MAX_TEXT]))
            if len(shapes) >= limit:
                break
    features = (
        (f"s:{s[i : i + 3]}", 1.0) for s in (f"^{s}$" for s in shapes) for i in range(len(s) - 2)
    )
    return _embed(features)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two normalised vectors (0 when either is zero)."""
    return sum(x * y for x, y in zip(a, b, strict=True))


def _mean(vectors: Sequence[Sequence[float]]) -> list[float]:
    summed = [sum(column) for column in zip(*vectors, strict=True)]
    norm = math.sqrt(sum(v * v for v in summed))
    return [v / norm for v in summed] if norm else summed


def domain_name_texts(domain: Domain) -> list[str]:
    """What a domain is called: the words of its id (``finance.posting_date`` -> ``posting
    date``) and every alias."""
    return [domain.id.split(".", 1)[1].replace("_", " "), *domain.aliases]


def centroids_of(catalog: DomainCatalog) -> Iterator[tuple[str, str, int, list[float]]]:
    """Per domain, ``(domain_id, kind, members, centroid)``: its name centroid (when a name has
    word characters) and its value centroid (when it has examples)."""
    for domain in catalog.domains:
        names = [v for v in (name_vector(t) for t in domain_name_texts(domain)) if any(v)]
        if names:
            yield domain.id, "name", len(names), _mean(names)
        if domain.examples:
            yield domain.id, "value", len(domain.examples), value_vector(list(domain.examples))


def _literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{v:.6f}" for v in vector) + "]"


def store_centroids(conn: Connection, catalog: DomainCatalog, catalog_hash: str) -> int:
    """Write the name and value centroids of every domain of ``catalog`` (idempotent: a catalog
    hash already stored is left as it is). Returns the rows written."""
    from sqlalchemy import text

    present = conn.execute(
        text("SELECT count(*) FROM domain_centroids WHERE catalog_hash = :h AND embedder = :e"),
        {"h": catalog_hash, "e": EMBEDDER},
    ).scalar_one()
    if present:
        return 0
    rows = list(centroids_of(catalog))
    conn.execute(
        text(
            "INSERT INTO domain_centroids (catalog_hash, domain_id, kind, embedder, members,"
            " centroid) VALUES (:h, :d, :k, :e, :m, CAST(:c AS vector))"
            " ON CONFLICT DO NOTHING"
        ),
        [
            {"h": catalog_hash, "d": d, "k": k, "e": EMBEDDER, "m": m, "c": _literal(c)}
            for d, k, m, c in rows
        ],
    )
    return len(rows)


def nearest(
    conn: Connection, catalog_hash: str, kind: str, vector: Sequence[float], k: int = 5
) -> list[tuple[str, float]]:
    """The ``k`` domains whose ``kind`` (``name`` or ``value``) centroid is nearest ``vector``,
    with their cosine similarity, best first (pgvector ``<=>``, exact scan)."""
    from sqlalchemy import text

    if not any(vector):
        return []
    rows = conn.execute(
        text(
            "SELECT domain_id, 1 - (centroid <=> CAST(:v AS vector)) AS similarity"
            " FROM domain_centroids WHERE catalog_hash = :h AND kind = :k AND embedder = :e"
            " ORDER BY centroid <=> CAST(:v AS vector), domain_id LIMIT :n"
        ),
        {"v": _literal(vector), "h": catalog_hash, "k": kind, "e": EMBEDDER, "n": k},
    )
    return [(str(d), round(float(s), 6)) for d, s in rows]
