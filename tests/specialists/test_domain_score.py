"""Candidate scores and bands from a column's evidence (header-only in metadata_only)."""

from __future__ import annotations

import pytest

from specialists.domains.assign import Centroids
from specialists.domains.catalog import DomainCatalog, load_catalog
from specialists.domains.evidence import column_evidence
from specialists.domains.score import ScoreWeights, band, score_candidates
from specialists.domains.vectors import cosine, value_vector

TAU_HIGH, TAU_LOW = 0.82, 0.55


@pytest.fixture(scope="module")
def catalog() -> DomainCatalog:
    return load_catalog()


def _sims(catalog: DomainCatalog, header: str, k: int = 5) -> dict[str, float]:
    """Name similarities to the k nearest centroids (what ``nearest`` returns)."""
    return Centroids.of(catalog).nearest_names(header, k)


def _best(catalog: DomainCatalog, header: str, values: list[str] | None = None) -> list:
    mode = "data_mode" if values is not None else "metadata_only"
    evidence = column_evidence(header, values, mode, catalog)
    value_sims = None
    if values is not None:
        vv = value_vector(values)
        value_sims = {
            d.id: cosine(vv, value_vector(list(d.examples))) for d in catalog.domains if d.examples
        }
    return list(
        score_candidates(
            evidence,
            catalog,
            name_sims=_sims(catalog, header),
            value_sims=value_sims,
            tau_high=TAU_HIGH,
            tau_low=TAU_LOW,
        )
    )


@pytest.mark.parametrize(
    ("header", "domain"),
    [
        ("Email", "contact.email"),
        ("Posting Date", "finance.posting_date"),
        ("Vendor Name", "finance.vendor_name"),
        ("Invoice Number", "finance.invoice_number"),
    ],
)
def test_an_alias_header_is_high_in_metadata_only(
    catalog: DomainCatalog, header: str, domain: str
) -> None:
    [first, second, *_] = _best(catalog, header)
    assert first.domain_id == domain and first.alias_match and first.band == "high"
    assert first.regex_strength is None and first.value_sim is None  # no values in this mode
    assert second.score < first.score


def test_values_raise_a_weak_header_in_data_mode(catalog: DomainCatalog) -> None:
    header_only = {c.domain_id: c for c in _best(catalog, "contact_field")}
    with_values = {
        c.domain_id: c
        for c in _best(catalog, "contact_field", ["ana@example.org", "bo@example.com"] * 5)
    }
    assert with_values["contact.email"].regex_strength == 1.0
    before = header_only["contact.email"].score if "contact.email" in header_only else 0.0
    assert with_values["contact.email"].score > before >= 0.0
    assert max(with_values.values(), key=lambda c: c.score).domain_id == "contact.email"


def test_a_negative_word_halves_the_score(catalog: DomainCatalog) -> None:
    [first, *_] = _best(catalog, "vendor_name")
    person = next(
        (c for c in _best(catalog, "vendor_name") if c.domain_id == "person.full_name"), None
    )
    assert first.domain_id == "finance.vendor_name"
    assert person is None or (person.negated and person.score < TAU_LOW)


def test_an_unknown_header_is_low(catalog: DomainCatalog) -> None:
    ranked = _best(catalog, "zzqx_flurb")
    assert all(c.band == "low" for c in ranked)


def test_weights_renormalise_without_values() -> None:
    w = ScoreWeights().for_mode("metadata_only")
    assert w.beta == w.gamma == 0.0 and abs(w.alpha + w.epsilon - 1.0) < 1e-5
    assert ScoreWeights().for_mode("data_mode") == ScoreWeights()


def test_bands_follow_the_thresholds() -> None:
    assert band(TAU_HIGH, TAU_HIGH, TAU_LOW) == "high"
    assert band(TAU_LOW, TAU_HIGH, TAU_LOW) == "borderline"
    assert band(TAU_LOW - 1e-9, TAU_HIGH, TAU_LOW) == "low"


def test_scores_are_deterministic(catalog: DomainCatalog) -> None:
    assert _best(catalog, "Posting Dt", ["2026-05-04"]) == _best(
        catalog, "Posting Dt", ["2026-05-04"]
    )
