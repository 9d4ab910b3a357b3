"""Domaining as one idempotent step of a run: Domain Assignments v1 (§10).

``domain_assignments`` is the pure part: from the Ingest artifacts' bodies (the Catalog and, in
``data_mode``, the masked Sample Pack), the target schema, a Domain Catalog and the Threshold
Profile's domaining settings, one assignment per source and target column. ``assign_domains``
is the step the supervisor's DOMAINS node runs: it reads the run's artifacts, stores the
assignments as an artifact and appends one DOMAINS ledger event naming it (once: run it again
and nothing is written twice).

What a column's assignment is made of in each mode:

- ``metadata_only``: the header, the Catalog's inferred type (metadata, not values) and, for a
  target column, its declared type and description. No sample value is read, and no value
  sketch is computed or stored (test).
- ``data_mode``: also the Sample Pack's masked values: regex hit rates and value shapes, or,
  for a column the Policy Engine masked whole, the entity it masked them as.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.canonical import content_hash
from core.contract import Mode, RunContract
from core.profiles import ThresholdProfile
from core.target_schema import TargetSchema, contract_target_schema
from policy.pii.detect import WHOLE_COLUMN_MODES
from specialists.domains.assign import Assignment, Centroids, ColumnInput, assign_columns
from specialists.domains.calibration import Calibration, bundled_calibrations
from specialists.domains.catalog import DomainCatalog, catalog_hash
from specialists.domains.score import ScoreWeights

if TYPE_CHECKING:
    from core.db import Database
    from policy.manifest import PolicyManifest

__all__ = [
    "DEFAULT_BORDERLINE_SHARE_MAX",
    "DomainSettings",
    "DomainsOutcome",
    "assign_domains",
    "domain_assignments",
]

#: The share of borderline columns above which the Domains gate holds, for a profile that sets
#: none (tp_default_v1): one column in five is more than a person should have to confirm later.
DEFAULT_BORDERLINE_SHARE_MAX = 0.2


@dataclass(frozen=True)
class DomainSettings:
    """The Threshold Profile's domaining fields, with the code's defaults where it sets none."""

    tau_high: float
    tau_low: float
    weights: ScoreWeights
    borderline_share_max: float

    @classmethod
    def of(cls, profile: ThresholdProfile) -> DomainSettings:
        d = profile.domaining
        weights = (
            ScoreWeights(d.weights.alpha, d.weights.beta, d.weights.gamma, d.weights.epsilon)
            if d.weights
            else ScoreWeights()
        )
        share = d.borderline_share_max
        return cls(
            d.tau_high,
            d.tau_low,
            weights,
            DEFAULT_BORDERLINE_SHARE_MAX if share is None else share,
        )


@dataclass(frozen=True)
class DomainsOutcome:
    assignments_hash: str
    columns: int
    high: int
    borderline: int
    low: int
    target_columns: int


def _source_inputs(
    catalog_body: Mapping[str, Any], sample_body: Mapping[str, Any] | None, mode: Mode
) -> list[tuple[str, ColumnInput]]:
    samples = {t["table"]: t for t in (sample_body or {}).get("tables", [])}
    out = []
    for entry in catalog_body["tables"]:
        table = entry["table"]
        pack = samples.get(table["name"]) if mode == "data_mode" else None
        for column in table["columns"]:
            values = entity = None
            if pack is not None:
                values = pack["columns"].get(column["name"], [])
                masking = pack["masking"].get(column["name"]) or {}
                if masking.get("mode") in WHOLE_COLUMN_MODES:
                    entity = masking.get("entity")
            out.append(
                (
                    table["name"],
                    ColumnInput(
                        header=column["source_name"],
                        values=values,
                        type=column["type"],
                        entity=entity,
                    ),
                )
            )
    return out


def _record(table: str, column: ColumnInput, assignment: Assignment) -> dict[str, Any]:
    return {
        "table": table,
        "column": column.header,
        "domain_id": assignment.domain_id,
        "score": assignment.score,
        "confidence": assignment.confidence,
        "band": assignment.band,
        "decision": assignment.decision,
        "rationale": assignment.rationale,
        "evidence": {"type": column.type, "masked_as": column.entity},
        "candidates": [c.model_dump(mode="json") for c in assignment.candidates],
    }


def domain_assignments(
    catalog_body: Mapping[str, Any],
    sample_body: Mapping[str, Any] | None,
    target: TargetSchema | None,
    mode: Mode,
    catalog: DomainCatalog,
    settings: DomainSettings,
    *,
    centroids: Centroids | None = None,
    calibrations: Mapping[str, Calibration] | None = None,
) -> dict[str, Any]:
    """The Domain Assignments v1 body of a run's source (and target) columns."""
    centroids = centroids or Centroids.of(catalog)
    maps = calibrations if calibrations is not None else bundled_calibrations()

    def assign(inputs: Sequence[ColumnInput], in_mode: Mode) -> list[Assignment]:
        return assign_columns(
            inputs,
            in_mode,
            catalog,
            centroids,
            weights=settings.weights,
            calibration=maps[in_mode],
            tau_high=settings.tau_high,
            tau_low=settings.tau_low,
        )

    sources = _source_inputs(catalog_body, sample_body, mode)
    source = [
        _record(table, col, a)
        for (table, col), a in zip(sources, assign([c for _, c in sources], mode), strict=True)
    ]
    targets: list[dict[str, Any]] = []
    if target is not None:
        inputs = [
            ColumnInput(header=c.name, type=c.type, description=c.description)
            for c in target.columns
        ]
        # A target schema has no rows here: its columns are scored on names, types and
        # descriptions, as in metadata_only.
        targets = [
            _record(target.table, col, a)
            for col, a in zip(inputs, assign(inputs, "metadata_only"), strict=True)
        ]
    bands = [r["band"] for r in source]
    return {
        "version": 1,
        "mode": mode,
        "catalog": {"version": catalog.version, "hash": catalog_hash(catalog)},
        "calibration": maps[mode].hash,
        "settings": {
            "tau_high": settings.tau_high,
            "tau_low": settings.tau_low,
            "weights": settings.weights.__dict__,
            "borderline_share_max": settings.borderline_share_max,
        },
        "summary": {
            "columns": len(source),
            "high": bands.count("high"),
            "borderline": bands.count("borderline"),
            "low": bands.count("low"),
            "target_columns": len(targets),
        },
        "source": source,
        "target": targets,
    }


