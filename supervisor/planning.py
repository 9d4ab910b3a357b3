"""What the supervisor node plans before the first stage (§4): the lane and the stage budgets.

:func:`lane_signals` reads the routing signals of a run, :func:`lane_record` is the lane choice as
the graph state and the ledger hold it, and :func:`stage_budgets` allocates the per-stage budgets.
``supervisor.graph`` (its supervisor node, ``plan_lane``) and ``supervisor.dispatch`` use them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.errors import ContractError
from supervisor.lanes import QUEUES, LaneChoice, LaneSignals

if TYPE_CHECKING:
    from core.contract import RunContract
    from core.profiles import ThresholdProfile
    from supervisor.graph import GraphContext

__all__ = ["lane_record", "lane_signals", "stage_budgets"]


def stage_budgets(contract: RunContract, profile: ThresholdProfile) -> dict[str, Any]:
    """Per-stage budgets: the contract's caps, with token caps no higher than the profile's."""
    ceilings = {
        "domains": profile.budgets.domaining.tokens,
        "mapping": profile.budgets.mapping.tokens,
    }
    budgets: dict[str, Any] = {}
    for stage, cap in contract.budget_caps.items():
        tokens = min(cap.tokens, ceilings.get(stage, cap.tokens))
        budgets[stage] = {"tokens": tokens, "usd": str(cap.usd), "wall_time_s": cap.wall_time_s}
    return budgets


def lane_signals(ctx: GraphContext, contract: RunContract) -> LaneSignals:
    """The §4 routing signals of a run: the size of its source files (0 for SQL sources, whose
    row counts Ingest reads), whether data values flow (``data_mode``: samples may reach a
    model), the actor's role, the total USD cap, provider health and queue depth."""
    from specialists.ingest.run import source_files

    size = 0
    if contract.lhs.source.type == "file":
        try:
            size = sum(p.stat().st_size for p in source_files(contract, ctx.base))
        except (ContractError, OSError):
            size = 0  # Ingest reports a missing source, with its gate
    return LaneSignals(
        job_type="run",
        size_bytes=size,
        role=contract.rbac_actor.role,
        sensitive=contract.mode == "data_mode",
        usd_cap=sum((cap.usd for cap in contract.budget_caps.values()), Decimal(0)),
        providers_healthy=ctx.providers_healthy,
        queue_depth={k: v for k, v in ctx.queue_depth.items() if k in QUEUES},  # type: ignore[misc]
    )


def lane_record(choice: LaneChoice) -> dict[str, Any]:
    """The lane choice as the graph state and the supervisor's ledger event hold it."""
    return {
        "lane": choice.lane,
        "reasons": list(choice.reasons),
        "hint": choice.hint,
        "overridden": choice.overridden,
        "queue": choice.queue,
        "deadline_s": choice.deadline_s,
        "queue_wait_s": choice.queue_wait_s,
    }
