"""Driving a run's migration: start or resume it, promote it, release its quarantine (§14, §32).

The same functions serve the MIGRATION stage of the graph, ``conduit migrations ...`` and the
batch lane's workers:

- :func:`stage_migration` pre-flights the run (once per attempt), stages every chunk with a
  thread pool in this process, or as jobs on the batch lane's Redis queue when one is configured
  (``conduit worker --lane batch`` processes, any number, any machine), then validates. Started
  again after a crash it resumes the same attempt: finished chunks are not redone.
- :func:`promote` moves the validated staging into the final table (Operator and above, §32:
  ``approve_destructive``); the graph calls it after the migration gate accepts.
- :func:`release` migrates the run's held quarantine rows again, after a fix, as a ``release``
  attempt (``release_quarantine``: Operator and above).

Every chunk's checkpoint is stored as a ``migration_checkpoint`` artifact with a MIGRATION ledger
event (a no-op chunk says ``"status": "noop"``), and the Migration Run as ``migration_run``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.canonical import content_hash
from core.errors import ContractError, DeterministicFailure, NotFoundError
from specialists.migration import store
from specialists.migration.engine import (
    EngineContext,
    finish_migration,
    new_migration_id,
    progress_of,
    promote_migration,
    run_chunks,
    start_chunks,
)
from specialists.migration.targets.base import Fault, no_fault

if TYPE_CHECKING:
    from core.contract import RunContract
    from core.db import Database
    from policy.manifest import PolicyManifest
    from specialists.migration.spec import MigrationSpec

__all__ = [
    "export_quarantine",
    "migration_status",
    "promote",
    "release",
    "stage_migration",
    "target_location",
]

Progress = Callable[[dict[str, Any]], None]


def target_location(contract: RunContract, base: Path, env: Mapping[str, str]) -> str:
    """Where the contract's RHS data goes: a SQL URL, or a Parquet file path."""
    from specialists.ingest.run import sql_location

    location = contract.rhs.location
    if contract.rhs.source.type == "sql":
        return sql_location(location, base, env, field="rhs.location")
    path = Path(location)
    return str((path if path.is_absolute() else base / path).resolve())


def latest_artifact(db: Database, run_id: str, kind: str) -> tuple[str, dict[str, Any]]:
    """The hash and body of the run's newest artifact of ``kind``."""
    from artifacts.store import PostgresArtifactStore

    with db.connect() as conn:
        artifacts = PostgresArtifactStore(conn)
        refs = artifacts.list(run_id, kind=kind)
        if not refs:
            raise NotFoundError(f"run {run_id} has no {kind} yet: run its earlier stages first")
        found = artifacts.get(refs[-1].ref.hash)
        return refs[-1].ref.hash, found.body


def _spec(
    db: Database,
    run_id: str,
    contract: RunContract,
    manifest: PolicyManifest,
    base: Path,
    env: Mapping[str, str],
    attempt: int,
) -> MigrationSpec:
    from core.target_schema import contract_target_schema
    from specialists.migration.spec import preflight
    from supervisor.reference import stored_profile

    if contract.lhs.source.type == "sql" and contract.lhs.location.startswith("env:"):
        from specialists.ingest.run import sql_location

        # preflight resolves relative SQLite paths, not ``env:`` names: read the name here
        lhs = contract.lhs.model_copy(
            update={"location": sql_location(contract.lhs.location, None, env)}
        )
        contract = contract.model_copy(update={"lhs": lhs})
    target = contract_target_schema(contract, base)
    if target is None:
        raise ContractError("Migration needs a target schema", field="rhs.schema_ref")
    _, catalog = latest_artifact(db, run_id, "catalog")
    plan_hash, plan = latest_artifact(db, run_id, "mapping_plan")
    with db.connect() as conn:
        profile = stored_profile(conn, contract.threshold_profile_id)
    if profile is None:
        raise NotFoundError(f"no threshold profile {contract.threshold_profile_id}")
    return preflight(
        migration_id=new_migration_id(run_id, attempt),
        run_id=run_id,
        attempt=attempt,
        contract=contract,
        base=base,
        catalog=catalog,
        plan=plan,
        plan_hash=plan_hash,
        target=target,
        batch_size=profile.migration.batch_size,
        validation_checks=list(profile.migration.validation_checks),
        policy_version=manifest.version,
        target_location=target_location(contract, base, env),
    )


