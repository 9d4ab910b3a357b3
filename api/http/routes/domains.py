"""Domains: catalog versions, feedback on a column's domain, staging and promotion (§10, §32).

The domain catalog is shared by every tenant of a deployment (it is reference data, like the
threshold profiles): staging and promotion are open to the roles the Policy Manifest allows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.http.deps import CallerDep
from api.http.errors import ERROR_RESPONSES
from policy.rbac import require

router = APIRouter(prefix="/v1", tags=["domains"], responses=ERROR_RESPONSES)

Text = Annotated[str, Field(min_length=1, max_length=200)]


class FeedbackIn(BaseModel):
    header: Text
    domain: Text = Field(description="The domain the person decided on.")
    proposed: Text | None = Field(None, description="The domain Conduit proposed.")
    run_id: Annotated[str, Field(max_length=64)] | None = None
    table: Text | None = None


class DeltaIn(BaseModel):
    kind: Literal["alias", "regex", "example"]
    domain_id: Text
    value: Annotated[str, Field(min_length=1, max_length=500)]


class StageIn(BaseModel):
    deltas: list[DeltaIn] = Field(default_factory=list, max_length=500)
    auto: bool = Field(False, description="Stage every automatic proposal of the feedback too.")


@router.get("/domains", summary="Domain catalog versions")
def versions(c: CallerDep) -> dict[str, Any]:
    from specialists.domains.live import live_ref
    from specialists.domains.promotion import catalog_versions

    with c.api.db.connect() as conn:
        ref = live_ref(conn)
    return {
        "live": {"version": ref.version, "hash": ref.hash, "bundled": ref.bundled},
        "versions": [v.as_dict() for v in catalog_versions(c.api.db)],
    }


@router.post("/domains/feedback", status_code=201, summary="Record a domain decision")
def feedback(body: FeedbackIn, c: CallerDep) -> dict[str, Any]:
    from specialists.domains.promotion import Feedback, record_feedback
    from supervisor.runs import get_run

    require(c.api.newest_manifest(), c.role, "create_run", actor=c.actor)
    if body.run_id is not None:
        get_run(c.db, body.run_id, tenant=c.tenant)
    verdict: Literal["accept", "override"] = (
        "accept" if body.proposed in (None, body.domain) else "override"
    )
    decided = Feedback(
        body.header,
        body.domain,
        verdict,
        body.proposed,
        run_id=body.run_id,
        table=body.table,
        column=body.header,
    )
    feedback_id = record_feedback(c.api.db, decided, actor=c.actor, role=c.role)
    return {"feedback_id": feedback_id, "verdict": verdict}


@router.get("/domains/proposals", summary="Aliases the feedback proposes")
def proposals(c: CallerDep) -> dict[str, Any]:
    from specialists.domains.promotion import proposals as found

    return {
        "proposals": [
            {
                "header": p.header,
                "domain_id": p.domain_id,
                "support": p.support,
                "total": p.total,
                "precision": p.precision,
                "auto": p.auto,
            }
            for p in found(c.api.db)
        ]
    }


@router.post("/domains/stage", status_code=201, summary="Stage a catalog version")
def stage(body: StageIn, c: CallerDep) -> dict[str, Any]:
    """The live catalog plus the deltas (and the automatic proposals), as a staged version."""
    from core.errors import ContractError
    from specialists.domains.promotion import Delta, proposals, stage

    require(c.api.newest_manifest(), c.role, "promote_domains", actor=c.actor)
    picked = [p for p in proposals(c.api.db) if p.auto] if body.auto else []
    deltas = [p.delta for p in picked] + [Delta(d.kind, d.domain_id, d.value) for d in body.deltas]
    if not deltas:
        raise ContractError("nothing to stage: give deltas, or auto with proposals", field="deltas")
    ids = [i for p in picked for i in p.feedback_ids]
    staged = stage(c.api.db, deltas, actor=c.actor, role=c.role, feedback_ids=ids)
    return staged.as_dict()


@router.post("/domains/{version}/promote", summary="Promote a staged catalog version")
def promote(version: str, c: CallerDep) -> dict[str, Any]:
    """Make a staged, tested version live (refused, on the ledger, if it lowers a metric)."""
    from specialists.domains.promotion import promote

    promoted = promote(
        c.api.db, version, actor=c.actor, role=c.role, manifest=c.api.newest_manifest()
    )
    return promoted.as_dict()
