"""The Supervisor Ledger on PostgreSQL: append-only, hash-chained per run.

Two walls keep the ledger honest:

1. the database refuses UPDATE, DELETE and TRUNCATE on ``supervisor_ledger`` (triggers, see the
   first migration), so no application path can rewrite history;
2. every event is sealed with a hash over its fields and the previous event's hash, and the run's
   head (event count and last hash) is kept in ``decision_summaries``; :meth:`verify` recomputes
   the chain and names the first event that no longer matches, which catches a superuser who
   disabled the trigger and edited, removed or reordered events.

A superuser who rewrites the whole chain and the summary consistently is caught only by a copy of
the head hash kept elsewhere (export it, or use WORM storage as §39 suggests).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.db import require_transaction
from ledger.events import GENESIS_HASH, LedgerEvent, StoredEvent, seal
from ledger.summary import empty_summary, fold

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

__all__ = ["Ledger", "PostgresLedger", "Verification", "DecisionSummary"]

_COLUMNS = (
    "event_id, run_id, timestamp_utc, stage, decision, inputs_hash, outputs_hash, provider, "
    "model, params_hash, token_estimate, token_actual, usd_estimate, usd_actual, retries, "
    "fallback_chain, pii_mask_applied, local_only_override, policy_version, "
    "threshold_profile_id, dsl_version, error_code, error_detail_id, human_confirmation, "
    "seq, prev_hash, event_hash"
)


@dataclass(frozen=True)
class Verification:
    """The outcome of re-checking a run's chain."""

    run_id: str
    ok: bool
    events_checked: int
    problem: str | None = None
    event_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class DecisionSummary:
    """The materialized per-run summary (see ``ledger.summary.fold``)."""

    run_id: str
    event_count: int
    head_hash: str
    last_event_at: dt.datetime
    summary: dict[str, Any]


class Ledger(Protocol):
    """What every ledger implementation provides (see tests/ledger)."""

    def append(self, event: LedgerEvent) -> StoredEvent: ...

    def events(self, run_id: str) -> list[StoredEvent]: ...

    def verify(self, run_id: str) -> Verification: ...

    def summary(self, run_id: str) -> DecisionSummary | None: ...


def _event(row: Row[Any]) -> StoredEvent:
    data = dict(row._mapping)
    if isinstance(data["fallback_chain"], str):
        data["fallback_chain"] = json.loads(data["fallback_chain"])
    data["fallback_chain"] = tuple(data["fallback_chain"])
    data["prev_hash"] = data["prev_hash"].strip()
    data["event_hash"] = data["event_hash"].strip()
    for name in ("inputs_hash", "outputs_hash", "params_hash"):
        if data[name] is not None:
            data[name] = data[name].strip()
    return StoredEvent.model_validate(data)


