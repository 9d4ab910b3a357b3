"""Processing lanes (§4): which lane a job runs in, why, and the lane deadlines of §46.

Three lanes, fastest first: ``interactive`` (GUI prompt, small catalog ops, hard latency SLO, no
queueing beyond debounce), ``flex`` (non-urgent interactive work: large previews, ad-hoc analysis;
cost-optimized) and ``batch`` (migration chunks, dataset analysis, golden-set evals; checkpointed).
Each lane has one Redis queue (§16): ``interactive_fast``, ``flex_bg``, ``batch_jobs``.

``choose_lane`` is a pure function of the routing signals of §4. Its rules, in order:

1. **Role** (§32). A viewer may not create runs, evals or migrations: only a preview is routed
   for a viewer; anything else raises ``PolicyBlock``. No role buys a faster lane: the role
   decides *whether* work runs, never *where*, so a busy admin cannot starve the interactive SLO.
2. **Job type and size** set the fastest lane the work may use (its *floor*):

   - migration chunks and evals are batch work (§4: checkpointed, auditable);
   - a run whose sources reach ``BATCH_MIN_BYTES`` or ``BATCH_MIN_ROWS`` is batch;
   - a run or preview above ``INTERACTIVE_MAX_BYTES`` or ``INTERACTIVE_MAX_ROWS`` is flex
     (§4: "large previews" are flex); a preview never goes further than flex (it reads a sample);
   - anything smaller may be interactive.
3. **Health, cost and load** can only push interactive work to flex, so the interactive SLO
   holds (§16 "Interactive SLO holds under spike", §38 degradation policy):

   - *providers unhealthy* and the job uses models: flex, where it can wait for a fallback;
   - *a tight cost cap* (``usd_cap`` below ``TIGHT_USD_CAP``) and the job uses models: flex,
     the cost-optimized lane;
   - *a deep interactive queue* (``INTERACTIVE_MAX_QUEUE`` or more jobs waiting): flex.

   A job "uses models" when it is ``sensitive`` (its data holds PII or it sends data to a model)
   and its cap allows spending (a cap of exactly 0 means no model call can be paid for).
   Sensitivity moves nothing else: every lane applies the same Policy Engine (§6).
4. **The hint** (the contract's ``lane_hint``) is followed when it is the floor or a slower lane:
   a hint may slow work down (the user accepts latency), never speed it up past what rules 2-3
   allow. A hint that is not followed is recorded as overridden, with the rule that overrode it.

Deadlines (``DEADLINES``), per lane a queue-wait deadline and a job deadline, and where each
number comes from:

============  ==============================================  ================================
lane          queue wait                                      job
============  ==============================================  ================================
interactive   0.5 s: §4 allows no queueing beyond debounce;   3.5 s: §46 p99 for small prompts
              a quarter of the §46 p95 of 2.0 s               (past it the request has failed
                                                              its SLO: report TIMEOUT, fall
                                                              back)
flex          180 s: §46 flex queue wait p95 <= 3 min         900 s: ours (§46 sets none); a
                                                              flex job that needs longer is
                                                              batch work
batch         none: §46 sets no wait for batch; it drains     600 s: §46 checkpoint MTTR <=
              when capacity allows (§38)                      10 min: a job is sized so a lost
                                                              attempt costs at most the MTTR;
                                                              at the §46 floor of 1M rows/hour
                                                              that is 166k rows per job
============  ==============================================  ================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from core.errors import DeterministicFailure, PolicyBlock

if TYPE_CHECKING:
    from core.contract import Lane, Role

__all__ = [
    "BATCH_MIN_BYTES",
    "BATCH_MIN_ROWS",
    "DEADLINES",
    "INTERACTIVE_MAX_BYTES",
    "INTERACTIVE_MAX_QUEUE",
    "INTERACTIVE_MAX_ROWS",
    "LANES",
    "QUEUES",
    "TIGHT_USD_CAP",
    "JobType",
    "LaneChoice",
    "LaneDeadline",
    "LaneSignals",
    "choose_lane",
]

JobType = Literal["run", "preview", "eval", "migration_chunk"]

#: The lanes, fastest first (the order rules compare in).
LANES: tuple[Lane, ...] = ("interactive", "flex", "batch")
#: The Redis queue of each lane (§16), exactly these names.
QUEUES: Mapping[Lane, str] = {
    "interactive": "interactive_fast",
    "flex": "flex_bg",
    "batch": "batch_jobs",
}

# Size limits. Interactive: 8 MB or 100k rows is profiled well inside the 2.0 s p95 (CSV reads at
# ~2.85M rows/s on two cores; profiling and masking a sample take the rest). Batch: 100 MB (the
# supervisor's limit before lanes) or 1M rows, one hour of one node at the §46 batch floor.
INTERACTIVE_MAX_BYTES = 8 * 1024 * 1024
INTERACTIVE_MAX_ROWS = 100_000
BATCH_MIN_BYTES = 100 * 1024 * 1024
BATCH_MIN_ROWS = 1_000_000
#: Waiting interactive jobs at which new work goes to flex: two waiting jobs on the default pool
#: of two workers already cost a new one about a job's time (~1 s), half the p95, and §4 allows
#: no queueing beyond debounce.
INTERACTIVE_MAX_QUEUE = 2
#: Below this total budget, model work goes to the cost-optimized flex lane.
TIGHT_USD_CAP = Decimal("0.25")


@dataclass(frozen=True)
class LaneDeadline:
    """The deadlines of one lane (seconds) and where they come from.

    Attributes:
        queue_wait_s: how long a job may wait before a worker starts it; None = no deadline.
        job_s: how long one attempt may run before it is stopped with TIMEOUT.
        source: the spec clause or reasoning behind the numbers.
    """

    queue_wait_s: float | None
    job_s: float
    source: str


DEADLINES: Mapping[Lane, LaneDeadline] = {
    "interactive": LaneDeadline(
        0.5, 3.5, "§4 no queueing beyond debounce (1/4 of the §46 p95 2.0 s); §46 p99 3.5 s"
    ),
    "flex": LaneDeadline(180.0, 900.0, "§46 flex queue wait p95 <= 3 min; job: ours, 15 min"),
    "batch": LaneDeadline(
        None, 600.0, "§46 sets no batch wait; job bounded by the checkpoint MTTR <= 10 min"
    ),
}


@dataclass(frozen=True)
class LaneSignals:
    """The routing signals of §4 for one job.

    Attributes:
        job_type: what the job is.
        size_bytes: the size of its sources (0 when unknown).
        rows_estimate: the rows it reads, when known.
        sensitive: its data holds PII, or it sends data to a model.
        role: the §32 role of the person asking.
        usd_cap: the run's total budget in USD; None = no cap.
        providers_healthy: the inference providers it would use pass their health probes.
        queue_depth: jobs waiting per lane (a missing lane counts as 0).
    """

    job_type: JobType
    size_bytes: int
    role: Role
    rows_estimate: int | None = None
    sensitive: bool = False
    usd_cap: Decimal | None = None
    providers_healthy: bool = True
    queue_depth: Mapping[Lane, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LaneChoice:
    """The lane chosen for a job, as recorded on the ledger.

    Attributes:
        lane: the lane.
        reasons: why, in order, one short sentence each.
        hint: the ``lane_hint`` asked for, if any.
        overridden: a hint was given and not followed.
        deadline_s: the lane's job deadline (``DEADLINES[lane].job_s``).
        queue: the lane's Redis queue name.
        queue_wait_s: the lane's queue-wait deadline (None = none).
    """

    lane: Lane
    reasons: tuple[str, ...]
    hint: Lane | None
    overridden: bool
    deadline_s: float
    queue: str
    queue_wait_s: float | None


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _floor(s: LaneSignals) -> tuple[Lane, list[str]]:
    """Rule 2: the fastest lane the job type and size allow."""
    if s.job_type == "migration_chunk":
        return "batch", ["migration chunks run in batch (§4)"]
    if s.job_type == "eval":
        return "batch", ["golden-set evals run in batch (§4)"]
    rows = s.rows_estimate
    if s.job_type == "run":
        if s.size_bytes >= BATCH_MIN_BYTES:
            return "batch", [f"sources of {_mb(s.size_bytes)} reach the batch size"]
        if rows is not None and rows >= BATCH_MIN_ROWS:
            return "batch", [f"{rows:,} rows reach the batch size of {BATCH_MIN_ROWS:,}"]
    what = "large preview" if s.job_type == "preview" else "medium-sized run"
    if s.size_bytes > INTERACTIVE_MAX_BYTES:
        return "flex", [f"{what}: {_mb(s.size_bytes)} is above the interactive limit"]
    if rows is not None and rows > INTERACTIVE_MAX_ROWS:
        return "flex", [f"{what}: {rows:,} rows are above the interactive limit"]
    return "interactive", [f"small {s.job_type.replace('_', ' ')}: interactive"]


def _pressure(s: LaneSignals) -> list[str]:
    """Rule 3: what pushes interactive work to flex (empty = nothing)."""
    uses_models = s.sensitive and s.usd_cap != 0
    found = []
    if uses_models and not s.providers_healthy:
        found.append("providers unhealthy: model work leaves interactive (its SLO holds)")
    if uses_models and s.usd_cap is not None and s.usd_cap < TIGHT_USD_CAP:
        found.append(f"cost cap ${s.usd_cap} is tight: model work goes to cost-optimized flex")
    depth = s.queue_depth.get("interactive", 0)
    if depth >= INTERACTIVE_MAX_QUEUE:
        found.append(f"interactive queue holds {depth} jobs (limit {INTERACTIVE_MAX_QUEUE})")
    return found


def choose_lane(signals: LaneSignals, hint: Lane | None) -> LaneChoice:
    """Choose the lane of a job from its signals and the contract's ``lane_hint``.

    The rules are in the module docstring. The result names the lane, the reasons, whether the
    hint was overridden, and the lane's deadlines and queue.

    Args:
        signals: the routing signals of §4.
        hint: the contract's ``lane_hint`` (None when it has none).

    Returns:
        The choice, to record on the ledger.

    Raises:
        DeterministicFailure: the hint names no lane.
        PolicyBlock: a viewer asked for anything but a preview (§32: viewers cannot create runs).

    Example:
        >>> small = LaneSignals(job_type="run", size_bytes=2_000, role="analyst")
        >>> c = choose_lane(small, None)
        >>> c.lane, c.queue, c.deadline_s, c.overridden
        ('interactive', 'interactive_fast', 3.5, False)
        >>> choose_lane(small, "batch").reasons
        ('small run: interactive', 'lane_hint batch followed')
        >>> chunk = LaneSignals(job_type="migration_chunk", size_bytes=0, role="operator")
        >>> c = choose_lane(chunk, "interactive")
        >>> c.lane, c.overridden, c.reasons[-1]
        ('batch', True, 'lane_hint interactive overridden: migration chunks run in batch (§4)')
        >>> busy = LaneSignals("run", 2_000, "analyst", queue_depth={"interactive": 5})
        >>> choose_lane(busy, None).lane
        'flex'
    """
    if signals.role == "viewer" and signals.job_type != "preview":
        raise PolicyBlock(
            f"a viewer may not start a {signals.job_type.replace('_', ' ')} (§32)", field="role"
        )
    if hint is not None and hint not in LANES:
        raise DeterministicFailure(
            f"unknown lane_hint {hint!r}: one of {', '.join(LANES)}", field="lane_hint"
        )
    floor, reasons = _floor(signals)
    if floor == "interactive":
        pressure = _pressure(signals)
        if pressure:
            floor, reasons = "flex", reasons + pressure
    lane = floor
    if hint is not None:
        if LANES.index(hint) >= LANES.index(floor):
            lane = hint
            reasons.append(f"lane_hint {hint} followed")
        else:
            reasons.append(f"lane_hint {hint} overridden: {reasons[-1]}")
    deadline = DEADLINES[lane]
    return LaneChoice(
        lane=lane,
        reasons=tuple(reasons),
        hint=hint,
        overridden=hint is not None and hint != lane,
        deadline_s=deadline.job_s,
        queue=QUEUES[lane],
        queue_wait_s=deadline.queue_wait_s,
    )
