"""Orchestration: Run Contract checks and run records (the LangGraph graph, lanes, gates and
workers arrive with the supervisor issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "CreateResult": "runs",
    "match_columns": "matching",
    "RunRecord": "runs",
    "amend_contract": "runs",
    "create_run": "runs",
    "get_run": "runs",
    "ensure_reference_data": "reference",
    "GraphContext": "graph",
    "context_for": "graph",
    "resume_run": "graph",
    "start_run": "graph",
    "prune_checkpoints": "graph",
    "LaneChoice": "lanes",
    "LaneSignals": "lanes",
    "choose_lane": "lanes",
    "JobHandle": "executors",
    "LaneExecutor": "executors",
    "LanePolicy": "executors",
    "RedisLaneExecutor": "executors",
    "ThreadLaneExecutor": "executors",
    "executor_from_settings": "executors",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from supervisor.executors import (
        JobHandle,
        LaneExecutor,
        LanePolicy,
        RedisLaneExecutor,
        ThreadLaneExecutor,
        executor_from_settings,
    )
    from supervisor.graph import (
        GraphContext,
        context_for,
        prune_checkpoints,
        resume_run,
        start_run,
    )
    from supervisor.lanes import LaneChoice, LaneSignals, choose_lane
    from supervisor.matching import match_columns
    from supervisor.reference import ensure_reference_data
    from supervisor.runs import CreateResult, RunRecord, amend_contract, create_run, get_run
