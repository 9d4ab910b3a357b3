"""Scoring a column's candidate domains from its evidence (§10), and the confidence bands.

For each candidate domain the score is

    score = alpha * name_sim + beta * regex_strength + gamma * value_sim + epsilon * unit_compat

over the evidence the mode allows: in ``metadata_only`` there are no values, so ``beta`` and
``gamma`` drop out and the remaining weights are renormalised to sum to 1 (a header-only score
is on the same 0-1 scale). Each term is in [0, 1]:

- ``name_sim``: 1.0 when the header is one of the domain's aliases (``alias_key`` equal, as
  written or with abbreviations expanded), else the cosine similarity of the header's vector to
  the domain's name centroid (``specialists.domains.vectors``), floored at 0;
- ``regex_strength``: the share of sample values matching the domain's regex (0 without one);
- ``value_sim``: cosine of the values' shape vector to the domain's value centroid;
- ``unit_compat``: 1.0 when a unit cue of the column is one of the domain's units, 0.0 when the
  column has a unit the domain does not take, 0.5 otherwise (no cue: no evidence either way).

A header word among the domain's ``negatives`` halves the score (``vendor_name`` is no person).

Bands: ``high`` at or above ``tau_high`` (assign), ``borderline`` between, ``low`` below
``tau_low`` (unknown). The score is a raw score until the eval calibrates it on the golden sets
(issue 7); ``ScoreWeights`` are the defaults until the Threshold Profile carries them. With
these raw weights values alone (an uninformative header) reach at most 0.5, below ``tau_low``:
calibration decides whether that is right.

>>> ScoreWeights().for_mode("metadata_only")
ScoreWeights(alpha=0.818182, beta=0.0, gamma=0.0, epsilon=0.181818)
>>> band(0.9, tau_high=0.82, tau_low=0.55), band(0.6, 0.82, 0.55), band(0.2, 0.82, 0.55)
('high', 'borderline', 'low')
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.contract import Mode
from specialists.domains.catalog import Domain, DomainCatalog, alias_key
from specialists.domains.evidence import ColumnEvidence, header_tokens

__all__ = ["Band", "Candidate", "ScoreWeights", "band", "score_candidates"]

Band = Literal["high", "borderline", "low"]


@dataclass(frozen=True)
class ScoreWeights:
    """The weights of the four evidence terms (they sum to 1)."""

    alpha: float = 0.45  # name
    beta: float = 0.25  # regex
    gamma: float = 0.2  # value shapes
    epsilon: float = 0.1  # units

    def for_mode(self, mode: Mode) -> ScoreWeights:
        """The weights with the terms ``mode`` has no evidence for dropped, renormalised."""
        if mode == "data_mode":
            return self
        total = self.alpha + self.epsilon
        return ScoreWeights(round(self.alpha / total, 6), 0.0, 0.0, round(self.epsilon / total, 6))


class Candidate(BaseModel):
    """One candidate domain of a column, with the terms its score is made of."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain_id: str
    score: float
    band: Band
    name_sim: float
    regex_strength: float | None
    value_sim: float | None
    unit_compat: float
    alias_match: bool
    negated: bool


def band(score: float, tau_high: float, tau_low: float) -> Band:
    """The confidence band of a score."""
    if score >= tau_high:
        return "high"
    return "borderline" if score >= tau_low else "low"


