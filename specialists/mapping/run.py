"""The MAPPING stage's step: read the run's earlier artifacts, store the Mapping Plan, log it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.canonical import content_hash
from core.contract import RunContract
from core.errors import ContractError
from core.profiles import ThresholdProfile
from core.target_schema import contract_target_schema
from dsl.ops import Limits
from specialists.mapping.plan import MappingSettings, mapping_plan

if TYPE_CHECKING:
    from core.db import Database
    from policy.manifest import PolicyManifest
    from specialists.mapping.propose import ModelAccess

__all__ = ["MappingOutcome", "dsl_limits", "plan_mapping"]


@dataclass(frozen=True)
class MappingOutcome:
    plan_hash: str
    columns: int
    accepted: int
    held: int
    fix: int
    unmapped: int
    key_columns_accepted: bool


def dsl_limits(manifest: PolicyManifest) -> Limits:
    """The Policy Manifest's DSL limits, as the DSL validator takes them."""
    return Limits(**manifest.dsl_limits.model_dump())


def plan_mapping(
    db: Database,
    *,
    run_id: str,
    contract: RunContract,
    manifest: PolicyManifest,
    profile: ThresholdProfile,
    inputs: Mapping[str, Mapping[str, Any]],
    base: Path,
    model: ModelAccess | None = None,
) -> tuple[MappingOutcome, float]:
    """The run's Mapping Plan from its Ingest and Domains artifacts (``inputs``: the outputs of
    those stages by name), stored once with one MAPPING ledger event; and the seconds it took."""
    from artifacts.store import PostgresArtifactStore
    from ledger.events import LedgerEvent
    from ledger.store import PostgresLedger

    started = time.perf_counter()
    target = contract_target_schema(contract, base)
    if target is None:
        raise ContractError(
            "the Mapping stage needs a target schema: set rhs.schema_ref to a schema YAML",
            field="rhs.schema_ref",
        )
    ingest, domains = inputs["ingest"], inputs["domains"]
    with db.connect() as conn:
        store = PostgresArtifactStore(conn)
        catalog_body = store.get(ingest["catalog"]).body
        sample_body = store.get(ingest["sample"]).body if ingest.get("sample") else None
        assignments = store.get(domains["assignments"]).body
    body = mapping_plan(
        catalog_body,
        sample_body if contract.mode == "data_mode" else None,
        assignments,
        target,
        contract.mode,
        MappingSettings.of(profile),
        limits=dsl_limits(manifest),
        model=model,
    )
    inputs_hash = content_hash([ingest["catalog"], ingest.get("sample"), domains["assignments"]])
    with db.begin() as conn:
        ref = PostgresArtifactStore(conn).put("mapping_plan", body, run_id=run_id)
        ledger = PostgresLedger(conn)
        if not any(
            e.stage == "MAPPING" and e.outputs_hash == ref.hash for e in ledger.events(run_id)
        ):
            ledger.append(
                LedgerEvent(
                    run_id=run_id,
                    stage="MAPPING",
                    decision="accept",
                    inputs_hash=inputs_hash,
                    outputs_hash=ref.hash,
                    pii_mask_applied=sample_body is not None,
                    policy_version=manifest.version,
                )
            )
    s = body["summary"]
    keys = [c for c in body["columns"] if c["key"]]
    outcome = MappingOutcome(
        ref.hash,
        s["columns"],
        s["accepted"],
        s["held"],
        s["fix"],
        s["unmapped"],
        all(c["decision"] == "accept" for c in keys),
    )
    return outcome, time.perf_counter() - started