def _engine(
    db: Database, manifest: PolicyManifest, key: bytes, fault: Fault, progress: Progress | None
) -> EngineContext:
    if progress is None:
        return EngineContext(db=db, manifest=manifest, pii_key=key, fault=fault)
    return EngineContext(db=db, manifest=manifest, pii_key=key, fault=fault, progress=progress)


def stage_migration(
    db: Database,
    run_id: str,
    *,
    contract: RunContract,
    manifest: PolicyManifest,
    pii_key: bytes,
    base: Path,
    env: Mapping[str, str],
    workers: int = 2,
    fresh: bool = False,
    progress: Progress | None = None,
    redis_url: str | None = None,
) -> dict[str, Any]:
    """Stage and validate the run's migration (resuming an unfinished attempt); its outcome.

    A run whose latest attempt is finished (validated or promoted) returns that attempt's
    outcome, unless ``fresh`` asks for a new attempt (whose unchanged chunks are no-ops)."""
    row = store.latest_migration(db, run_id, "migrate")
    if row is not None and (row["status"] == "running" or not fresh):
        spec, _ = store.load_spec(row)
        if row["status"] != "running":
            return _summary(db, spec)
    else:
        spec = _spec(db, run_id, contract, manifest, base, env, store.next_attempt(db, run_id))
    ctx = _engine(db, manifest, pii_key, no_fault, progress)
    start_chunks(ctx, spec)
    _run(ctx, spec, workers, redis_url)
    finish_migration(ctx, spec)
    _record_chunks(db, spec)
    return _summary(db, spec)


def _run(ctx: EngineContext, spec: MigrationSpec, workers: int, redis_url: str | None) -> None:
    if not redis_url:
        run_chunks(ctx, spec, workers)
        return
    from supervisor.executors import RedisLaneExecutor

    executor = RedisLaneExecutor(redis_url)
    try:
        handles = [
            executor.submit(
                "batch", "supervisor.jobs.migration_job", {"migration_id": spec.migration_id}
            )
            for _ in range(max(1, workers))
        ]
        deadline = time.monotonic() + 24 * 3600
        while time.monotonic() < deadline and not all(h.done() for h in handles):
            cps = store.checkpoints(ctx.db, spec.migration_id)
            ctx.progress(progress_of(cps))
            if not any(c["status"] == "pending" for c in cps):
                break
            time.sleep(0.5)
        for h in handles:
            if h.done():
                h.result(timeout=1)
    finally:
        executor.close()
    run_chunks(ctx, spec, 1)  # anything a lost job left pending


def _record_chunks(db: Database, spec: MigrationSpec) -> None:
    """One ``migration_checkpoint`` artifact and MIGRATION ledger event per chunk (once)."""
    from artifacts.store import PostgresArtifactStore
    from ledger.events import LedgerEvent
    from ledger.store import PostgresLedger

    cps = store.checkpoints(db, spec.migration_id)
    with db.begin() as conn:
        artifacts, ledger = PostgresArtifactStore(conn), PostgresLedger(conn)
        have = {e.outputs_hash for e in ledger.events(spec.run_id) if e.stage == "MIGRATION"}
        for c in cps:
            body = {
                "migration_id": spec.migration_id,
                "run_id": spec.run_id,
                "stage": "MIGRATION",
                **{
                    k: c[k]
                    for k in (
                        "chunk_id",
                        "content_hash",
                        "row_count_in",
                        "row_count_out",
                        "quarantined",
                        "status",
                        "next_action",
                        "attempts",
                    )
                },
                "started_at": c["started_at"].isoformat() if c["started_at"] else None,
                "finished_at": c["finished_at"].isoformat() if c["finished_at"] else None,
                "seconds": c["seconds"],
                "validations": c["validations"],
            }
            ref = artifacts.put("migration_checkpoint", body, run_id=spec.run_id)
            if ref.hash in have:
                continue
            ledger.append(
                LedgerEvent(
                    run_id=spec.run_id,
                    stage="MIGRATION",
                    decision="accept" if c["status"] in ("staged", "noop") else "reject",
                    inputs_hash=spec.plan_hash,
                    outputs_hash=ref.hash,
                    pii_mask_applied=True,
                    policy_version=spec.policy_version,
                    error_code="DETERMINISTIC_FAILURE" if c["status"] == "failed" else None,
                )
            )


