"""The run graph (LangGraph): supervisor -> Ingest -> gate, durable in PostgreSQL.

State holds references (artifact hashes, decisions), never payloads. The checkpointer is
LangGraph's PostgreSQL saver on the control-plane database, one thread per run, so a run whose
process dies continues from its last checkpoint with ``resume_run``. Nodes are idempotent: a
node that runs again (after a crash, or from its top after ``interrupt()``) finds its artifacts
by content hash and its ledger event by its outputs, and writes nothing twice.

Stages beyond Ingest are added by their issues; the graph is built from the stages that exist.
This is the first part of issue 6: lanes are chosen and recorded, executors and workers are not
built yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from core.canonical import content_hash
from core.contract import RunContract, parse_contract
from core.errors import ContractError
from ledger.events import HumanConfirmation, LedgerEvent
from ledger.store import PostgresLedger
from policy.manifest import PolicyManifest
from policy.rbac import require
from specialists.ingest.run import ingest_files, ingest_sql, source_files

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres import PostgresSaver

    from core.db import Database

__all__ = [
    "GraphContext",
    "RunState",
    "context_for",
    "prune_checkpoints",
    "resume_run",
    "start_run",
]

_GATE_DECISIONS = ("accept", "reject", "fix")
_BATCH_BYTES = 100 * 1024 * 1024


class RunState(TypedDict, total=False):
    run_id: str
    lane: str
    ingest: dict[str, Any]  # catalog and sample hashes, rows
    gate_ingest: str  # the gate's decision
    status: str


@dataclass(frozen=True)
class GraphContext:
    """What nodes need besides the state (kept out of checkpoints)."""

    db: Database
    manifest: PolicyManifest
    pii_key: bytes
    base: Path  # relative LHS paths are read from here (the contract file's folder)
    env: Mapping[str, str] = field(default_factory=dict)  # for `env:VARNAME` SQL locations


def context_for(
    db: Database,
    run_id: str,
    *,
    base: Path,
    home: Path,
    secret: str | None,
    env: Mapping[str, str] | None = None,
) -> GraphContext:
    """The context of a run: its pinned Policy Manifest and the tenant's pseudonym key."""
    from supervisor.policies import pii_key, stored_manifest
    from supervisor.runs import get_run

    run = get_run(db, run_id)
    with db.connect() as conn:
        manifest = stored_manifest(conn, run.policy_version)
    return GraphContext(
        db=db, manifest=manifest, pii_key=pii_key(home, secret), base=base, env=dict(env or {})
    )


def _append_once(ctx: GraphContext, event: LedgerEvent) -> None:
    """Append ``event`` unless the run holds one of the same stage, decision and outputs."""
    with ctx.db.begin() as conn:
        ledger = PostgresLedger(conn)
        for e in ledger.events(event.run_id):
            if (e.stage, e.decision, e.outputs_hash) == (
                event.stage,
                event.decision,
                event.outputs_hash,
            ):
                return
        ledger.append(event)


def _set_status(ctx: GraphContext, run_id: str, status: str, lane: str | None = None) -> None:
    from sqlalchemy import text

    with ctx.db.begin() as conn:
        conn.execute(
            text(
                "UPDATE runs SET status = :s, lane = COALESCE(:l, lane), updated_at = now() "
                "WHERE run_id = :r"
            ),
            {"s": status, "l": lane, "r": run_id},
        )


def _contract(ctx: GraphContext, run_id: str) -> RunContract:
    from supervisor.runs import get_run

    return parse_contract(get_run(ctx.db, run_id).contract)


def _choose_lane(contract: RunContract, base: Path) -> tuple[str, str]:
    """(lane, why): batch for big sources, the contract's hint otherwise, interactive by default."""
    if contract.lhs.source.type == "file":
        size = sum(p.stat().st_size for p in source_files(contract, base))
        if size > _BATCH_BYTES:
            return "batch", f"sources hold {size} bytes (> {_BATCH_BYTES})"
    if contract.lane_hint:
        return contract.lane_hint, "the contract's lane_hint"
    return "interactive", "small sources"


