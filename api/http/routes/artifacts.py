"""Artifacts: a run's list (by kind), one artifact by hash, the Mapping Plan and its columns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.cli import render
from api.http.deps import CallerDep, used
from api.http.errors import ERROR_RESPONSES
from api.http.etag import etagged
from core.errors import NotFoundError

router = APIRouter(prefix="/v1", tags=["artifacts"], responses=ERROR_RESPONSES)


@router.get("/runs/{run_id}/artifacts", summary="A run's artifacts")
def run_artifacts(
    run_id: str,
    request: Request,
    c: CallerDep,
    kind: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """The run's artifacts, oldest first (of one ``kind`` when given)."""
    from artifacts.store import PostgresArtifactStore
    from supervisor.runs import get_run

    get_run(c.db, run_id, tenant=c.tenant)
    with c.db.connect() as conn:
        metas = PostgresArtifactStore(conn).list(run_id, kind=kind)
    used(request, artifacts=[m.ref.hash for m in metas])
    return {"run_id": run_id, "artifacts": [render.meta_dict(m) for m in metas]}


@router.get("/artifacts/{hash}", summary="One artifact")
def artifact(hash: str, request: Request, c: CallerDep) -> Response:
    """One artifact by its SHA-256 (or a unique prefix of 8+ characters), its hash verified as
    it is read (strong ETag). Another tenant's artifact is missing."""
    from artifacts.store import PostgresArtifactStore

    with c.db.connect() as conn:
        found = PostgresArtifactStore(conn).get(hash)
    used(request, artifacts=[found.meta.ref.hash])
    return etagged(request, render.meta_dict(found.meta) | {"body": found.body})


def _plan(c: CallerDep, run_id: str) -> tuple[str, dict[str, Any]]:
    from artifacts.store import PostgresArtifactStore
    from supervisor.runs import get_run

    get_run(c.db, run_id, tenant=c.tenant)
    with c.db.connect() as conn:
        store = PostgresArtifactStore(conn)
        metas = store.list(run_id, kind="mapping_plan")
        if not metas:
            raise NotFoundError(f"run {run_id} has no Mapping Plan yet", field="run_id")
        body: dict[str, Any] = store.get(metas[-1].ref.hash).body
    return metas[-1].ref.hash, body


@router.get("/runs/{run_id}/mapping", summary="A run's Mapping Plan")
def mapping_plan(run_id: str, request: Request, c: CallerDep) -> Response:
    """The latest Mapping Plan: per target column its sources, DSL pipeline, compiled previews,
    sample results and decision."""
    digest, body = _plan(c, run_id)
    used(request, artifacts=[digest])
    return etagged(request, {"hash": digest, "plan": body})


@router.get("/runs/{run_id}/mapping/{column}", summary="One target column's mapping decision")
def mapping_column(run_id: str, column: str, request: Request, c: CallerDep) -> dict[str, Any]:
    digest, body = _plan(c, run_id)
    for entry in body.get("columns", []):
        if entry.get("target") == column:
            used(request, artifacts=[digest])
            return {"hash": digest, "column": entry}
    raise NotFoundError(
        f"the Mapping Plan of run {run_id} has no column {column!r}", field="column"
    )
