"""The run graph (LangGraph): supervisor -> each stage -> its gate, durable in PostgreSQL.

```
START -> supervisor -> ingest -> gate_ingest -> (next stage -> its gate ...) -> finish -> END
                          ^            |
                          +-- retry ---+   (fix after a hold, or a transient failure)
```

The supervisor node checks the contract against its pinned Policy Manifest, chooses the lane and
allocates the per-stage budgets, and records all three on the ledger. Each stage node runs its
specialist step (``supervisor.stages``); each gate decides from the step's metrics, the contract
and the Threshold Profile (``supervisor.gates``) and records the decision with the step's output
hashes. A stage with an ``after_accept`` (Migration: its promotion) runs it once its gate accepts,
as the contract's actor, or as the person who accepted a held gate. A gate that holds (or
escalates) pauses the run with ``interrupt()``; :func:`resume_run` answers it.

State holds references (artifact hashes, counts, decisions), never payloads. The checkpointer
is LangGraph's PostgreSQL saver on the control-plane database, one thread per run, so a run whose
process dies continues from its last checkpoint with :func:`resume_run` (or
:func:`start_run`). Nodes are idempotent: a node that runs again (after a crash, or from its top
after ``interrupt()``) finds its artifacts by content hash and its ledger events by their
outputs, and writes nothing twice. A gate's only writes before its ``interrupt()`` are such
idempotent appends.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

from core.canonical import content_hash
from core.contract import RunContract, parse_contract
from core.errors import ConduitError, ContractError
from core.observability import bind_run, set_error, span
from ledger.events import Decision, HumanConfirmation, LedgerEvent, Stage
from ledger.store import PostgresLedger
from policy.manifest import PolicyManifest
from policy.rbac import require
from supervisor.gates import HUMAN_DECISIONS, Failure, GateOutcome, decide
from supervisor.lanes import LaneChoice, choose_lane
from supervisor.planning import lane_record, lane_signals, stage_budgets
from supervisor.progress import ProgressReporter
from supervisor.stages import STAGES, StageContext, StageSpec

if TYPE_CHECKING:
    from langgraph.checkpoint.postgres import PostgresSaver

    from core.db import Database
    from core.profiles import ThresholdProfile

__all__ = [
    "GraphContext",
    "RunState",
    "context_for",
    "check_resume",
    "current_state",
    "lane_signals",
    "plan_lane",
    "prune_checkpoints",
    "resume_run",
    "run_status",
    "start_run",
]

_FINISHED = ("completed", "stopped:reject", "stopped")


class RunState(TypedDict, total=False):
    run_id: str
    lane: str
    lane_choice: dict[str, Any]  # the lane, its reasons, the hint and whether it was overridden
    budgets: dict[str, Any]
    # One record per stage: {"outputs", "metrics", "failure", "attempt"}, and its gate's decision.
    ingest: dict[str, Any]
    domains: dict[str, Any]
    mapping: dict[str, Any]
    analysis: dict[str, Any]
    migration: dict[str, Any]
    decisions: dict[str, str]
    route: str  # where the last gate sends the run: "next", "again" or "end"
    status: str
    error: dict[str, Any] | None


@dataclass(frozen=True)
class GraphContext:
    """What nodes need besides the state (kept out of checkpoints)."""

    db: Database
    manifest: PolicyManifest
    pii_key: bytes
    base: Path  # relative LHS paths are read from here (the contract file's folder)
    env: Mapping[str, str] = field(default_factory=dict)  # for `env:VARNAME` SQL locations
    # Lane signals known outside the run (§4): jobs waiting per lane when the run was queued,
    # and whether the inference providers pass their health probes.
    queue_depth: Mapping[str, int] = field(default_factory=dict)
    providers_healthy: bool = True


def context_for(
    db: Database,
    run_id: str,
    *,
    base: Path,
    home: Path,
    secret: str | None,
    env: Mapping[str, str] | None = None,
    queue_depth: Mapping[str, int] | None = None,
) -> GraphContext:
    """The context of a run: its pinned Policy Manifest and the tenant's pseudonym key."""
    from supervisor.policies import pii_key, stored_manifest
    from supervisor.runs import get_run

    run = get_run(db, run_id)
    with db.connect() as conn:
        manifest = stored_manifest(conn, run.policy_version)
    return GraphContext(
        db=db,
        manifest=manifest,
        pii_key=pii_key(home, secret),
        base=base,
        env=dict(env or {}),
        queue_depth=dict(queue_depth or {}),
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


def run_status(db: Database, run_id: str) -> str:
    """The run's status as stored: created, running, held, completed, stopped:reject, failed."""
    from supervisor.runs import get_run

    return get_run(db, run_id).status


def _contract(ctx: GraphContext, run_id: str) -> RunContract:
    from supervisor.runs import get_run

    return parse_contract(get_run(ctx.db, run_id).contract)


def _profile(ctx: GraphContext, contract: RunContract) -> ThresholdProfile:
    from core.errors import NotFoundError
    from supervisor.reference import stored_profile

    with ctx.db.connect() as conn:
        profile = stored_profile(conn, contract.threshold_profile_id)
    if profile is None:
        raise NotFoundError(f"no threshold profile {contract.threshold_profile_id}")
    return profile


def plan_lane(ctx: GraphContext, run_id: str) -> LaneChoice:
    """The lane the run goes to (``supervisor.lanes.choose_lane`` on ``lane_signals``): what the
    supervisor node records, and where ``supervisor.dispatch`` queues the run."""
    contract = _contract(ctx, run_id)
    return choose_lane(lane_signals(ctx, contract), contract.lane_hint)


def _event(
    ctx: GraphContext, contract: RunContract, spec_stage: Stage, decision: Decision, **fields: Any
) -> LedgerEvent:
    return LedgerEvent(
        stage=spec_stage,
        decision=decision,
        policy_version=ctx.manifest.version,
        threshold_profile_id=contract.threshold_profile_id,
        dsl_version=contract.dsl_version,
        **fields,
    )


def _supervisor_node(ctx: GraphContext, state: RunState) -> RunState:
    from policy.contract_check import check_contract

    run_id = state["run_id"]
    contract = _contract(ctx, run_id)
    check_contract(ctx.manifest, contract)
    profile = _profile(ctx, contract)
    choice = lane_record(choose_lane(lane_signals(ctx, contract), contract.lane_hint))
    budgets = stage_budgets(contract, profile)
    _append_once(
        ctx,
        _event(
            ctx,
            contract,
            "SUPERVISOR",
            "accept",
            run_id=run_id,
            outputs_hash=content_hash({"lane": choice, "budgets": budgets}),
        ),
    )
    _set_status(ctx, run_id, "running", str(choice["lane"]))
    return {"lane": str(choice["lane"]), "lane_choice": choice, "budgets": budgets, "error": None}


def _record(state: RunState, stage: str) -> dict[str, Any]:
    """A stage's record in the state (empty before the stage ran)."""
    return dict(cast(Mapping[str, Any], state).get(stage) or {})


def _with(stage: str, record: dict[str, Any]) -> RunState:
    """A state update setting a stage's record."""
    return cast(RunState, {stage: record})


def _stage_node(ctx: GraphContext, spec: StageSpec, state: RunState) -> RunState:
    run_id = state["run_id"]
    with bind_run(run_id), span(f"stage.{spec.name}", run_id=run_id, stage=spec.name) as current:
        update = _stage(ctx, spec, state)
        failure = _record(update, spec.name).get("failure")
        if failure:
            set_error(current, f"{failure['code']}: {failure['message']}")
        return update


def _stage(ctx: GraphContext, spec: StageSpec, state: RunState) -> RunState:
    run_id = state["run_id"]
    record = _record(state, spec.name)
    attempt = int(record.get("attempt", 0))
    if record.get("failure") and record["failure"]["transient"]:
        time.sleep(min(0.5 * 2**attempt, 5.0))  # back off before a retry
    contract = _contract(ctx, run_id)
    step_ctx = _step_context(ctx, spec, state, contract)
    try:
        result = spec.step(step_ctx, run_id, contract)
    except ConduitError as e:
        failure = Failure(e.code, e.info.error_class == "transient", e.message, e.field)
        return _with(spec.name, {"attempt": attempt, "failure": failure.as_dict()})
    done = {"attempt": attempt, "failure": None, "outputs": result.outputs}
    return _with(spec.name, done | {"metrics": result.metrics})


def _step_context(
    ctx: GraphContext, spec: StageSpec, state: RunState, contract: RunContract
) -> StageContext:
    run_id = state["run_id"]
    earlier = [s.name for s in _stages(contract)]
    earlier = earlier[: earlier.index(spec.name)]
    return StageContext(
        db=ctx.db,
        manifest=ctx.manifest,
        pii_key=ctx.pii_key,
        base=ctx.base,
        env=ctx.env,
        report=ProgressReporter(ctx.db, run_id),
        profile=_profile(ctx, contract),
        inputs={name: _record(state, name).get("outputs") or {} for name in earlier},
        lane=str(state.get("lane") or "interactive"),
        budget=(state.get("budgets") or {}).get(spec.name) or {},
    )


def _gate_node(ctx: GraphContext, spec: StageSpec, state: RunState) -> RunState:
    from langgraph.errors import GraphInterrupt

    run_id = state["run_id"]
    with bind_run(run_id), span(f"gate.{spec.name}", run_id=run_id, stage=spec.name) as current:
        try:
            update = _gate(ctx, spec, state)
        except GraphInterrupt as e:  # a hold pauses the run: not an error of the span
            current.set_attribute("conduit.decision", "hold")
            held = e
        else:
            decision = (update.get("decisions") or {}).get(spec.name)
            current.set_attribute("conduit.decision", str(decision))
            return update
    raise held


def _gate(ctx: GraphContext, spec: StageSpec, state: RunState) -> RunState:
    from langgraph.types import interrupt

    run_id = state["run_id"]
    record = _record(state, spec.name)
    contract = _contract(ctx, run_id)
    failure = Failure.from_dict(record["failure"]) if record.get("failure") else None
    rule = None if failure else spec.gate(record["metrics"], contract, _profile(ctx, contract))
    attempt = int(record["attempt"])
    outcome = decide(
        rule, failure=failure, attempt=attempt, confirm=contract.human_confirm_required
    )
    inputs = content_hash(record.get("outputs"))
    common: dict[str, Any] = {"run_id": run_id, "inputs_hash": inputs}
    if failure:
        common["error_code"] = failure.code

    def gate_event(outcome: GateOutcome, **extra: Any) -> LedgerEvent:
        body = {"gate": spec.name, "attempt": attempt, "decision": outcome.decision}
        outputs = content_hash(body | {"reasons": list(outcome.reasons)} | extra)
        return _event(
            ctx, contract, spec.ledger_stage, outcome.decision, outputs_hash=outputs, **common
        )

    _append_once(ctx, gate_event(outcome))
    decision = outcome.decision
    who = (contract.rbac_actor.user_id, contract.rbac_actor.role)
    if outcome.waits_for_a_person:
        _set_status(ctx, run_id, "held")
        allowed = [d for d in HUMAN_DECISIONS if not (failure and d == "accept")]
        answer = interrupt(
            {
                "stage": spec.name,
                "decision": decision,
                "reasons": list(outcome.reasons),
                "allowed": allowed,
                "outputs": record.get("outputs"),
            }
        )
        decision = answer["decision"]
        who = (answer["actor"], answer["role"])
        confirmed = GateOutcome(decision, (f"decided by {answer['actor']} ({answer['role']})",))
        confirmation = HumanConfirmation(
            required=True, actor=answer["actor"], timestamp=dt.datetime.now(dt.UTC)
        )
        _append_once(
            ctx,
            gate_event(confirmed, actor=answer["actor"]).model_copy(
                update={"human_confirmation": confirmation}
            ),
        )
        _set_status(ctx, run_id, "running")
    return _after(ctx, spec, state, record, decision, failure, who)


def _after(
    ctx: GraphContext,
    spec: StageSpec,
    state: RunState,
    record: dict[str, Any],
    decision: str,
    failure: Failure | None,
    who: tuple[str, str],
) -> RunState:
    run_id = state["run_id"]
    decisions = dict(state.get("decisions") or {}) | {spec.name: decision}
    if decision == "accept" and spec.after_accept is not None:
        contract = _contract(ctx, run_id)
        try:
            after = spec.after_accept(
                _step_context(ctx, spec, state, contract), run_id, contract, *who
            )
        except ConduitError as e:
            problem = Failure(e.code, e.info.error_class == "transient", e.message, e.field)
            _set_status(ctx, run_id, "failed")
            return {
                "decisions": decisions,
                "route": "end",
                "status": "failed",
                "error": problem.as_dict(),
            }
        record = record | {"after_accept": after}
        return _with(spec.name, record) | {"decisions": decisions, "route": "next"}
    if decision in ("retry", "fix"):
        again = record | {"attempt": int(record["attempt"]) + 1}
        return _with(spec.name, again) | {"decisions": decisions, "route": "again"}
    if decision == "reject":
        status = "failed" if failure else "stopped:reject"
        _set_status(ctx, run_id, status)
        error = failure.as_dict() if failure else None
        return {"decisions": decisions, "route": "end", "status": status, "error": error}
    return {"decisions": decisions, "route": "next"}


def _finish_node(ctx: GraphContext, state: RunState) -> RunState:
    run_id = state["run_id"]
    contract = _contract(ctx, run_id)
    stages = {s.name: _record(state, s.name).get("outputs") for s in _stages(contract)}
    _append_once(
        ctx,
        _event(
            ctx,
            contract,
            "SUPERVISOR",
            "accept",
            run_id=run_id,
            inputs_hash=content_hash(stages),
            outputs_hash=content_hash({"run": "completed", "stages": stages}),
        ),
    )
    _set_status(ctx, run_id, "completed")
    return {"status": "completed"}


def _stages(contract: RunContract) -> list[StageSpec]:
    return [s for s in STAGES if contract.mode in s.modes]


def _build(ctx: GraphContext, saver: PostgresSaver, contract: RunContract) -> Any:
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(RunState)
    graph.add_node("supervisor", lambda s: _supervisor_node(ctx, s))
    graph.add_node("finish", lambda s: _finish_node(ctx, s))
    graph.add_edge(START, "supervisor")
    stages = _stages(contract)
    for i, spec in enumerate(stages):
        graph.add_node(spec.name, lambda s, spec=spec: _stage_node(ctx, spec, s))
        graph.add_node(f"gate_{spec.name}", lambda s, spec=spec: _gate_node(ctx, spec, s))
        if i == 0:  # a later stage is reached only through the conditional edges of its gate
            graph.add_edge("supervisor", spec.name)
        graph.add_edge(spec.name, f"gate_{spec.name}")
        following = stages[i + 1].name if i + 1 < len(stages) else "finish"
        graph.add_conditional_edges(
            f"gate_{spec.name}",
            lambda s: s["route"],
            {"next": following, "again": spec.name, "end": END},
        )
    if not stages:
        graph.add_edge("supervisor", "finish")
    graph.add_edge("finish", END)
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


def _outcome(graph: Any, run_id: str, state: Mapping[str, Any]) -> RunState:
    """The state after an invoke, with ``status`` "held" and what the gate waits for."""
    result: dict[str, Any] = dict(state)
    result.pop("route", None)
    result.pop("__interrupt__", None)  # LangGraph's own key; ``held`` says the same in JSON
    snapshot = graph.get_state(_config(run_id))
    if snapshot.interrupts:
        result["status"] = "held"
        result["held"] = snapshot.interrupts[0].value
    return result  # type: ignore[return-value]


def current_state(ctx: GraphContext, run_id: str) -> RunState:
    """The run's state as last checkpointed, with ``held`` when a gate waits for a person."""
    contract = _contract(ctx, run_id)
    with _saver(ctx.db) as saver:
        graph = _build(ctx, saver, contract)
        return _outcome(graph, run_id, graph.get_state(_config(run_id)).values)


def start_run(ctx: GraphContext, run_id: str) -> RunState:
    """Drive the run until it completes, fails or a gate holds it.

    A run that was started before continues where it stopped (after a crash, from its last
    checkpoint); a failed run starts again from the top (its finished work is found, not redone);
    a finished run is returned as it is.
    """
    contract = _contract(ctx, run_id)
    with _saver(ctx.db) as saver:
        graph = _build(ctx, saver, contract)
        snapshot = graph.get_state(_config(run_id))
        if snapshot.next:
            first: dict[str, Any] | None = None
        elif snapshot.values and run_status(ctx.db, run_id) in _FINISHED:
            return _outcome(graph, run_id, snapshot.values)
        else:
            first = {"run_id": run_id, "status": "running"}
        state = graph.invoke(first, _config(run_id))
        return _outcome(graph, run_id, state)


def _check_answer(
    ctx: GraphContext,
    held: dict[str, Any],
    run_id: str,
    decision: str | None,
    actor: str | None,
    role: str | None,
) -> dict[str, Any]:
    if decision is None or actor is None or role is None:
        raise ContractError(
            f"run {run_id} is held at the {held['stage']} gate: give --decision "
            f"({', '.join(held['allowed'])}), --actor and --role",
            field="--decision",
        )
    if decision not in held["allowed"]:
        raise ContractError(
            f"decision must be one of {', '.join(held['allowed'])}", field="--decision"
        )
    require(ctx.manifest, role, "create_run", actor=actor)
    return held


def check_resume(
    ctx: GraphContext,
    run_id: str,
    *,
    decision: str | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> None:
    """Raise what :func:`resume_run` would raise before it runs anything: no decision awaited,
    nothing to resume, a decision not allowed, a role not allowed (so a queued resume fails at
    once, in the caller, not later on a worker)."""
    contract = _contract(ctx, run_id)
    if run_status(ctx.db, run_id) == "stopped":
        raise ContractError(f"run {run_id} was stopped; create a new run", field="run_id")
    with _saver(ctx.db) as saver:
        snapshot = _build(ctx, saver, contract).get_state(_config(run_id))
    if snapshot.interrupts:
        _check_answer(ctx, snapshot.interrupts[0].value, run_id, decision, actor, role)
    elif decision is not None:
        raise ContractError(f"run {run_id} is not waiting for a decision", field="run_id")
    elif not snapshot.next:
        status = run_status(ctx.db, run_id)
        raise ContractError(f"run {run_id} has nothing to resume ({status})")


def resume_run(
    ctx: GraphContext,
    run_id: str,
    *,
    decision: str | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> RunState:
    """Continue a run: answer a held gate (``accept``, ``reject`` or ``fix``, by ``actor`` in
    ``role``), or, with no decision, continue a run whose process died mid-way."""
    from langgraph.types import Command

    contract = _contract(ctx, run_id)
    with _saver(ctx.db) as saver:
        graph = _build(ctx, saver, contract)
        snapshot = graph.get_state(_config(run_id))
        if not snapshot.interrupts:
            if decision is not None:
                raise ContractError(f"run {run_id} is not waiting for a decision", field="run_id")
            if not snapshot.next:
                status = run_status(ctx.db, run_id)
                raise ContractError(f"run {run_id} has nothing to resume ({status})")
            return _outcome(graph, run_id, graph.invoke(None, _config(run_id)))
        _check_answer(ctx, snapshot.interrupts[0].value, run_id, decision, actor, role)
        answer = {"decision": decision, "actor": actor, "role": role}
        state = graph.invoke(Command(resume=answer), _config(run_id))
        return _outcome(graph, run_id, state)


def prune_checkpoints(db: Database, *, delete: bool = False) -> int:
    """Prune the checkpoints of finished runs (completed or stopped): keep each run's last one,
    or with ``delete`` remove them all (a finished run is never resumed). Returns the run count.
    Runs still going, held or failed keep every checkpoint."""
    from sqlalchemy import text

    with db.connect() as conn:
        finished = [
            r
            for (r,) in conn.execute(
                text("SELECT run_id FROM runs WHERE status = ANY(:s)"), {"s": list(_FINISHED)}
            )
        ]
    if finished:
        with _saver(db) as saver:
            saver.prune(finished, strategy="delete" if delete else "keep_latest")
    return len(finished)