def _summary(db: Database, spec: MigrationSpec) -> dict[str, Any]:
    """The Migration Run as stored and shown: spec, outcome, per-chunk checkpoints, progress."""
    from artifacts.store import PostgresArtifactStore

    row = store.migration_row(db, spec.migration_id)
    cps = store.checkpoints(db, spec.migration_id)
    body = {
        "version": 1,
        "migration_id": spec.migration_id,
        "run_id": spec.run_id,
        "attempt": spec.attempt,
        "kind": spec.kind,
        "status": row["status"],
        "strategy": spec.strategy,
        "strategy_reason": spec.strategy_reason,
        "key_strategy": spec.key_strategy,
        "target": {"table": spec.target_table, "dialect": _dialect(spec.target_location)},
        "batch_size": spec.batch_size,
        "outcome": row["outcome"],
        "progress": progress_of(cps),
        "chunks": [
            {
                "chunk_id": c["chunk_id"],
                "status": c["status"],
                "content_hash": c["content_hash"],
                "rows_in": c["row_count_in"],
                "rows_out": c["row_count_out"],
                "quarantined": c["quarantined"],
                "seconds": c["seconds"],
                "attempts": c["attempts"],
            }
            for c in cps
        ],
    }
    with db.begin() as conn:
        ref = PostgresArtifactStore(conn).put("migration_run", body, run_id=spec.run_id)
    return body | {"artifact": ref.hash}


def _dialect(location: str) -> str:
    from specialists.migration.targets import target_kind

    kind = target_kind(location)
    return location.split(":", 1)[0].split("+", 1)[0] if kind != "parquet" else "parquet"


def _ledger_promotion(
    db: Database, spec: MigrationSpec, summary: dict[str, Any], actor: str | None
) -> None:
    from ledger.events import HumanConfirmation, LedgerEvent
    from ledger.store import PostgresLedger

    with db.begin() as conn:
        ledger = PostgresLedger(conn)
        if any(e.outputs_hash == summary["artifact"] for e in ledger.events(spec.run_id)):
            return
        confirmation = HumanConfirmation(required=actor is not None, actor=actor)
        ledger.append(
            LedgerEvent(
                run_id=spec.run_id,
                stage="MIGRATION",
                decision="accept",
                inputs_hash=content_hash([c["content_hash"] for c in summary["chunks"]]),
                outputs_hash=summary["artifact"],
                pii_mask_applied=True,
                policy_version=spec.policy_version,
                human_confirmation=confirmation,
            )
        )


def promote(
    db: Database,
    run_id: str,
    *,
    manifest: PolicyManifest,
    pii_key: bytes,
    actor: str,
    role: str,
    fault: Fault = no_fault,
    kind: str = "migrate",
) -> dict[str, Any]:
    """Promote the run's validated migration.

    Writing into a final table that already holds rows changes data someone has: that needs
    ``approve_destructive`` (Operator and above, §32). Filling an empty or new table needs only
    what creating the run needed.
    """
    from policy.rbac import require
    from specialists.migration.targets import open_target

    row = store.latest_migration(db, run_id, kind)
    if row is None:
        raise NotFoundError(f"run {run_id} has no migration to promote")
    spec, _ = store.load_spec(row)
    target = open_target(spec.target_location)
    try:
        destructive = target.final_rows(spec.target_table) > 0
    finally:
        target.close()
    require(manifest, role, "approve_destructive" if destructive else "create_run", actor=actor)
    ctx = _engine(db, manifest, pii_key, fault, None)
    promote_migration(ctx, spec)
    summary = _summary(db, spec)
    _ledger_promotion(db, spec, summary, actor)
    return summary


