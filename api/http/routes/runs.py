"""Runs: create, list, get, stop, resume; their state, ledger, decision summary and tickets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from api.cli import render
from api.http.deps import CallerDep, used
from api.http.errors import ERROR_RESPONSES
from api.http.etag import etagged
from core.errors import PolicyBlock

router = APIRouter(prefix="/v1", tags=["runs"], responses=ERROR_RESPONSES)

RunId = Annotated[str, Field(min_length=1, max_length=64)]


class CreateRun(BaseModel):
    """A Run Contract (§28), and whether to start the run at once."""

    contract: dict[str, Any] = Field(description="The Run Contract, as its YAML/JSON reads.")
    start: bool = Field(True, description="Queue the run on its lane at once.")


class Resume(BaseModel):
    """The answer to a held gate; no decision continues a run whose process stopped."""

    decision: Literal["accept", "reject", "fix"] | None = None


class TicketIn(BaseModel):
    kind: Literal["question", "escalation", "fix_request"]
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=10_000)
    stage: str | None = Field(None, max_length=40)


def _with_actor(contract: dict[str, Any], user_id: str, role: str) -> dict[str, Any]:
    """The contract with the key's actor; a contract naming another actor is refused."""
    named = contract.get("rbac_actor")
    if isinstance(named, dict) and named and named != {"user_id": user_id, "role": role}:
        raise PolicyBlock(
            f"the contract's rbac_actor {named} is not this key's ({user_id}, {role}); "
            "leave rbac_actor out and the key's actor is used",
            field="contract.rbac_actor",
        )
    return {**contract, "rbac_actor": {"user_id": user_id, "role": role}}


def _view(c: CallerDep, run: Any) -> dict[str, Any]:
    from ledger.store import PostgresLedger

    with c.db.connect() as conn:
        summary = PostgresLedger(conn).summary(run.run_id)
    data = render.run_dict(run)
    data["tenant"] = run.tenant_id
    data["decision_summary"] = render.summary_dict(summary)
    return data


def _dispatch(c: CallerDep, run_id: str, **kwargs: Any) -> dict[str, Any]:
    from supervisor.dispatch import dispatch

    sent = dispatch(c.api.context(run_id), c.api.executor, run_id, **kwargs)
    return {"lane": sent.lane, "queue": sent.queue, "job_id": sent.handle.id}


