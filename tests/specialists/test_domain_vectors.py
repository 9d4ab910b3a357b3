"""Name and value centroids of the Domain Catalog in pgvector, and nearest-domain candidates."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import Database
from specialists.domains.catalog import catalog_hash, load_catalog
from specialists.domains.vectors import (
    DIM,
    EMBEDDER,
    name_vector,
    nearest,
    store_centroids,
    value_vector,
)


@pytest.fixture(scope="module")
def stored(db: Database) -> str:
    catalog = load_catalog()
    digest = catalog_hash(catalog)
    with db.begin() as conn:
        store_centroids(conn, catalog, digest)
    return digest


def test_every_domain_gets_a_name_centroid_once(db: Database, stored: str) -> None:
    catalog = load_catalog()
    with db.begin() as conn:
        assert store_centroids(conn, catalog, stored) == 0  # already there: nothing written
        rows = conn.execute(
            text(
                "SELECT kind, count(*), min(vector_dims(centroid)) FROM domain_centroids"
                " WHERE catalog_hash = :h AND embedder = :e GROUP BY kind ORDER BY kind"
            ),
            {"h": stored, "e": EMBEDDER},
        ).all()
    with_examples = sum(1 for d in catalog.domains if d.examples)
    assert [tuple(r) for r in rows] == [
        ("name", len(catalog.domains), DIM),
        ("value", with_examples, DIM),
    ]


@pytest.mark.parametrize(
    ("header", "domain"),
    [
        ("posting_date", "finance.posting_date"),
        ("PostingDate", "finance.posting_date"),
        ("Email Address", "contact.email"),
        ("vendor_name", "finance.vendor_name"),
        ("Invoice No", "finance.invoice_number"),
        ("GL Account", "finance.gl_account_code"),
        ("Debit", "finance.debit"),
        ("credit_amt", "finance.credit"),
        ("check_number", "finance.check_number"),
        ("unit_id", "finance.unit_id"),
        ("IBAN", "identifier.iban"),
        ("Vorname", "person.given_name"),  # German
        ("Betrag", "money.amount"),  # German
        ("apellido", "person.family_name"),  # Spanish
    ],
)
def test_a_header_is_nearest_its_domain(
    db: Database, stored: str, header: str, domain: str
) -> None:
    with db.connect() as conn:
        ranked = nearest(conn, stored, "name", name_vector(header), k=3)
    assert ranked[0][0] == domain, ranked
    assert ranked[0][1] > ranked[1][1]  # a real margin, not a tie
    assert all(-1.0 <= s <= 1.0 for _, s in ranked)


def test_value_shapes_find_their_domains(db: Database, stored: str) -> None:
    with db.connect() as conn:
        emails = nearest(conn, stored, "value", value_vector(["ana@example.org", "b.o@x.io"]), 3)
        ibans = nearest(conn, stored, "value", value_vector(["DE89370400440532013000"]), 3)
    assert emails[0][0] == "contact.email"
    assert ibans[0][0] == "identifier.iban"


def test_no_words_no_values_or_another_catalog_give_no_candidates(
    db: Database, stored: str
) -> None:
    with db.connect() as conn:
        assert nearest(conn, stored, "name", name_vector("___ ---"), 3) == []
        assert nearest(conn, stored, "value", value_vector([None, ""]), 3) == []
        assert nearest(conn, "0" * 64, "name", name_vector("email"), 3) == []


def test_hostile_headers_are_cut_not_refused() -> None:
    long = name_vector("amount" + "x" * 100_000)
    assert len(long) == DIM and long == name_vector("amount" + "x" * 194)
    assert len(value_vector(["9" * 1_000_000])) == DIM
    assert name_vector("\x00amount\x07\r\n") == name_vector("amount")
