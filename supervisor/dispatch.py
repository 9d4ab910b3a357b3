"""Queue a run on its lane: the one road from the CLI (and the HTTP API) to a running graph.

``dispatch`` picks the lane with the supervisor's own rule (``supervisor.graph.plan_lane``, on
the queue depths it reads from the executor), then submits ``supervisor.jobs.run_job`` to that
lane's executor: a thread pool in this process without Redis, the lane's RQ queue (served by
``conduit worker --lane NAME``) with ``CONDUIT_REDIS_URL``. The queue depths travel with the job,
so the lane the supervisor node records is the lane the run was queued on.

A resumed run goes back to the lane it was given when it started. The job's deadline is the
run's own: the sum of its contract's wall-time budgets, plus ``RUN_OVERHEAD_S`` for opening the
store and the checkpoints (a whole run is not one interactive prompt).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from supervisor.lanes import DEADLINES, LANES, QUEUES

if TYPE_CHECKING:
    from core.contract import Lane
    from supervisor.executors import JobHandle, LaneExecutor
    from supervisor.graph import GraphContext
    from supervisor.jobs import JSON

__all__ = ["RUN_JOB", "RUN_OVERHEAD_S", "Dispatched", "dispatch", "run_deadline_s"]

RUN_JOB = "supervisor.jobs.run_job"
#: Seconds a run job is given on top of its stage budgets (store, checkpoints, models loaded).
RUN_OVERHEAD_S = 300.0


@dataclass(frozen=True)
class Dispatched:
    """A run handed to a lane.

    Attributes:
        handle: the job; ``handle.result(timeout)`` waits for the run to stop (or hold).
        lane: the lane it runs on.
        queue: that lane's Redis queue name (the lane name when on threads).
        deadline_s: the job's deadline.
    """

    handle: JobHandle
    lane: Lane
    queue: str
    deadline_s: float


def run_deadline_s(ctx: GraphContext, run_id: str) -> float:
    """The deadline of one run job: its contract's wall-time budgets plus the overhead, and never
    less than the lane's own job deadline."""
    from core.contract import parse_contract
    from supervisor.runs import get_run

    contract = parse_contract(get_run(ctx.db, run_id).contract)
    budgets = sum(cap.wall_time_s for cap in contract.budget_caps.values())
    return float(budgets) + RUN_OVERHEAD_S


def dispatch(
    ctx: GraphContext,
    executor: LaneExecutor,
    run_id: str,
    *,
    action: Literal["start", "resume"] = "start",
    decision: str | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> Dispatched:
    """Submit the run to its lane's executor and return at once.

    Raises:
        NotFoundError: no such run.
        ContractError: the run was stopped, or a resume it cannot take.
        PolicyBlock: the run's actor may not start runs (a viewer, §32).
        TransientError: the lane's queue cannot be reached.
    """
    from core.errors import ContractError
    from supervisor.graph import check_resume, plan_lane
    from supervisor.runs import get_run

    run = get_run(ctx.db, run_id)
    if run.status == "stopped":
        raise ContractError(f"run {run_id} was stopped; create a new run", field="run_id")
    if action == "resume":
        check_resume(ctx, run_id, decision=decision, actor=actor, role=role)
    depth: dict[str, int] = {lane: executor.queue_depth(lane) for lane in LANES}
    stored = run.lane
    if action == "resume" and stored in LANES:
        lane: Lane = stored
    else:
        lane = plan_lane(replace(ctx, queue_depth=depth), run_id).lane
    kwargs: dict[str, JSON] = {
        "run_id": run_id,
        "base": str(ctx.base.resolve()),
        "action": action,
        "queue_depth": dict(depth),
        "decision": decision,
        "actor": actor,
        "role": role,
    }
    deadline = max(run_deadline_s(ctx, run_id), DEADLINES[lane].job_s)
    handle = executor.submit(lane, RUN_JOB, kwargs, timeout_s=deadline)
    return Dispatched(handle=handle, lane=lane, queue=QUEUES[lane], deadline_s=deadline)
