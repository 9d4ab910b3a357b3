"""Migration: start (queued on the batch lane), status, promote, quarantine export and release."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.http.deps import CallerDep
from api.http.errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1", tags=["migration"], responses=ERROR_RESPONSES)


class StartMigration(BaseModel):
    fresh: bool = Field(False, description="Migrate again after a promotion.")


@router.post("/runs/{run_id}/migration", status_code=202, summary="Start a run's migration")
def start(run_id: str, body: StartMigration, c: CallerDep) -> dict[str, Any]:
    """Stage and validate the run's migration on the batch lane (promotion is a separate call).
    The run's own MIGRATION stage does this in data_mode; this call re-runs or resumes it."""
    from policy.rbac import require
    from supervisor.jobs import JSON, stage_migration_job
    from supervisor.runs import get_run

    run = get_run(c.db, run_id, tenant=c.tenant)
    ctx = c.api.context(run_id)
    require(ctx.manifest, c.role, "create_run", actor=c.actor)
    job = f"{stage_migration_job.__module__}.{stage_migration_job.__qualname__}"
    kwargs: dict[str, JSON] = {
        "run_id": run.run_id,
        "base": str(c.api.data_root),
        "fresh": body.fresh,
    }
    handle = c.api.executor.submit("batch", job, kwargs, timeout_s=3600)
    return {"run_id": run_id, "queued": {"lane": "batch", "job_id": handle.id}}


@router.get("/runs/{run_id}/migration", summary="A run's migration status")
def status(run_id: str, c: CallerDep) -> dict[str, Any]:
    """Progress, per-chunk checkpoints and hashes, validations, promotion."""
    from supervisor.migration import migration_status
    from supervisor.runs import get_run

    get_run(c.db, run_id, tenant=c.tenant)
    return migration_status(c.db, run_id)


@router.post("/runs/{run_id}/migration/promote", summary="Promote a validated migration")
def promote(run_id: str, c: CallerDep) -> dict[str, Any]:
    """Swap (or upsert) the validated staging into the final table in one transaction; into a
    table that holds rows, an Operator or above (§32)."""
    from supervisor.migration import promote as promote_run
    from supervisor.runs import get_run

    get_run(c.db, run_id, tenant=c.tenant)
    ctx = c.api.context(run_id)
    return promote_run(
        c.api.db, run_id, manifest=ctx.manifest, pii_key=ctx.pii_key, actor=c.actor, role=c.role
    )


@router.get("/runs/{run_id}/quarantine", summary="Export a run's quarantine")
def quarantine(run_id: str, c: CallerDep, all: bool = False) -> dict[str, Any]:
    """The §37 quarantine records, masked previews only (Operator and above)."""
    from supervisor.migration import export_quarantine
    from supervisor.runs import get_run

    get_run(c.db, run_id, tenant=c.tenant)
    records = export_quarantine(c.db, run_id, actor=c.actor, role=c.role, held_only=not all)
    return {"run_id": run_id, "records": records}


@router.post("/runs/{run_id}/quarantine/release", summary="Release a run's quarantine")
def release(run_id: str, c: CallerDep) -> dict[str, Any]:
    """Migrate the held rows again after a fix; promote those that now pass (Operator+)."""
    from supervisor.migration import release as release_rows
    from supervisor.runs import get_run

    get_run(c.db, run_id, tenant=c.tenant)
    ctx = c.api.context(run_id)
    return release_rows(
        c.api.db, run_id, manifest=ctx.manifest, pii_key=ctx.pii_key, actor=c.actor, role=c.role
    )