@functools.lru_cache(maxsize=8192)
def _keys(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(alias_key(p) for p in phrases)


def _alias_match(evidence: ColumnEvidence, domain: Domain) -> bool:
    keys = _keys(domain.aliases)
    return (
        alias_key(" ".join(evidence.words)) in keys or alias_key(" ".join(evidence.tokens)) in keys
    )


@functools.lru_cache(maxsize=8192)
def _alias_words(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Each alias as its words, with abbreviations spelled out (as header tokens are)."""
    return tuple(sorted({header_tokens(p) for p in phrases if header_tokens(p)}, key=len))


def _contains_run(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


def alias_cover(evidence: ColumnEvidence, domain: Domain) -> float:
    """How much of the header one of the domain's aliases makes up, when the header holds the
    alias's words in a row (``Mailing City`` holds ``City``: 0.5); 0.0 when none is held.

    A partial alias is weaker evidence than the whole header being one, and a longer alias
    covering more of the header is stronger: ``name_sim`` takes ``0.6 + 0.3 * cover``.
    """
    best = 0.0
    for words in (evidence.tokens, evidence.words):
        if not words:
            continue
        for alias in _alias_words(domain.aliases):
            if len(alias) < len(words) and _contains_run(words, alias):
                best = max(best, len(alias) / len(words))
    return round(best, 6)


def _unit_compat(evidence: ColumnEvidence, domain: Domain) -> float:
    cues = {c.unit for c in evidence.units.cues}
    units = set(domain.units)
    if cues and units:
        return 1.0 if cues & units else 0.0
    if cues:
        return 0.0
    return 0.5


def _negated(evidence: ColumnEvidence, domain: Domain) -> bool:
    negatives = _keys(domain.negatives)
    words = _keys((*evidence.words, *evidence.tokens))
    return bool(negatives & words)


def score_candidates(
    evidence: ColumnEvidence,
    catalog: DomainCatalog,
    *,
    name_sims: Mapping[str, float],
    value_sims: Mapping[str, float] | None = None,
    weights: ScoreWeights | None = None,
    tau_high: float,
    tau_low: float,
    top_k: int = 5,
) -> Sequence[Candidate]:
    """The column's best ``top_k`` candidates, best first (ties by domain id).

    Args:
        evidence: the column's evidence (its mode decides which terms count).
        catalog: the pinned Domain Catalog.
        name_sims: cosine similarity per domain id of the header to the name centroids (the
            ``nearest`` candidates; a domain left out counts 0 unless an alias matches).
        value_sims: the same for the value centroids (``data_mode``).
        weights: the term weights (``ScoreWeights()`` by default).
        tau_high: the profile's assignment threshold.
        tau_low: the profile's unknown threshold.
        top_k: how many candidates to return.
    """
    w = (weights or ScoreWeights()).for_mode(evidence.mode)
    data = evidence.mode == "data_mode"
    hits = evidence.regex_hits or {}
    values = value_sims or {}
    scored = []
    for domain in catalog.domains:
        alias = _alias_match(evidence, domain)
        cover = 0.0 if alias else alias_cover(evidence, domain)
        name = 1.0 if alias else max(0.0, name_sims.get(domain.id, 0.0))
        if cover:
            name = max(name, round(0.6 + 0.3 * cover, 6))
        unit = _unit_compat(evidence, domain)
        named_unit = unit == 1.0 and domain.group == "quantity"
        if named_unit:  # a header naming a unit of measure names a quantity of its dimension
            name = max(name, 0.6)
        if (
            not (alias or cover or named_unit)
            and domain.id not in name_sims
            and domain.id not in values
        ):
            continue  # never retrieved: not a candidate
        regex = hits.get(domain.id, 0.0) if data else None
        value = max(0.0, values.get(domain.id, 0.0)) if data else None
        negated = _negated(evidence, domain)
        total = w.alpha * name + w.beta * (regex or 0.0) + w.gamma * (value or 0.0)
        total += w.epsilon * unit
        if negated:
            total /= 2
        total = round(min(1.0, total), 6)
        scored.append(
            Candidate(
                domain_id=domain.id,
                score=total,
                band=band(total, tau_high, tau_low),
                name_sim=round(name, 6),
                regex_strength=regex,
                value_sim=None if value is None else round(value, 6),
                unit_compat=unit,
                alias_match=alias,
                negated=negated,
            )
        )
    scored.sort(key=lambda c: (-c.score, c.domain_id))
    return scored[:top_k]