class PostgresLedger:
    """The PostgreSQL ledger, bound to a connection (and so to the caller's transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, event: LedgerEvent) -> StoredEvent:
        """Append ``event`` to its run's chain and fold it into the Decision Summary."""
        from sqlalchemy import text

        conn = self._conn
        require_transaction(conn, "a ledger append")
        # One writer per run at a time: the chain is a sequence.
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"ledger:{event.run_id}"},
        )
        head = conn.execute(
            text(
                "SELECT event_count, head_hash, summary FROM decision_summaries WHERE run_id = :r"
            ),
            {"r": event.run_id},
        ).first()
        seq = 1 if head is None else head.event_count + 1
        prev = GENESIS_HASH if head is None else head.head_hash.strip()
        summary = empty_summary() if head is None else head.summary
        stored = StoredEvent(
            **event.model_dump(),
            seq=seq,
            prev_hash=prev,
            event_hash=seal(event, seq=seq, prev_hash=prev),
        )
        row = stored.model_dump(mode="json")
        row["fallback_chain"] = json.dumps(row["fallback_chain"])
        row["human_confirmation"] = json.dumps(row["human_confirmation"])
        row["timestamp_utc"] = stored.timestamp_utc
        row["usd_estimate"] = stored.usd_estimate
        row["usd_actual"] = stored.usd_actual
        names = [c.strip() for c in _COLUMNS.split(",")]
        conn.execute(
            text(
                f"INSERT INTO supervisor_ledger ({_COLUMNS}) VALUES ("
                + ", ".join(
                    f"CAST(:{n} AS jsonb)"
                    if n in ("fallback_chain", "human_confirmation")
                    else f":{n}"
                    for n in names
                )
                + ")"
            ),
            row,
        )
        conn.execute(
            text(
                "INSERT INTO decision_summaries (run_id, event_count, head_hash, last_event_at,"
                " summary) VALUES (:r, :n, :h, :t, CAST(:s AS jsonb))"
                " ON CONFLICT (run_id) DO UPDATE SET event_count = excluded.event_count,"
                " head_hash = excluded.head_hash,"
                " last_event_at = excluded.last_event_at, summary = excluded.summary"
            ),
            {
                "r": event.run_id,
                "n": seq,
                "h": stored.event_hash,
                "t": stored.timestamp_utc,
                "s": json.dumps(fold(summary, event)),
            },
        )
        return stored

    def events(self, run_id: str) -> list[StoredEvent]:
        """A run's events in chain order."""
        from sqlalchemy import text

        rows = self._conn.execute(
            text(f"SELECT {_COLUMNS} FROM supervisor_ledger WHERE run_id = :r ORDER BY seq"),
            {"r": run_id},
        ).all()
        return [_event(row) for row in rows]

    def summary(self, run_id: str) -> DecisionSummary | None:
        """The materialized Decision Summary of a run, or None when it has no events."""
        from sqlalchemy import text

        row = self._conn.execute(
            text(
                "SELECT run_id, event_count, head_hash, last_event_at, summary "
                "FROM decision_summaries WHERE run_id = :r"
            ),
            {"r": run_id},
        ).first()
        if row is None:
            return None
        return DecisionSummary(
            run_id=row.run_id,
            event_count=row.event_count,
            head_hash=row.head_hash.strip(),
            last_event_at=row.last_event_at.astimezone(dt.UTC),
            summary=row.summary,
        )

    def verify(self, run_id: str) -> Verification:
        """Recompute the run's chain; report the first event that breaks it."""
        from pydantic import ValidationError
        from sqlalchemy import text

        try:
            events = self.events(run_id)
        except (ValidationError, ValueError):
            # A row edited into something that is no longer an event: find and name it.
            rows = self._conn.execute(
                text(f"SELECT {_COLUMNS} FROM supervisor_ledger WHERE run_id = :r ORDER BY seq"),
                {"r": run_id},
            ).all()
            for i, row in enumerate(rows, start=1):
                try:
                    _event(row)
                except (ValidationError, ValueError):
                    return Verification(
                        run_id, False, i,
                        f"event {row.event_id} (seq {row.seq}) was altered after it was written "
                        "(its fields are no longer a valid event)",
                        row.event_id, row.seq,
                    )  # fmt: skip
            raise
        prev = GENESIS_HASH
        for expected_seq, event in enumerate(events, start=1):
            problem = None
            if event.seq != expected_seq:
                problem = f"is stored at seq {event.seq}, expected {expected_seq} (events removed?)"
            elif event.prev_hash != prev:
                problem = "does not link to the event before it (prev_hash differs)"
            elif seal(event, seq=event.seq, prev_hash=event.prev_hash) != event.event_hash:
                problem = "was altered after it was written (its fields no longer match its hash)"
            if problem:
                return Verification(
                    run_id,
                    False,
                    expected_seq,
                    f"event {event.event_id} (seq {event.seq}) {problem}",
                    event.event_id,
                    event.seq,
                )
            prev = event.event_hash
        head = self.summary(run_id)
        count = head.event_count if head else 0
        if count != len(events) or (events and head and head.head_hash != prev):
            last = events[-1] if events else None
            what = (
                f"the run's head records {count} events but {len(events)} are stored"
                if count != len(events)
                else "the run's head hash differs from the last event's hash"
            )
            return Verification(
                run_id,
                False,
                len(events),
                f"{what} (events removed, added or resealed outside the ledger)",
                last.event_id if last else None,
                last.seq if last else None,
            )
        return Verification(run_id, True, len(events))
