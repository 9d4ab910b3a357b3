"""Policy check (dry run), threshold profiles (get, tune), the pre-send cost estimate, evals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.http.deps import CallerDep, used
from api.http.errors import ERROR_RESPONSES
from core.errors import NotFoundError

router = APIRouter(prefix="/v1", tags=["policy"], responses=ERROR_RESPONSES)


class Tune(BaseModel):
    changes: dict[str, Any] = Field(
        description="Fields of the profile to change, nested as in the profile "
        "(e.g. {'domaining': {'tau_high': 0.85}})."
    )


class Message(BaseModel):
    role: Annotated[str, Field(pattern="^(system|user|assistant)$")]
    content: Annotated[str, Field(max_length=2_000_000)]


class CostRequest(BaseModel):
    messages: list[Message] = Field(min_length=1, max_length=1000)
    models: list[Annotated[str, Field(max_length=120)]] = Field(default_factory=list)
    max_output_tokens: int = Field(512, ge=1, le=1_000_000)


@router.post("/policy/check", summary="Policy check (dry run)")
def policy_check(request: Request, body: dict[str, Any], c: CallerDep) -> dict[str, Any]:
    """What the Policy Engine decides for a request: allowed, the reasons, the masking and the
    providers it may go to. Nothing is sent anywhere."""
    from supervisor.policies import check_request

    decision, manifest = check_request(c.api.db, body, newest=c.api.newest_manifest())
    used(request, policy=manifest)
    return {"policy_version": manifest.version, **decision.model_dump(mode="json")}


@router.get("/profiles", summary="Threshold profiles")
def profiles(c: CallerDep) -> dict[str, Any]:
    from supervisor.tuning import list_profiles, profile_view

    return {"profiles": [profile_view(p) for p in list_profiles(c.api.db)]}


@router.get("/profiles/{profile_id}", summary="One threshold profile")
def profile(profile_id: str, c: CallerDep) -> dict[str, Any]:
    from supervisor.tuning import get_profile, profile_view

    return profile_view(get_profile(c.api.db, profile_id))


@router.post("/profiles/{profile_id}/tune", status_code=201, summary="Tune a profile")
def tune(profile_id: str, body: Tune, c: CallerDep) -> dict[str, Any]:
    """Store the profile with ``changes`` as a new profile (profiles are immutable)."""
    from supervisor.tuning import profile_view, tune_profile

    tuned, new = tune_profile(c.api.db, profile_id, body.changes, actor=c.actor, role=c.role)
    return profile_view(tuned) | {"base": profile_id, "new": new}


@router.post("/cost/estimate", summary="Pre-send cost estimate")
def cost(body: CostRequest, c: CallerDep) -> dict[str, Any]:
    from supervisor.costs import estimate_cost

    return estimate_cost(
        [m.model_dump() for m in body.messages], body.models or None, body.max_output_tokens
    )


@router.get("/evals", summary="Eval reports")
def evals(c: CallerDep) -> dict[str, Any]:
    """The stored eval reports (``conduit eval golden`` and the nightly run), newest last."""
    from api.cli import render
    from artifacts.store import PostgresArtifactStore

    with c.db.connect() as conn:
        metas = PostgresArtifactStore(conn).list(None, kind="eval_report")
    return {"evals": [render.meta_dict(m) for m in metas]}


@router.get("/evals/{hash}", summary="One eval report")
def eval_report(hash: str, c: CallerDep) -> dict[str, Any]:
    from artifacts.store import PostgresArtifactStore

    with c.db.connect() as conn:
        found = PostgresArtifactStore(conn).get(hash)
    if found.meta.kind != "eval_report":
        raise NotFoundError(f"no eval report {hash}", field="hash")
    return {"hash": found.meta.ref.hash, "report": found.body}
