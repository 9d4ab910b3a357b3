"""The ANALYSIS stage's step: the Analysis Report of a run, from its artifacts, stored and logged.

In ``data_mode`` the report's frames come from the masked Sample Pack: ``source`` is the sample
(columns named by their source headers), ``output`` the plan's accepted pipelines run on it,
compiled by the DSL from the Mapping Plan artifact (specialists exchange artifacts, not code).
A masked value says nothing of the real one, so a typed target column whose sources the Policy
Engine masked whole is left out of the data checks and listed under ``not_judged``.
"""

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
from policy.pii.detect import WHOLE_COLUMN_MODES

if TYPE_CHECKING:
    import polars as pl

    from core.db import Database
    from policy.manifest import PolicyManifest

__all__ = ["AnalysisOutcome", "analyze_run", "sample_frames"]


@dataclass(frozen=True)
class AnalysisOutcome:
    report_hash: str
    checks: int
    fails: int
    warns: int


def sample_frames(
    catalog_body: Mapping[str, Any], sample_body: Mapping[str, Any], plan: Mapping[str, Any]
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """(source, output, not judged): the sample by source header, the accepted pipelines' output
    on it, and the target columns left out because their typed values were masked."""
    import polars as pl

    from dsl.compile.polars import compile_polars
    from dsl.pipeline import validate_pipeline

    name = plan.get("source_table")
    entries = catalog_body["tables"]
    table = next((e["table"] for e in entries if e["table"]["name"] == name), entries[0]["table"])
    packs = sample_body["tables"]
    pack = next((p for p in packs if p["table"] == table["name"]), packs[0])
    headers = {c["name"]: c["source_name"] for c in table["columns"]}
    masked = {
        name for name, m in pack["masking"].items() if (m or {}).get("mode") in WHOLE_COLUMN_MODES
    }
    frame = pl.DataFrame(
        {name: pl.Series(name, values, dtype=pl.Utf8) for name, values in pack["columns"].items()}
    )
    exprs, skipped = [], []
    for column in plan["columns"]:
        if column["decision"] != "accept" or not column.get("pipeline"):
            continue
        inputs = column.get("source_columns") or []
        if column["type"] != "string" and masked & set(inputs):
            skipped.append(column["target"])
            continue
        exprs.append(compile_polars(validate_pipeline(column["pipeline"])).alias(column["target"]))
    output = frame.select(exprs) if exprs else pl.DataFrame({})
    source = frame.rename({n: h for n, h in headers.items() if n in frame.columns})
    return source, output, skipped


def analyze_run(
    db: Database,
    *,
    run_id: str,
    contract: RunContract,
    manifest: PolicyManifest,
    profile: ThresholdProfile,
    inputs: Mapping[str, Mapping[str, Any]],
    base: Path,
) -> tuple[AnalysisOutcome, float]:
    """The run's Analysis Report from its Catalog, Sample Pack and Mapping Plan, stored once
    with one ANALYSIS ledger event; and the seconds it took."""
    from artifacts.store import PostgresArtifactStore
    from ledger.events import LedgerEvent
    from ledger.store import PostgresLedger
    from specialists.analysis.report import analysis_report

    started = time.perf_counter()
    target = contract_target_schema(contract, base)
    if target is None:
        raise ContractError("the Analysis stage needs a target schema", field="rhs.schema_ref")
    ingest, mapping = inputs["ingest"], inputs["mapping"]
    with db.connect() as conn:
        store = PostgresArtifactStore(conn)
        catalog_body = store.get(ingest["catalog"]).body
        sample_body = store.get(ingest["sample"]).body if ingest.get("sample") else None
        plan = store.get(mapping["plan"]).body
    skipped: list[str] = []
    if contract.mode == "data_mode" and sample_body is not None:
        source, output, skipped = sample_frames(catalog_body, sample_body, plan)
        judged = {
            **plan,
            "columns": [
                {**c, "masked_sample": True} if c["target"] in skipped else c
                for c in plan["columns"]
            ],
        }
        body = analysis_report(judged, target, profile, source=source, output=output)
    else:
        body = analysis_report(plan, target, profile)
    body = {**body, "not_judged": skipped}
    inputs_hash = content_hash([ingest["catalog"], ingest.get("sample"), mapping["plan"]])
    with db.begin() as conn:
        ref = PostgresArtifactStore(conn).put("analysis_report", body, run_id=run_id)
        ledger = PostgresLedger(conn)
        if not any(
            e.stage == "ANALYSIS" and e.outputs_hash == ref.hash for e in ledger.events(run_id)
        ):
            ledger.append(
                LedgerEvent(
                    run_id=run_id,
                    stage="ANALYSIS",
                    decision="accept",
                    inputs_hash=inputs_hash,
                    outputs_hash=ref.hash,
                    pii_mask_applied=sample_body is not None,
                    policy_version=manifest.version,
                )
            )
    m = body["metrics"]
    outcome = AnalysisOutcome(ref.hash, int(m["checks"]), int(m["fails"]), int(m["warns"]))
    return outcome, time.perf_counter() - started
