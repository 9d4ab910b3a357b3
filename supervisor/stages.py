"""The stages a run goes through, in the required order (§5), and what each one runs.

A :class:`StageSpec` names a stage, the specialist step that runs it, and the gate that decides
after it. The graph is built from ``STAGES``: each later stage (Domains, Mapping, Analysis,
Migration) is appended here by its own issue, in the order of §5; a stage may be limited to some
modes (Migration runs only in ``data_mode``).

A step returns a :class:`StageResult`: references to what it stored (artifact hashes, counts),
which go into the graph state, and the metrics its gate reads. It never returns rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.contract import Mode, RunContract, StageName
from core.profiles import ThresholdProfile
from ledger.events import Stage
from supervisor.gates import (
    GateOutcome,
    analysis_gate,
    domains_gate,
    ingest_gate,
    mapping_gate,
    migration_gate,
)

if TYPE_CHECKING:
    from core.db import Database
    from policy.manifest import PolicyManifest
    from supervisor.progress import ProgressReporter

__all__ = ["STAGES", "StageContext", "StageResult", "StageSpec"]


@dataclass(frozen=True)
class StageContext:
    """What a step needs besides the contract: the store, the policy, where files are."""

    db: Database
    manifest: PolicyManifest
    pii_key: bytes
    base: Path
    env: Mapping[str, str]
    report: ProgressReporter
    profile: ThresholdProfile
    #: The outputs of the stages before this one, by stage name (artifact hashes, counts).
    inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    lane: str = "interactive"
    #: This stage's budget as the supervisor allocated it: ``{tokens, usd, wall_time_s}``.
    budget: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageResult:
    outputs: dict[str, Any]  # references stored in the graph state (hashes, counts)
    metrics: dict[str, Any]  # what the gate decides from


Step = Callable[[StageContext, str, RunContract], StageResult]
Gate = Callable[[Mapping[str, Any], RunContract, ThresholdProfile], GateOutcome]


#: What runs after a gate accepts (Migration's promotion): the context, the run, its contract,
#: and who accepted (actor, role); returns references for the graph state.
AfterAccept = Callable[[StageContext, str, RunContract, str, str], dict[str, Any]]


@dataclass(frozen=True)
class StageSpec:
    name: StageName
    ledger_stage: Stage
    step: Step
    gate: Gate
    modes: tuple[Mode, ...] = field(default=("metadata_only", "data_mode"))
    after_accept: AfterAccept | None = None


def _ingest(ctx: StageContext, run_id: str, contract: RunContract) -> StageResult:
    from specialists.ingest.run import ingest_files, ingest_sql

    started = time.perf_counter()
    ctx.report("ingest", "reading the source", 0, None, "steps", force=True)
    if contract.lhs.source.type == "sql":
        outcome = ingest_sql(
            ctx.db,
            run_id=run_id,
            contract=contract,
            manifest=ctx.manifest,
            key=ctx.pii_key,
            env=ctx.env,
            base=ctx.base,
            progress=ctx.report,
        )
    else:
        outcome = ingest_files(
            ctx.db,
            run_id=run_id,
            contract=contract,
            manifest=ctx.manifest,
            key=ctx.pii_key,
            base=ctx.base,
            progress=ctx.report,
        )
    seconds = time.perf_counter() - started
    ctx.report("ingest", "done", outcome.rows, outcome.rows, "rows", force=True)
    return StageResult(
        outputs={
            "catalog": outcome.catalog_hash,
            "sample": outcome.sample_hash,
            "rows": outcome.rows,
            "tables": outcome.tables,
        },
        metrics={
            "rows": outcome.rows,
            "tables": outcome.tables,
            "ragged_rows": outcome.ragged_rows,
            "seconds": round(seconds, 3),
        },
    )


def _domains(ctx: StageContext, run_id: str, contract: RunContract) -> StageResult:
    from specialists.domains.live import live_catalog
    from specialists.domains.run import assign_domains

    ctx.report("domains", "assigning domains", 0, None, "columns", force=True)
    with ctx.db.connect() as conn:
        catalog = live_catalog(conn)
    outcome, seconds = assign_domains(
        ctx.db,
        run_id=run_id,
        contract=contract,
        manifest=ctx.manifest,
        profile=ctx.profile,
        inputs=ctx.inputs["ingest"],
        base=ctx.base,
        catalog=catalog,
    )
    ctx.report("domains", "done", outcome.columns, outcome.columns, "columns", force=True)
    return StageResult(
        outputs={"assignments": outcome.assignments_hash, "columns": outcome.columns},
        metrics={
            "columns": outcome.columns,
            "high": outcome.high,
            "borderline": outcome.borderline,
            "low": outcome.low,
            "target_columns": outcome.target_columns,
            "seconds": round(seconds, 3),
        },
    )


def _mapping(ctx: StageContext, run_id: str, contract: RunContract) -> StageResult:
    from specialists.mapping.run import plan_mapping
    from supervisor.models import model_access

    ctx.report("mapping", "planning pipelines", 0, None, "columns", force=True)
    model = model_access(ctx, run_id, contract, "mapping")
    try:
        outcome, seconds = plan_mapping(
            ctx.db,
            run_id=run_id,
            contract=contract,
            manifest=ctx.manifest,
            profile=ctx.profile,
            inputs=ctx.inputs,
            base=ctx.base,
            model=model,
        )
    finally:
        if model is not None:
            model.router.close()
    ctx.report("mapping", "done", outcome.columns, outcome.columns, "columns", force=True)
    return StageResult(
        outputs={"plan": outcome.plan_hash, "columns": outcome.columns},
        metrics={
            "columns": outcome.columns,
            "accepted": outcome.accepted,
            "held": outcome.held,
            "fix": outcome.fix,
            "unmapped": outcome.unmapped,
            "keys_accepted": outcome.key_columns_accepted,
            "seconds": round(seconds, 3),
        },
    )


def _analysis(ctx: StageContext, run_id: str, contract: RunContract) -> StageResult:
    from specialists.analysis.run import analyze_run

    ctx.report("analysis", "checking quality", 0, None, "steps", force=True)
    outcome, seconds = analyze_run(
        ctx.db,
        run_id=run_id,
        contract=contract,
        manifest=ctx.manifest,
        profile=ctx.profile,
        inputs=ctx.inputs,
        base=ctx.base,
    )
    ctx.report("analysis", "done", outcome.checks, outcome.checks, "steps", force=True)
    return StageResult(
        outputs={"report": outcome.report_hash, "checks": outcome.checks},
        metrics={
            "checks": outcome.checks,
            "fails": outcome.fails,
            "warns": outcome.warns,
            "seconds": round(seconds, 3),
        },
    )


def _migration(ctx: StageContext, run_id: str, contract: RunContract) -> StageResult:
    from supervisor.migration import redis_url_from, stage_migration

    started = time.perf_counter()

    def progress(p: dict[str, Any]) -> None:
        ctx.report("migration", "migrating chunks", p["done"], p["chunks"], "steps")

    ctx.report("migration", "pre-flight", 0, None, "steps", force=True)
    summary = stage_migration(
        ctx.db,
        run_id,
        contract=contract,
        manifest=ctx.manifest,
        pii_key=ctx.pii_key,
        base=ctx.base,
        env=ctx.env,
        progress=progress,
        redis_url=redis_url_from(ctx.env),
    )
    outcome = summary["outcome"]
    rows = outcome.get("rows") or {}
    failed = [k for k, v in (outcome.get("validations") or {}).items() if not v["ok"]]
    return StageResult(
        outputs={"migration_run": summary["artifact"], "migration_id": summary["migration_id"]},
        metrics={
            "valid": bool(outcome.get("valid")),
            "failed": failed,
            "staged": rows.get("staged", 0),
            "noop": rows.get("noop", 0),
            "quarantined": rows.get("quarantined", 0),
            "seconds": round(time.perf_counter() - started, 3),
        },
    )


def _promote(
    ctx: StageContext, run_id: str, contract: RunContract, actor: str, role: str
) -> dict[str, Any]:
    from supervisor.migration import promote

    summary = promote(
        ctx.db, run_id, manifest=ctx.manifest, pii_key=ctx.pii_key, actor=actor, role=role
    )
    return {"migration_run": summary["artifact"], "promotion": summary["outcome"]["promotion"]}


#: Migration as a graph stage, only in ``data_mode``: it runs after an accepted Analysis gate,
#: stages and validates the migration, and when its gate accepts, ``after_accept`` promotes it
#: (as the contract's actor, or as the person who accepted a held gate: a final table that
#: already holds rows needs an Operator, §32). ``conduit migrations ...`` runs the same functions.
MIGRATION = StageSpec(
    "migration", "MIGRATION", _migration, migration_gate, ("data_mode",), after_accept=_promote
)

#: The stages, in the order of §5 (the graph keeps those of the contract's mode).
STAGES: tuple[StageSpec, ...] = (
    StageSpec("ingest", "INGEST", _ingest, ingest_gate),
    StageSpec("domains", "DOMAINS", _domains, domains_gate),
    StageSpec("mapping", "MAPPING", _mapping, mapping_gate),
    StageSpec("analysis", "ANALYSIS", _analysis, analysis_gate),
    MIGRATION,
)