def release(
    db: Database,
    run_id: str,
    *,
    manifest: PolicyManifest,
    pii_key: bytes,
    actor: str,
    role: str,
    workers: int = 1,
) -> dict[str, Any]:
    """Migrate the run's held quarantine rows again (after a fix) and promote those that pass."""
    from policy.rbac import require

    require(manifest, role, "release_quarantine", actor=actor)
    held = store.quarantine_rows(db, run_id, "held")
    base_row = store.latest_migration(db, run_id, "migrate")
    if base_row is None:
        raise NotFoundError(f"run {run_id} has no migration")
    if not held:
        return {"released": 0, "still_quarantined": 0, "message": "no held quarantine rows"}
    base, _ = store.load_spec(base_row)
    if base_row["status"] not in ("promoted", "noop"):
        raise DeterministicFailure(
            f"promote migration {base.migration_id} before releasing its quarantine"
        )
    keys = sorted({q["key"] for q in held})
    attempt = store.next_attempt(db, run_id)
    spec = base.model_copy(
        update={
            "migration_id": new_migration_id(run_id, attempt),
            "attempt": attempt,
            "kind": "release",
            "only_keys": keys,
            # a release re-reads only the held keys, which the Polars path filters for
            "strategy": "etl",
            "strategy_reason": "a release migrates the quarantined keys only (ETL)",
        }
    )
    ctx = _engine(db, manifest, pii_key, no_fault, None)
    start_chunks(ctx, spec)
    run_chunks(ctx, spec, workers)
    finish_migration(ctx, spec)
    promote_migration(ctx, spec)
    still = {q["key"] for q in store.quarantine_rows(db, run_id, "held", spec.migration_id)}
    released = [k for k in keys if k not in still]
    store.mark_released(db, run_id, released, actor)
    store.drop_quarantine(db, spec.migration_id)  # still failing: the original records stay held
    _record_chunks(db, spec)
    summary = _summary(db, spec)
    _ledger_promotion(db, spec, summary, actor)
    return summary | {"released": len(released), "still_quarantined": len(still)}


def migration_status(db: Database, run_id: str) -> dict[str, Any]:
    row = store.latest_migration(db, run_id)
    if row is None:
        raise NotFoundError(f"run {run_id} has no migration yet")
    spec, _ = store.load_spec(row)
    return _summary(db, spec)


def redis_url_from(env: Mapping[str, str] | None = None) -> str | None:
    return (env or os.environ).get("CONDUIT_REDIS_URL") or None


def export_quarantine(
    db: Database, run_id: str, *, actor: str, role: str, held_only: bool = True
) -> list[dict[str, Any]]:
    """The run's §37 quarantine records, masked previews only (Operator and above)."""
    from policy.rbac import require
    from supervisor.policies import newest_manifest

    with db.connect() as conn:
        require(newest_manifest(conn), role, "release_quarantine", actor=actor)
    return [
        {
            "run_id": r["run_id"],
            "migration_id": r["migration_id"],
            "chunk_id": r["chunk_id"],
            "key": r["key"],
            "reason_codes": list(r["reason_codes"]),
            "masked_preview_before": r["masked_preview_before"],
            "masked_preview_after": r["masked_preview_after"],
            "diff_ptr": f"quarantine/{r['migration_id']}/{r['chunk_id']}/{r['key']}/{r['ordinal']}",
            "diff": r["diff"],
            "created_at": r["created_at"].isoformat(),
            "rbac_required_role": r["rbac_required_role"],
            "status": r["status"],
        }
        for r in store.quarantine_rows(db, run_id, "held" if held_only else None)
    ]
