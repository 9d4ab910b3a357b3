"""Run creation and amendment, in process, against the real store."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.contract import contract_hash, parse_contract
from core.db import Database
from core.errors import ContractError, IntegrityError
from core.ids import ulid, ulid_for_key
from ledger import PostgresLedger
from policy.manifest import current_manifest
from supervisor import amend_contract, create_run, ensure_reference_data, get_run
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "bank_transactions" / "contract.yaml"


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc.update(changes)
    return doc


def test_run_id_is_derived_from_the_key(db: Database) -> None:
    key = f"k-{uuid.uuid4()}"
    run = create_run(db, _doc(), idempotency_key=key).run
    assert run.run_id[10:] == ulid_for_key(key, timestamp_ms=0)[10:]
    assert run.contract["run_id"] == run.run_id


def test_stored_contract_pins_the_versions_in_force(db: Database) -> None:
    run = create_run(db, _doc()).run
    assert run.contract["policy_version"] == current_manifest().version
    assert run.contract["catalog_version"] == "0.0.0"
    stored = parse_contract(run.contract)
    assert contract_hash(stored) == run.contract_hash


def test_explicit_run_id_is_idempotent(db: Database) -> None:
    run_id = ulid()
    first = create_run(db, _doc(run_id=run_id))
    second = create_run(db, _doc(run_id=run_id))
    assert first.created and not second.created and second.run.run_id == run_id


def test_concurrent_creates_with_one_key_make_one_run(db: Database) -> None:
    key = f"race-{uuid.uuid4()}"
    results: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            results.append(create_run(db, _doc(), idempotency_key=key).run.run_id)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(results)) == 1
    with db.connect() as conn:
        assert len(PostgresLedger(conn).events(results[0])) == 1


def test_amend_back_to_an_earlier_contract_reuses_its_version(db: Database) -> None:
    run = create_run(db, _doc()).run
    v2, changed = amend_contract(db, run.run_id, _doc(audit_tags=["x"]))
    assert changed and v2.contract_version == 2
    v1, changed = amend_contract(db, run.run_id, _doc())
    assert changed and v1.contract_version == 1 and v1.contract_hash == run.contract_hash
    assert get_run(db, run.run_id).contract_version == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mode": "metadata_only"}, "mode"),
        ({"dsl_version": "1.0.1"}, "dsl_version"),
        ({"threshold_profile_id": "tp_other"}, "threshold_profile_id"),
        ({"policy_version": "9.9.9"}, "policy_version"),
        ({"run_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "run_id"),
    ],
)
def test_amend_refuses_pin_changes(db: Database, changes: dict[str, Any], field: str) -> None:
    run = create_run(db, _doc()).run
    with pytest.raises(ContractError) as info:
        amend_contract(db, run.run_id, _doc(**changes))
    assert info.value.field == field
    assert get_run(db, run.run_id).contract_hash == run.contract_hash


@pytest.mark.parametrize("column", ["mode", "dsl_version", "policy_version", "catalog_version"])
def test_database_refuses_pin_changes(db: Database, column: str) -> None:
    run = create_run(db, _doc()).run
    with pytest.raises(DBAPIError, match="immutable"), db.engine.begin() as conn:
        conn.execute(text(f"UPDATE runs SET {column} = 'x' WHERE run_id = :r"), {"r": run.run_id})


def test_changed_reference_data_is_refused(
    db: Database, superuser_sql: Callable[..., None]
) -> None:
    with db.connect() as conn:
        original = conn.execute(
            text("SELECT content_hash FROM threshold_profiles WHERE profile_id = 'tp_default_v1'")
        ).scalar_one()
    superuser_sql(
        "UPDATE threshold_profiles SET content_hash = :h WHERE profile_id = 'tp_default_v1'",
        {"h": "0" * 64},
    )
    try:
        with pytest.raises(IntegrityError, match="immutable"), db.begin() as conn:
            ensure_reference_data(conn)
    finally:
        superuser_sql(
            "UPDATE threshold_profiles SET content_hash = :h WHERE profile_id = 'tp_default_v1'",
            {"h": original},
        )


def test_key_reused_with_another_run_id_is_refused(db: Database) -> None:
    key = f"k-{uuid.uuid4()}"
    run = create_run(db, _doc(), idempotency_key=key).run
    with pytest.raises(ContractError) as info:
        create_run(db, _doc(run_id=ulid()), idempotency_key=key)
    assert info.value.field == "run_id" and run.run_id in info.value.message