@router.post("/runs", status_code=201, summary="Create a run")
def create_run(
    body: CreateRun,
    request: Request,
    response: Response,
    c: CallerDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """Create a run from a Run Contract as the key's actor; retries with the same
    ``Idempotency-Key`` return the run already created (200 instead of 201)."""
    from supervisor.locations import check_locations
    from supervisor.runs import create_run as create

    contract = _with_actor(body.contract, c.actor, c.role)
    check_locations(contract, c.api.data_root)
    result = create(c.db, contract, idempotency_key=idempotency_key, tenant=c.tenant)
    run = result.run
    if not result.created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/runs/{run.run_id}"
    data = _view(c, run) | {"created": result.created}
    if body.start and result.created:
        data["queued"] = _dispatch(c, run.run_id)
    used(request, policy=c.api.manifest(run.policy_version), artifacts=[run.contract_hash])
    return data


@router.get("/runs", summary="List runs")
def list_runs(
    c: CallerDep,
    status: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The tenant's runs, newest first."""
    from supervisor.runs import list_runs as runs

    found = runs(c.db, tenant=c.tenant, status=status, limit=limit)
    return {"runs": [render.run_dict(r) | {"tenant": r.tenant_id} for r in found]}


@router.get("/runs/{run_id}", summary="Get a run")
def get_run(run_id: str, request: Request, c: CallerDep) -> Response:
    """A run: contract, pins, status, lane and decision summary (strong ETag)."""
    from supervisor.runs import get_run as get

    run = get(c.db, run_id, tenant=c.tenant)
    data = _view(c, run)
    used(request, policy=c.api.manifest(run.policy_version), artifacts=[run.contract_hash])
    return etagged(request, data)


@router.get("/runs/{run_id}/state", summary="A run's graph state (with the held gate)")
def run_state(run_id: str, c: CallerDep) -> dict[str, Any]:
    """The run's state as last checkpointed: stage records and, when a gate waits for a person,
    ``held`` with the stage, the reasons and the decisions allowed."""
    from supervisor.graph import current_state
    from supervisor.runs import get_run as get

    get(c.db, run_id, tenant=c.tenant)
    state: dict[str, Any] = dict(current_state(c.api.context(run_id), run_id))
    return state


@router.post("/runs/{run_id}/stop", summary="Stop a run")
def stop_run(run_id: str, c: CallerDep) -> dict[str, Any]:
    """Stop a created, held or failed run; it cannot be started or resumed again."""
    from supervisor.runs import stop_run as stop

    run = stop(c.db, run_id, actor=c.actor, role=c.role, tenant=c.tenant)
    return _view(c, run)


@router.post("/runs/{run_id}/start", status_code=202, summary="Start a run")
def start_run(run_id: str, c: CallerDep) -> dict[str, Any]:
    """Queue a created (or crashed) run on its lane."""
    from policy.rbac import require
    from supervisor.runs import get_run as get

    run = get(c.db, run_id, tenant=c.tenant)
    ctx = c.api.context(run_id)
    require(ctx.manifest, c.role, "create_run", actor=c.actor)
    return {"run_id": run.run_id, "queued": _dispatch(c, run_id)}


@router.post("/runs/{run_id}/resume", status_code=202, summary="Resume a run")
def resume_run(run_id: str, body: Resume, c: CallerDep) -> dict[str, Any]:
    """Answer a held gate as the key's actor (or continue a crashed run) and queue the run."""
    from supervisor.runs import get_run as get

    get(c.db, run_id, tenant=c.tenant)
    queued = _dispatch(
        c, run_id, action="resume", decision=body.decision, actor=c.actor, role=c.role
    )
    return {"run_id": run_id, "decision": body.decision, "actor": c.actor, "queued": queued}


@router.get("/runs/{run_id}/ledger", summary="A run's ledger")
def ledger(run_id: str, request: Request, c: CallerDep, verify: bool = False) -> dict[str, Any]:
    """The run's ledger events in order; with ``verify``, the hash chain checked."""
    from ledger.store import PostgresLedger
    from supervisor.runs import get_run as get

    get(c.db, run_id, tenant=c.tenant)
    with c.db.connect() as conn:
        store = PostgresLedger(conn)
        events = store.events(run_id)
        check = store.verify(run_id) if verify else None
    data: dict[str, Any] = {"run_id": run_id, "events": [e.model_dump(mode="json") for e in events]}
    if check is not None:
        data["verification"] = {
            "ok": check.ok,
            "events_checked": check.events_checked,
            "problem": check.problem,
            "event_id": check.event_id,
            "seq": check.seq,
        }
    used(request, artifacts=[e.event_hash for e in events[-1:]])
    return data


@router.get("/runs/{run_id}/summary", summary="A run's decision summary")
def summary(run_id: str, c: CallerDep) -> dict[str, Any]:
    from ledger.store import PostgresLedger
    from supervisor.runs import get_run as get

    get(c.db, run_id, tenant=c.tenant)
    with c.db.connect() as conn:
        found = PostgresLedger(conn).summary(run_id)
    return {"run_id": run_id, "decision_summary": render.summary_dict(found)}


@router.get("/runs/{run_id}/tickets", summary="A run's supervisor tickets")
def tickets(run_id: str, c: CallerDep) -> dict[str, Any]:
    from supervisor.tickets import list_tickets

    return {"tickets": list_tickets(c.db, run_id, tenant=c.tenant)}


@router.post("/runs/{run_id}/tickets", status_code=201, summary="Open a supervisor ticket")
def open_ticket(run_id: str, body: TicketIn, c: CallerDep) -> dict[str, Any]:
    """Ask the supervisor: a question, an escalation or a fix request (on the ledger)."""
    from supervisor.tickets import open_ticket as open_one

    return open_one(
        c.db,
        run_id,
        kind=body.kind,
        subject=body.subject,
        body=body.body,
        stage=body.stage,
        actor=c.actor,
        role=c.role,
        tenant=c.tenant,
    )
