"""Ingest as a step of a real run: artifacts and one ledger event, deterministic and idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from artifacts.store import PostgresArtifactStore
from core.contract import parse_contract
from core.db import Database
from core.errors import ContractError
from ledger.store import PostgresLedger
from policy.manifest import current_manifest
from specialists.ingest.run import ingest_files
from supervisor.runs import create_run

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "bank_transactions" / "contract.yaml"
KEY = b"k" * 32


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc.update(changes)
    return doc


def _run(db: Database, doc: dict[str, Any]) -> tuple[str, Any]:
    run = create_run(db, doc).run
    return run.run_id, parse_contract(run.contract)


def _ingest_events(db: Database, run_id: str) -> int:
    with db.connect() as conn:
        return sum(e.stage == "INGEST" for e in PostgresLedger(conn).events(run_id))


def test_same_contract_same_data_same_hashes_and_one_event(db: Database) -> None:
    run_id, contract = _run(db, _doc())
    base = EXAMPLE.parent
    first = ingest_files(
        db, run_id=run_id, contract=contract, manifest=current_manifest(), key=KEY, base=base
    )
    again = ingest_files(
        db, run_id=run_id, contract=contract, manifest=current_manifest(), key=KEY, base=base
    )
    assert (first.catalog_hash, first.sample_hash) == (again.catalog_hash, again.sample_hash)
    assert first.rows == 60 and first.tables == 1
    assert _ingest_events(db, run_id) == 1
    other_run, other_contract = _run(db, _doc())
    third = ingest_files(
        db,
        run_id=other_run,
        contract=other_contract,
        manifest=current_manifest(),
        key=KEY,
        base=base,
    )
    assert third.catalog_hash == first.catalog_hash  # the same data: the same catalog
    reseeded = ingest_files(
        db,
        run_id=run_id,
        contract=contract,
        manifest=current_manifest(),
        key=KEY,
        base=base,
        seed=first.seed + 1,
    )
    assert reseeded.sample_hash != first.sample_hash
    with db.connect() as conn:
        pack = PostgresArtifactStore(conn).get(first.sample_hash or "").body
    emails = [v for v in pack["tables"][0]["columns"]["payee_email"] if v]
    assert emails and all(v.startswith("EMAIL_ADDRESS_") for v in emails)


def test_metadata_only_stores_a_catalog_and_no_sample(db: Database) -> None:
    doc = _doc(mode="metadata_only")
    doc.pop("sample_caps", None)
    run_id, contract = _run(db, doc)
    outcome = ingest_files(
        db,
        run_id=run_id,
        contract=contract,
        manifest=current_manifest(),
        key=KEY,
        base=EXAMPLE.parent,
    )
    assert outcome.sample_hash is None
    with db.connect() as conn:
        body = PostgresArtifactStore(conn).get(outcome.catalog_hash).body
    text = str(body)
    assert "@example.com" not in text  # the catalog carries no value


def test_a_missing_source_is_refused(db: Database, tmp_path: Path) -> None:
    run_id, contract = _run(db, _doc())
    with pytest.raises(ContractError):
        ingest_files(
            db,
            run_id=run_id,
            contract=contract,
            manifest=current_manifest(),
            key=KEY,
            base=tmp_path,
        )
    assert _ingest_events(db, run_id) == 0
