"""How well each source column fits each target column: names, domains and types.

``score = 0.6 * name + 0.25 * domain + 0.15 * type``, where

- ``name`` is :func:`specialists.mapping.names.name_similarity` of the target's name (and
  description) and the source header;
- ``domain`` is the cosine of the two columns' candidate-domain score vectors from Domain
  Assignments (1 when both point at the same domains with the same strength; left out, and the
  weights renormalised, when either side has no candidates);
- ``type`` is whether the source can become the target's type (1 yes, 0.5 perhaps, 0 no);
  a source that cannot (a date into a decimal) keeps a fifth of its score.

:func:`rank_matches` lists every pair, best first: what ``conduit match`` prints, so the
matcher can be compared with other schema matchers on public benchmarks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from specialists.mapping.columns import SourceColumn, TargetSpec
from specialists.mapping.names import concepts, name_similarity

__all__ = ["PairScore", "domain_agreement", "rank_matches", "score_pair", "type_fit"]

W_NAME, W_DOMAIN, W_TYPE = 0.6, 0.25, 0.15
_NUMERIC = ("integer", "decimal", "float")


@dataclass(frozen=True)
class PairScore:
    target: str
    source: str  # the source header
    name: float
    domain: float | None
    type: float
    score: float

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "score": round(self.score, 4),
            "name": round(self.name, 4),
            "domain": None if self.domain is None else round(self.domain, 4),
            "type": self.type,
        }


def domain_agreement(a: Mapping[str, float], b: Mapping[str, float]) -> float | None:
    """Cosine of two candidate-domain score vectors; None when either is empty."""
    if not a or not b:
        return None
    dot = sum(a[d] * b[d] for d in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def type_fit(target_family: str, source: SourceColumn) -> float:
    """1 when the source's catalog type converts to the target's as is, 0.5 when its text may
    (a string column into a date: the sample decides), 0 when it cannot."""
    s = source.family
    if target_family == "string":
        return 1.0 if s == "string" else 0.7
    if s == "string":
        return 0.5
    if target_family in _NUMERIC:
        return 1.0 if s in _NUMERIC else 0.0
    if target_family == "date":
        return {"date": 1.0, "timestamp": 0.7}.get(s, 0.0)
    if target_family == "timestamp":
        return {"timestamp": 1.0, "date": 0.7}.get(s, 0.0)
    if target_family == "boolean":
        return {"boolean": 1.0, "integer": 0.5}.get(s, 0.0)
    return 0.0


def score_pair(
    target: TargetSpec, source: SourceColumn, context: frozenset[str] = frozenset()
) -> PairScore:
    """The score of one pair; ``context`` is the concepts of the target table's name."""
    name = name_similarity(target.name, source.header, target.column.description, context)
    domain = domain_agreement(target.domains, source.domains)
    fit = type_fit(target.family, source)
    if domain is None:
        total = (W_NAME * name + W_TYPE * fit) / (W_NAME + W_TYPE)
    else:
        total = W_NAME * name + W_DOMAIN * domain + W_TYPE * fit
    if fit == 0.0:
        total *= 0.2
    return PairScore(target.name, source.header, name, domain, fit, total)


def rank_matches(
    targets: Sequence[TargetSpec],
    sources: Sequence[SourceColumn],
    *,
    table: str = "",
    top_k: int | None = None,
) -> list[PairScore]:
    """Every (target, source) pair, best first; ``top_k`` keeps each target's best k."""
    context = concepts(table)
    by_target: dict[str, list[PairScore]] = {}
    for t in targets:
        pairs = sorted((score_pair(t, s, context) for s in sources), key=lambda p: -p.score)
        by_target[t.name] = pairs[:top_k] if top_k else pairs
    return sorted(
        (p for pairs in by_target.values() for p in pairs), key=lambda p: (-p.score, p.target)
    )
