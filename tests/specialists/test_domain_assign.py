"""Domain decisions per column, and the in-memory centroids agreeing with pgvector's ranking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.db import Database
from specialists.domains.assign import Centroids, assign_columns
from specialists.domains.catalog import DomainCatalog, catalog_hash, load_catalog
from specialists.domains.vectors import name_vector, nearest, store_centroids, value_vector

TAUS = {"tau_high": 0.82, "tau_low": 0.55}


@pytest.fixture(scope="module")
def catalog() -> DomainCatalog:
    return load_catalog()


@pytest.fixture(scope="module")
def centroids(catalog: DomainCatalog) -> Centroids:
    return Centroids.of(catalog)


class _Untouchable:
    """A sample that fails the test if anything reads it."""

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("metadata_only read the values")

    def __len__(self) -> int:
        raise AssertionError("metadata_only read the values")

    def __getitem__(self, index: object) -> str:
        raise AssertionError("metadata_only read the values")


def test_headers_get_decisions_by_band(catalog: DomainCatalog, centroids: Centroids) -> None:
    headers = ["Posting Date", "vendorName", "INVOICE_NO", "qwzzkt_7"]
    got = assign_columns([(h, None) for h in headers], "metadata_only", catalog, centroids, **TAUS)
    assert [(a.domain_id, a.decision) for a in got] == [
        ("finance.posting_date", "assign"),
        ("finance.vendor_name", "assign"),
        ("finance.invoice_number", "assign"),
        (None, "unknown"),
    ]
    assert all(a.candidates[0].score == a.score for a in got if a.candidates)


def test_metadata_only_never_reads_values(catalog: DomainCatalog, centroids: Centroids) -> None:
    sample = _Untouchable()
    [got] = assign_columns([("email", sample)], "metadata_only", catalog, centroids, **TAUS)  # type: ignore[list-item]
    assert got.domain_id == "contact.email"
    assert got.candidates[0].regex_strength is None and got.candidates[0].value_sim is None


def test_values_count_in_data_mode(catalog: DomainCatalog, centroids: Centroids) -> None:
    values = ["ana@example.org", "bo@example.com", None, "cy@example.net"]
    [got] = assign_columns([("contact", values)], "data_mode", catalog, centroids, **TAUS)
    top = got.candidates[0]
    assert top.domain_id == "contact.email" and top.regex_strength == 1.0
    assert top.value_sim is not None and top.value_sim > 0.5


def test_in_memory_ranking_equals_pgvector(
    db: Database, catalog: DomainCatalog, centroids: Centroids
) -> None:
    digest = catalog_hash(catalog)
    with db.begin() as conn:
        store_centroids(conn, catalog, digest)
    with db.connect() as conn:
        for header in ["posting_date", "Betrag", "cust_nbr", "tenant"]:
            sql = nearest(conn, digest, "name", name_vector(header), 5)
            memory = centroids.nearest_names(header, 5)
            assert [d for d, _ in sql] == list(memory), header
            assert all(abs(s - memory[d]) < 1e-4 for d, s in sql)
        values = ["2026-05-04", "2025-12-31"]
        sql = nearest(conn, digest, "value", value_vector(values), 5)
        assert [d for d, _ in sql] == list(centroids.nearest_values(values, 5))
