"""Records: the Supervisor Ledger (§30): event schema, append-only hash-chained log, and the
materialized per-run Decision Summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "Decision": "events",
    "EVENT_FIELDS": "events",
    "GENESIS_HASH": "events",
    "HumanConfirmation": "events",
    "LedgerEvent": "events",
    "Stage": "events",
    "StoredEvent": "events",
    "DecisionSummary": "store",
    "Ledger": "store",
    "PostgresLedger": "store",
    "Verification": "store",
    "fold": "summary",
    "empty_summary": "summary",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from ledger.events import (
        EVENT_FIELDS,
        GENESIS_HASH,
        Decision,
        HumanConfirmation,
        LedgerEvent,
        Stage,
        StoredEvent,
    )
    from ledger.store import DecisionSummary, Ledger, PostgresLedger, Verification
    from ledger.summary import empty_summary, fold
