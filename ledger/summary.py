"""The per-run Decision Summary (§30): a fold over the run's events, materialized on append.

The summary is stored in ``decision_summaries`` and updated in the same transaction as each
append, so reading a run's state costs one row, not a scan. :func:`fold` is the one definition
of what it holds; a test re-folds the events and compares with the stored row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ledger.events import LedgerEvent

__all__ = ["empty_summary", "fold"]


def empty_summary() -> dict[str, Any]:
    """The summary of a run with no events."""
    return {
        "stages": {},
        "totals": {
            "token_estimate": 0,
            "token_actual": 0,
            "usd_estimate": "0.000000",
            "usd_actual": "0.000000",
            "retries": 0,
        },
        "errors": {},
        "awaiting_human": [],
    }


def _add_usd(total: str, value: Decimal | None) -> str:
    return total if value is None else format(Decimal(total) + value, "f")


def fold(summary: dict[str, Any], event: LedgerEvent) -> dict[str, Any]:
    """Return ``summary`` with ``event`` applied (pure: the input is not modified)."""
    stages = {name: dict(info) for name, info in summary["stages"].items()}
    stage = dict(stages.get(event.stage, {"decisions": {}}))
    decisions = dict(stage["decisions"])
    decisions[event.decision] = decisions.get(event.decision, 0) + 1
    stage.update(
        decisions=decisions,
        last_decision=event.decision,
        last_event_id=event.event_id,
        last_at=event.timestamp_utc.astimezone(dt.UTC).isoformat(),
    )
    stages[event.stage] = stage

    totals = dict(summary["totals"])
    totals["token_estimate"] += event.token_estimate or 0
    totals["token_actual"] += event.token_actual or 0
    totals["usd_estimate"] = _add_usd(totals["usd_estimate"], event.usd_estimate)
    totals["usd_actual"] = _add_usd(totals["usd_actual"], event.usd_actual)
    totals["retries"] += event.retries

    errors = dict(summary["errors"])
    if event.error_code:
        errors[event.error_code] = errors.get(event.error_code, 0) + 1

    awaiting = sorted(
        name for name, info in stages.items() if info["last_decision"] in ("hold", "escalate")
    )
    return {"stages": stages, "totals": totals, "errors": errors, "awaiting_human": awaiting}