def assign_domains(
    db: Database,
    *,
    run_id: str,
    contract: RunContract,
    manifest: PolicyManifest,
    profile: ThresholdProfile,
    inputs: Mapping[str, Any],
    base: Path,
    catalog: DomainCatalog,
) -> tuple[DomainsOutcome, float]:
    """Domain Assignments of the run from its Ingest artifacts (``inputs``: the ingest stage's
    outputs), stored once with one DOMAINS ledger event; and the seconds it took."""
    from artifacts.store import PostgresArtifactStore
    from ledger.events import LedgerEvent
    from ledger.store import PostgresLedger

    started = time.perf_counter()
    with db.connect() as conn:
        store = PostgresArtifactStore(conn)
        catalog_body = store.get(inputs["catalog"]).body
        sample_body = store.get(inputs["sample"]).body if inputs.get("sample") else None
    body = domain_assignments(
        catalog_body,
        sample_body if contract.mode == "data_mode" else None,
        contract_target_schema(contract, base),
        contract.mode,
        catalog,
        DomainSettings.of(profile),
    )
    with db.begin() as conn:
        ref = PostgresArtifactStore(conn).put("domain_assignments", body, run_id=run_id)
        ledger = PostgresLedger(conn)
        if not any(
            e.stage == "DOMAINS" and e.outputs_hash == ref.hash for e in ledger.events(run_id)
        ):
            ledger.append(
                LedgerEvent(
                    run_id=run_id,
                    stage="DOMAINS",
                    decision="accept",
                    inputs_hash=content_hash([inputs["catalog"], inputs.get("sample")]),
                    outputs_hash=ref.hash,
                    pii_mask_applied=sample_body is not None,
                    policy_version=manifest.version,
                )
            )
    s = body["summary"]
    outcome = DomainsOutcome(
        ref.hash, s["columns"], s["high"], s["borderline"], s["low"], s["target_columns"]
    )
    return outcome, time.perf_counter() - started
