"""Catalog and Sample Pack: types and statistics without values, deterministic masked samples."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from core.canonical import content_hash
from core.contract import SampleCaps
from core.errors import PolicyBlock
from policy.manifest import current_manifest
from specialists.ingest.catalog import catalog_table
from specialists.ingest.files import read_file, sniff
from specialists.ingest.sample import sample_pack

EXAMPLE = Path(__file__).parents[2] / "examples" / "bank_transactions" / "transactions.csv"
KEY = b"k" * 32
CAPS = SampleCaps(rows_max=25, bytes_max=1_000_000)


def _example() -> tuple[pl.DataFrame, list[str]]:
    result = read_file(EXAMPLE, sniff(EXAMPLE))
    return result.frame, result.source_headers


def test_the_catalog_infers_types_and_keys_and_carries_no_value() -> None:
    frame, sources = _example()
    catalog = catalog_table("transactions", frame, sources)
    by = {c.name: c for c in catalog.columns}
    assert catalog.rows == 60
    assert by["transaction_id"].unique and by["transaction_id"].type == "string"
    assert by["posted_date"].type == "date"
    assert by["payee_email"].source_name == "Payee Email"
    text = catalog.model_dump_json()
    for value in frame.get_column("payee_email").to_list()[:10]:
        assert value not in text


def test_the_sample_pack_is_deterministic_and_masked() -> None:
    frame, sources = _example()
    catalog = catalog_table("transactions", frame, sources)
    manifest = current_manifest()
    one = sample_pack(
        manifest, mode="data_mode", frame=frame, catalog=catalog, caps=CAPS, seed=7, key=KEY
    )
    two = sample_pack(
        manifest, mode="data_mode", frame=frame, catalog=catalog, caps=CAPS, seed=7, key=KEY
    )
    other = sample_pack(
        manifest, mode="data_mode", frame=frame, catalog=catalog, caps=CAPS, seed=8, key=KEY
    )
    assert content_hash(one.model_dump()) == content_hash(two.model_dump())
    assert content_hash(one.model_dump()) != content_hash(other.model_dump())
    assert one.rows == 25 and one.rows_available == 60
    assert one.strategy == "date:posted_date"
    emails = set(frame.get_column("payee_email").to_list())
    assert not emails & set(one.columns["payee_email"])
    assert one.masking["payee_email"].entity == "EMAIL_ADDRESS"


def test_the_sample_spans_the_months() -> None:
    frame = pl.DataFrame(
        {
            "id": [str(i) for i in range(120)],
            "day": [f"2026-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 11)],
        }
    )
    catalog = catalog_table("t", frame, ["id", "day"])
    pack = sample_pack(
        current_manifest(),
        mode="data_mode",
        frame=frame,
        catalog=catalog,
        caps=SampleCaps(rows_max=12, bytes_max=10_000),
        seed=1,
        key=KEY,
    )
    months = {str(v)[:7] for v in pack.columns["day"]}
    assert len(months) == 12


def test_metadata_only_has_no_sample_pack() -> None:
    frame, sources = _example()
    catalog = catalog_table("transactions", frame, sources)
    with pytest.raises(PolicyBlock):
        sample_pack(
            current_manifest(),
            mode="metadata_only",
            frame=frame,
            catalog=catalog,
            caps=CAPS,
            seed=1,
            key=KEY,
        )


def test_bytes_cap_bounds_the_sample() -> None:
    frame, sources = _example()
    catalog = catalog_table("transactions", frame, sources)
    pack = sample_pack(
        current_manifest(),
        mode="data_mode",
        frame=frame,
        catalog=catalog,
        caps=SampleCaps(rows_max=60, bytes_max=1_000),
        seed=1,
        key=KEY,
    )
    assert 0 < pack.rows < 60
