"""Domain Assignments v1 from the Ingest bodies: what each mode reads, stores and decides."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from core.contract import Mode, parse_contract
from core.profiles import bundled_profiles
from core.target_schema import TargetSchema, parse_target_schema
from evals.golden_cases import GOLDEN, case_contract, load_case
from policy.manifest import current_manifest
from specialists.domains import evidence, sketch
from specialists.domains.catalog import load_catalog
from specialists.domains.run import DomainSettings, domain_assignments
from specialists.domains.sketch import ValueSketch
from specialists.ingest.run import file_bodies

KEY = b"k" * 32
Bodies = tuple[dict[str, Any], dict[str, Any]]
# Values distinctive enough that finding them in the stored body can only mean they leaked.
CSV = """\
Customer Email,Posting Date,Amount,field_7,Memo
ann@example.org,2024-01-03,4817.63,zed@example.net,Quarterly retainer Zanzibar
bob@example.com,2024-02-04,9321.07,quinn@example.org,Freight Kilimanjaro
cy@example.net,2024-03-05,1570.44,ray@example.com,Invoice Popocatepetl
"""
VALUES = ["4817.63", "9321.07", "2024-01-03", "Zanzibar", "Kilimanjaro", "EMAIL_ADDRESS_"]
TARGET = parse_target_schema(
    {
        "table": "payments",
        "columns": [
            {"name": "payer_email", "type": "string", "description": "the payer's e-mail address"},
            {"name": "posting_date", "type": "date"},
            {"name": "amount", "type": "decimal(12,2)", "description": "amount in dollars"},
        ],
    }
)


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> Bodies:
    """The real Catalog and masked Sample Pack bodies Ingest makes of CSV."""
    folder = tmp_path_factory.mktemp("src")
    (folder / "payments.csv").write_text(CSV, encoding="utf-8")
    doc = case_contract(load_case(GOLDEN / "bank_chase_checking"), mode="data_mode")
    doc["lhs"]["location"] = str(folder / "payments.csv")
    catalog_body, sample_body = file_bodies(parse_contract(doc), current_manifest(), KEY, folder)
    assert sample_body is not None
    return catalog_body, sample_body


def _settings() -> DomainSettings:
    [profile] = [p for p in bundled_profiles() if p.profile_id == "tp_default_v2"]
    return DomainSettings.of(profile)


def _run(
    catalog_body: dict[str, Any],
    sample_body: dict[str, Any] | None,
    mode: Mode,
    target: TargetSchema | None = TARGET,
) -> dict[str, Any]:
    return domain_assignments(catalog_body, sample_body, target, mode, load_catalog(), _settings())


def _by_column(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["column"]: r for r in records}


def _no_sketch(values: Sequence[str | None], mode: Mode) -> None:
    raise AssertionError("a value sketch was computed")


def test_the_fixture_sample_holds_the_values_and_masks_the_emails(bodies: Bodies) -> None:
    # what the tests below rely on: the Sample Pack carries the values they look for
    _, sample_body = bodies
    pack = sample_body["tables"][0]
    assert "4817.63" in pack["columns"]["amount"]
    assert pack["masking"]["field_7"] == {
        "mode": "whole",
        "entity": "EMAIL_ADDRESS",
        "evidence": pack["masking"]["field_7"]["evidence"],
    }


def test_data_mode_computes_value_sketches_through_the_patched_name(
    bodies: Bodies, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The metadata_only test below patches these names; this shows the patch would be hit.
    calls: list[int] = []
    real = evidence.value_sketch

    def counting(values: Sequence[str | None], mode: Mode) -> ValueSketch | None:
        calls.append(len(values))
        return real(values, mode)

    monkeypatch.setattr(evidence, "value_sketch", counting)
    _run(*bodies, "data_mode")
    assert calls


def test_metadata_only_reads_no_values_and_stores_none(
    bodies: Bodies, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog_body, sample_body = bodies
    monkeypatch.setattr(evidence, "value_sketch", _no_sketch)
    monkeypatch.setattr(sketch, "value_sketch", _no_sketch)
    # even handed the Sample Pack, metadata_only must not read it
    for sample in (None, sample_body):
        body = _run(catalog_body, sample, "metadata_only")
        text = json.dumps(body)
        for value in VALUES:
            assert value not in text
        assert '"sketch"' not in text
        assert body["mode"] == "metadata_only"
        assert all(r["evidence"]["masked_as"] is None for r in body["source"])
        assert all(
            r["candidates"] and r["candidates"][0]["regex_strength"] is None for r in body["source"]
        )
        assert all(c["value_sim"] is None for r in body["source"] for c in r["candidates"])


def test_metadata_only_is_the_same_with_or_without_the_sample(bodies: Bodies) -> None:
    catalog_body, sample_body = bodies
    assert _run(catalog_body, sample_body, "metadata_only") == _run(
        catalog_body, None, "metadata_only"
    )


def test_data_mode_stores_no_sample_values(bodies: Bodies) -> None:
    text = json.dumps(_run(*bodies, "data_mode"))
    for value in VALUES:
        assert value not in text
    assert '"sketch"' not in text


def test_a_column_masked_whole_as_email_is_an_email(bodies: Bodies) -> None:
    source = _by_column(_run(*bodies, "data_mode")["source"])
    record = source["field_7"]  # a header that says nothing: only the masking does
    assert record["evidence"]["masked_as"] == "EMAIL_ADDRESS"
    assert record["candidates"][0]["domain_id"] == "contact.email"
    assert record["candidates"][0]["regex_strength"] == 1.0
    assert source["Customer Email"]["candidates"][0]["domain_id"] == "contact.email"


def test_the_masking_entity_decides_not_the_values(bodies: Bodies) -> None:
    # The same column masked whole as a phone number is no longer an e-mail.
    catalog_body, sample_body = bodies
    sample = copy.deepcopy(sample_body)
    sample["tables"][0]["masking"]["field_7"]["entity"] = "PHONE_NUMBER"
    record = _by_column(_run(catalog_body, sample, "data_mode")["source"])["field_7"]
    assert record["evidence"]["masked_as"] == "PHONE_NUMBER"
    assert record["candidates"][0]["domain_id"] != "contact.email"


def test_a_hand_built_pack_masked_whole_is_read_as_its_entity() -> None:
    catalog_body = {
        "version": 1,
        "tables": [
            {
                "table": {
                    "name": "t",
                    "columns": [{"name": "c9", "source_name": "c9", "type": "string"}],
                }
            }
        ],
    }
    sample_body = {
        "version": 1,
        "tables": [
            {
                "table": "t",
                "columns": {"c9": ["EMAIL_ADDRESS_AAAA", "EMAIL_ADDRESS_BBBB"]},
                "masking": {"c9": {"mode": "whole", "entity": "EMAIL_ADDRESS", "evidence": "x"}},
            }
        ],
    }
    [record] = _run(catalog_body, sample_body, "data_mode", target=None)["source"]
    assert record["table"] == "t"
    assert record["candidates"][0]["domain_id"] == "contact.email"
    [meta] = _run(catalog_body, sample_body, "metadata_only", target=None)["source"]
    assert meta["evidence"]["masked_as"] is None


@pytest.mark.parametrize("mode", ["metadata_only", "data_mode"])
def test_target_columns_get_assignments(bodies: Bodies, mode: Mode) -> None:
    body = _run(*bodies, mode)
    target = body["target"]
    assert [r["column"] for r in target] == ["payer_email", "posting_date", "amount"]
    assert {r["table"] for r in target} == {"payments"}
    by = _by_column(target)
    assert by["payer_email"]["candidates"][0]["domain_id"] == "contact.email"
    assert by["posting_date"]["candidates"][0]["domain_id"] == "finance.posting_date"
    assert by["posting_date"]["evidence"] == {"type": "date", "masked_as": None}
    assert by["amount"]["evidence"]["type"] == "decimal(12,2)"
    for record in target:
        assert record["band"] in ("high", "borderline", "low")
        assert (record["domain_id"] is None) == (record["band"] == "low")
    # the target is scored as metadata: the same in either mode
    assert target == _run(*bodies, "metadata_only")["target"]


def test_without_a_target_there_are_no_target_assignments(bodies: Bodies) -> None:
    body = _run(*bodies, "data_mode", target=None)
    assert body["target"] == []
    assert body["summary"]["target_columns"] == 0


@pytest.mark.parametrize("mode", ["metadata_only", "data_mode"])
def test_the_summary_counts_the_records(bodies: Bodies, mode: Mode) -> None:
    body = _run(*bodies, mode)
    source, summary = body["source"], body["summary"]
    assert [r["column"] for r in source] == [
        "Customer Email",
        "Posting Date",
        "Amount",
        "field_7",
        "Memo",
    ]
    bands = [r["band"] for r in source]
    assert summary == {
        "columns": 5,
        "high": bands.count("high"),
        "borderline": bands.count("borderline"),
        "low": bands.count("low"),
        "target_columns": 3,
    }
    assert summary["high"] + summary["borderline"] + summary["low"] == summary["columns"]
    decisions = {"high": "assign", "borderline": "hold", "low": "unknown"}
    assert all(r["decision"] == decisions[r["band"]] for r in source)


def test_the_body_records_what_it_was_made_with(bodies: Bodies) -> None:
    body = _run(*bodies, "data_mode")
    settings = _settings()
    assert body["version"] == 1
    assert body["catalog"]["version"] == load_catalog().version
    assert body["settings"]["tau_high"] == settings.tau_high
    assert body["settings"]["tau_low"] == settings.tau_low
    assert body["calibration"] != _run(*bodies, "metadata_only")["calibration"]


@pytest.mark.parametrize("mode", ["metadata_only", "data_mode"])
def test_the_output_is_deterministic(bodies: Bodies, mode: Mode) -> None:
    first = json.dumps(_run(*bodies, mode), sort_keys=True)
    second = json.dumps(_run(*copy.deepcopy(bodies), mode), sort_keys=True)
    assert first == second


def test_the_same_csv_ingested_twice_gives_the_same_assignments(tmp_path: Path) -> None:
    (tmp_path / "payments.csv").write_text(CSV, encoding="utf-8")
    doc = case_contract(load_case(GOLDEN / "bank_chase_checking"), mode="data_mode")
    doc["lhs"]["location"] = str(tmp_path / "payments.csv")
    runs = [
        json.dumps(
            _run(*file_bodies(parse_contract(doc), current_manifest(), KEY, tmp_path), "data_mode"),
            sort_keys=True,
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
