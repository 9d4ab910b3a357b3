"""Assigning domains to columns: evidence, candidates, scores, a decision per column (§10).

The cascade of the hybrid engine: exact rules (an alias names the header) and similarity (name
and value centroids, regex hit rates, unit cues) give a score per candidate
(``specialists.domains.score``); the best candidate's band decides:

- **high**: assign, with the candidate's terms as the rationale;
- **borderline**: hold for a person (a discovery prompt through the adapters comes when a
  provider is configured: not yet);
- **low**: unknown.

``Centroids`` holds a catalog's name and value centroids in memory as sparse vectors, built
from the catalog (``Centroids.of``, the same vectors ``vectors.store_centroids`` writes to
pgvector) so a batch of columns is ranked without a query per column; its ranking equals
``vectors.nearest`` (test).

>>> from specialists.domains.catalog import load_catalog
>>> catalog = load_catalog()
>>> [a] = assign_columns([("Posting Dt", None)], "metadata_only", catalog, Centroids.of(catalog),
...                      tau_high=0.82, tau_low=0.55)
>>> a.domain_id, a.band, a.decision
('finance.posting_date', 'high', 'assign')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.contract import Mode
from specialists.domains.catalog import DomainCatalog
from specialists.domains.evidence import column_evidence
from specialists.domains.score import Band, Candidate, ScoreWeights, score_candidates
from specialists.domains.vectors import centroids_of, name_vector, value_vector

__all__ = ["Assignment", "Centroids", "Decision", "assign_columns"]

Decision = Literal["assign", "hold", "unknown"]
_DECISION: dict[Band, Decision] = {"high": "assign", "borderline": "hold", "low": "unknown"}
_Sparse = dict[int, float]


def _sparse(vector: Sequence[float]) -> _Sparse:
    return {i: v for i, v in enumerate(vector) if v}


@dataclass(frozen=True)
class Centroids:
    """A catalog's centroids, as sparse vectors per domain id."""

    name: dict[str, _Sparse]
    value: dict[str, _Sparse]

    @classmethod
    def of(cls, catalog: DomainCatalog) -> Centroids:
        """The centroids of ``catalog`` (the vectors ``store_centroids`` stores)."""
        tables: dict[str, dict[str, _Sparse]] = {"name": {}, "value": {}}
        for domain_id, kind, _members, centroid in centroids_of(catalog):
            tables[kind][domain_id] = _sparse(centroid)
        return cls(name=tables["name"], value=tables["value"])

    @staticmethod
    def _rank(table: dict[str, _Sparse], vector: Sequence[float], k: int) -> dict[str, float]:
        query = _sparse(vector)
        if not query:
            return {}
        sims = {
            domain: sum(weight * centroid.get(i, 0.0) for i, weight in query.items())
            for domain, centroid in table.items()
        }
        best = sorted(sims.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return {domain: round(sim, 6) for domain, sim in best}

    def nearest_names(self, header: str, k: int = 5) -> dict[str, float]:
        """The ``k`` domains nearest the header, with cosine similarities."""
        return self._rank(self.name, name_vector(header), k)

    def nearest_values(self, values: Sequence[str | None], k: int = 5) -> dict[str, float]:
        """The ``k`` domains whose example shapes are nearest the values' shapes."""
        return self._rank(self.value, value_vector(values), k)


class Assignment(BaseModel):
    """The domain decision for one column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    domain_id: str | None  # None when unknown
    score: float
    band: Band
    decision: Decision
    candidates: tuple[Candidate, ...]


def assign_columns(
    columns: Sequence[tuple[str, Sequence[str | None] | None]],
    mode: Mode,
    catalog: DomainCatalog,
    centroids: Centroids,
    *,
    tau_high: float,
    tau_low: float,
    weights: ScoreWeights | None = None,
    top_k: int = 5,
) -> list[Assignment]:
    """One ``Assignment`` per ``(header, sample values)`` column. In ``metadata_only`` the values
    are never read (pass None)."""
    out = []
    for header, values in columns:
        evidence = column_evidence(header, values, mode, catalog)
        value_sims = centroids.nearest_values(values or [], top_k) if mode == "data_mode" else None
        ranked = score_candidates(
            evidence,
            catalog,
            name_sims=centroids.nearest_names(header, top_k),
            value_sims=value_sims,
            weights=weights,
            tau_high=tau_high,
            tau_low=tau_low,
            top_k=top_k,
        )
        best = ranked[0] if ranked else None
        chosen: Band = best.band if best else "low"
        out.append(
            Assignment(
                column=header,
                domain_id=best.domain_id if best and chosen != "low" else None,
                score=best.score if best else 0.0,
                band=chosen,
                decision=_DECISION[chosen],
                candidates=tuple(ranked),
            )
        )
    return out