def _build(ctx: GraphContext, saver: PostgresSaver) -> Any:
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt

    def supervisor(state: RunState) -> RunState:
        contract = _contract(ctx, state["run_id"])
        lane, why = _choose_lane(contract, ctx.base)
        _append_once(
            ctx,
            LedgerEvent(
                run_id=state["run_id"],
                stage="SUPERVISOR",
                decision="accept",
                outputs_hash=content_hash({"lane": lane, "why": why}),
                policy_version=ctx.manifest.version,
                threshold_profile_id=contract.threshold_profile_id,
            ),
        )
        _set_status(ctx, state["run_id"], "running", lane)
        return {"lane": lane}

    def ingest(state: RunState) -> RunState:
        contract = _contract(ctx, state["run_id"])
        if contract.lhs.source.type == "sql":
            outcome = ingest_sql(
                ctx.db,
                run_id=state["run_id"],
                contract=contract,
                manifest=ctx.manifest,
                key=ctx.pii_key,
                env=ctx.env,
            )
        else:
            outcome = ingest_files(
                ctx.db,
                run_id=state["run_id"],
                contract=contract,
                manifest=ctx.manifest,
                key=ctx.pii_key,
                base=ctx.base,
            )
        return {
            "ingest": {
                "catalog": outcome.catalog_hash,
                "sample": outcome.sample_hash,
                "rows": outcome.rows,
            }
        }

    def gate_ingest(state: RunState) -> RunState:
        contract = _contract(ctx, state["run_id"])
        outputs = content_hash(state["ingest"])
        confirmation = HumanConfirmation()
        decision = "accept"
        if contract.human_confirm_required:
            _set_status(ctx, state["run_id"], "held")
            answer = interrupt({"stage": "ingest", "outputs": state["ingest"]})
            decision = answer["decision"]
            confirmation = HumanConfirmation(
                required=True, actor=answer["actor"], timestamp=dt.datetime.now(dt.UTC)
            )
        _append_once(
            ctx,
            LedgerEvent(
                run_id=state["run_id"],
                stage="INGEST",
                decision=decision,
                inputs_hash=outputs,
                outputs_hash=content_hash({"gate": "ingest", "outputs": outputs}),
                policy_version=ctx.manifest.version,
                threshold_profile_id=contract.threshold_profile_id,
                human_confirmation=confirmation,
            ),
        )
        status = "completed" if decision == "accept" else f"stopped:{decision}"
        _set_status(ctx, state["run_id"], status)
        return {"gate_ingest": decision, "status": status}

    graph = StateGraph(RunState)
    graph.add_node("supervisor", supervisor)
    graph.add_node("ingest", ingest)
    graph.add_node("gate_ingest", gate_ingest)
    graph.add_edge(START, "supervisor")
    graph.add_edge("supervisor", "ingest")
    graph.add_edge("ingest", "gate_ingest")
    graph.add_edge("gate_ingest", END)
    return graph.compile(checkpointer=saver)


@contextmanager
def _saver(db: Database) -> Iterator[PostgresSaver]:
    from langgraph.checkpoint.postgres import PostgresSaver

    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with PostgresSaver.from_conn_string(url) as saver:
        saver.setup()
        yield saver


def _config(run_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": run_id}}


def start_run(ctx: GraphContext, run_id: str) -> RunState:
    """Drive the run until it completes or a gate holds it; a started run continues where it
    stopped (after a crash, LangGraph resumes from the last checkpoint)."""
    with _saver(ctx.db) as saver:
        graph = _build(ctx, saver)
        snapshot = graph.get_state(_config(run_id))
        first = None if snapshot.next or snapshot.values else {"run_id": run_id}
        state: RunState = graph.invoke(first, _config(run_id))
        return state


def resume_run(ctx: GraphContext, run_id: str, *, decision: str, actor: str, role: str) -> RunState:
    """Answer a held gate (``accept``, ``reject`` or ``fix``) and continue the run."""
    from langgraph.types import Command

    if decision not in _GATE_DECISIONS:
        raise ContractError(
            f"decision must be one of {', '.join(_GATE_DECISIONS)}", field="--decision"
        )
    require(ctx.manifest, role, "create_run", actor=actor)
    with _saver(ctx.db) as saver:
        graph = _build(ctx, saver)
        snapshot = graph.get_state(_config(run_id))
        if not snapshot.interrupts:
            raise ContractError(f"run {run_id} is not waiting for a decision", field="run_id")
        answer = {"decision": decision, "actor": actor, "role": role}
        state: RunState = graph.invoke(Command(resume=answer), _config(run_id))
        return state


def prune_checkpoints(db: Database, *, delete: bool = False) -> int:
    """Prune the checkpoints of finished runs (completed or stopped): keep each run's last one,
    or with ``delete`` remove them all (a finished run is never resumed). Returns the run count.
    Runs still going or held keep every checkpoint."""
    from sqlalchemy import text

    with db.connect() as conn:
        finished = [
            r
            for (r,) in conn.execute(
                text(
                    "SELECT run_id FROM runs WHERE status = 'completed' OR status LIKE 'stopped:%'"
                )
            )
        ]
    if finished:
        with _saver(db) as saver:
            saver.prune(finished, strategy="delete" if delete else "keep_latest")
    return len(finished)
