"""Assigning domains to columns: evidence, candidates, scores, a decision per column (§10).

The cascade of the hybrid engine: exact rules (an alias names the header) and similarity (name
and value centroids, regex hit rates, unit cues) give a score per candidate
(``specialists.domains.score``); the best candidate's band decides:

- **high**: assign, with the candidate's terms as the rationale;
- **borderline**: hold for a person (a discovery prompt through the adapters comes when a
  provider is configured: not yet);
- **low**: unknown.

The band is read off the *confidence*: the best raw score through the mode's
:class:`~specialists.domains.calibration.Calibration` (the identity when none is given), so
``tau_high`` is a probability of being right. Two more cues adjust a candidate's raw score before
that, both halving it like a negative word does:

- **type**: a column whose type cannot hold the domain's values (a ``date`` column is no
  person's name; an ``integer`` column is no date) -- the Catalog's inferred type for a source
  column, the declared type for a target column;
- **masking**: a value the Policy Engine masked (``entity`` is the entity it found) no longer
  has its shape, so its regex and value evidence are replaced by the entity: domains whose
  ``pii`` is that entity match fully, the others not at all.

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
from specialists.domains.calibration import Calibration
from specialists.domains.catalog import DomainCatalog
from specialists.domains.evidence import column_evidence
from specialists.domains.score import Band, Candidate, ScoreWeights, band, score_candidates
from specialists.domains.vectors import centroids_of, name_vector, value_vector

__all__ = ["Assignment", "Centroids", "ColumnInput", "Decision", "assign_columns", "type_fits"]

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


@dataclass(frozen=True)
class ColumnInput:
    """What domaining knows of one column besides the catalog."""

    header: str
    values: Sequence[str | None] | None = None  # the (masked) sample, data_mode only
    type: str | None = None  # Catalog type of a source column, declared type of a target column
    entity: str | None = None  # the entity the Policy Engine masked the values as
    description: str = ""  # a target column's description


#: Which column types can hold a domain's values (by value_type). ``string`` holds anything.
_HOLDS: dict[str, frozenset[str]] = {
    "date": frozenset({"date", "timestamp"}),
    "timestamp": frozenset({"date", "timestamp"}),
    "integer": frozenset({"integer", "decimal", "string", "boolean"}),
    "decimal": frozenset({"integer", "decimal"}),
    "float": frozenset({"integer", "decimal"}),
    "boolean": frozenset({"boolean", "string", "integer"}),
}


def type_fits(column_type: str | None, value_type: str) -> bool:
    """Whether a column of ``column_type`` can hold values of a domain's ``value_type``.

    >>> type_fits("date", "string"), type_fits("integer", "string"), type_fits("string", "date")
    (False, True, True)
    >>> type_fits("decimal(12,2)", "decimal"), type_fits(None, "date")
    (True, True)
    """
    if column_type is None:
        return True
    family = column_type.split("(")[0]
    if family == "string":
        return True
    return value_type in _HOLDS.get(family, frozenset({value_type}))


class Assignment(BaseModel):
    """The domain decision for one column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    domain_id: str | None  # the best candidate; None when the band is low (unknown)
    score: float  # the best candidate's raw score
    confidence: float  # the score calibrated: the probability the domain is right
    band: Band
    decision: Decision
    rationale: str
    candidates: tuple[Candidate, ...]


def _rationale(best: Candidate | None, chosen: Band) -> str:
    if best is None:
        return "no candidate domain"
    terms = []
    if best.alias_match:
        terms.append("the header is one of its aliases")
    elif best.name_sim:
        terms.append(f"header similarity {best.name_sim:.2f}")
    if best.regex_strength:
        terms.append(f"{best.regex_strength:.0%} of values match its pattern")
    if best.value_sim:
        terms.append(f"value shapes {best.value_sim:.2f}")
    if best.unit_compat == 1.0:
        terms.append("units agree")
    if best.negated:
        terms.append("a header word rules it out (halved)")
    verb = {"high": "assigned", "borderline": "held for a person", "low": "left unknown"}[chosen]
    return f"{best.domain_id} {verb}: " + ", ".join(terms or ["weak evidence"])


def assign_columns(
    columns: Sequence[ColumnInput | tuple[str, Sequence[str | None] | None]],
    mode: Mode,
    catalog: DomainCatalog,
    centroids: Centroids,
    *,
    tau_high: float,
    tau_low: float,
    weights: ScoreWeights | None = None,
    calibration: Calibration | None = None,
    top_k: int = 5,
) -> list[Assignment]:
    """One ``Assignment`` per column. In ``metadata_only`` the values are never read (pass
    None): no regex hits, value vectors or sketches are computed."""
    calibrate = calibration or Calibration(())
    types = {d.id: d.value_type for d in catalog.domains}
    pii = {d.id: d.pii for d in catalog.domains}
    out = []
    for column in columns:
        col = column if isinstance(column, ColumnInput) else ColumnInput(*column)
        data = mode == "data_mode"
        masked = data and col.entity is not None
        values = None if masked or not data else col.values
        evidence = column_evidence(col.header, values if data else None, mode, catalog)
        if masked:
            hits = {d: 1.0 for d, entity in pii.items() if entity == col.entity}
            evidence = evidence.model_copy(update={"regex_hits": hits, "sketch": None})
        value_sims = centroids.nearest_values(values or [], top_k) if data and not masked else None
        if masked:  # retrieve the entity's domains, whatever the header says
            value_sims = {d: 0.0 for d, entity in pii.items() if entity == col.entity}
        name_sims = centroids.nearest_names(col.header, top_k)
        if col.description:
            for domain, sim in centroids.nearest_names(col.description, top_k).items():
                name_sims[domain] = max(name_sims.get(domain, 0.0), round(sim * 0.9, 6))
        ranked = score_candidates(
            evidence,
            catalog,
            name_sims=name_sims,
            value_sims=value_sims,
            weights=weights,
            tau_high=tau_high,
            tau_low=tau_low,
            top_k=len(catalog.domains),
        )
        adjusted = []
        for candidate in ranked:
            if not type_fits(col.type, types[candidate.domain_id]):
                candidate = candidate.model_copy(update={"score": round(candidate.score / 2, 6)})
            adjusted.append(candidate)
        adjusted.sort(key=lambda c: (-c.score, c.domain_id))
        top = adjusted[:top_k]
        best = top[0] if top else None
        confidence = calibrate(best.score) if best else 0.0
        chosen: Band = band(confidence, tau_high, tau_low)
        out.append(
            Assignment(
                column=col.header,
                domain_id=best.domain_id if best and chosen != "low" else None,
                score=best.score if best else 0.0,
                confidence=confidence,
                band=chosen,
                decision=_DECISION[chosen],
                rationale=_rationale(best, chosen),
                candidates=tuple(top),
            )
        )
    return out
