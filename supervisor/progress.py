"""Live progress of a run's stages, shared through the control-plane store.

The process that runs a stage (the CLI itself, a thread of it, or a ``conduit worker`` on another
machine) reports progress through a :class:`ProgressReporter`; whoever follows the run
(``conduit runs start --follow``) reads it with :func:`read_progress`. Writes are throttled
(at most one every ``interval`` seconds per stage, plus the last one), each in its own short
transaction, so reporting never slows a stage down and never mixes with its records.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.progress import Unit

if TYPE_CHECKING:
    from core.db import Database

__all__ = ["Progress", "ProgressReporter", "Unit", "read_progress"]


@dataclass(frozen=True)
class Progress:
    """One stage's latest progress: ``done`` of ``total`` (None when unknown) ``unit``."""

    stage: str
    phase: str
    done: int
    total: int | None
    unit: Unit
    age_s: float  # seconds since it was written

    @property
    def fraction(self) -> float | None:
        """The share done, when the total is known.

        >>> Progress("ingest", "read", 5, 20, "bytes", 0.0).fraction
        0.25
        """
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class ProgressReporter:
    """Reports one run's progress; thread-safe; a no-op when built without a database."""

    def __init__(self, db: Database | None, run_id: str, *, interval: float = 0.25) -> None:
        self._db = db
        self._run_id = run_id
        self._interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(
        self,
        stage: str,
        phase: str,
        done: int,
        total: int | None = None,
        unit: Unit = "steps",
        *,
        force: bool = False,
    ) -> None:
        """Record that ``stage`` is at ``phase``, ``done`` of ``total`` ``unit``."""
        if self._db is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last.get(stage, -1e9) < self._interval:
                return
            self._last[stage] = now
        from sqlalchemy import text

        with self._db.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO run_progress (run_id, stage, phase, done, total, unit) "
                    "VALUES (:r, :s, :p, :d, :t, :u) ON CONFLICT (run_id, stage) DO UPDATE "
                    "SET phase = excluded.phase, done = excluded.done, total = excluded.total, "
                    "unit = excluded.unit, updated_at = now()"
                ),
                {"r": self._run_id, "s": stage, "p": phase, "d": done, "t": total, "u": unit},
            )


def read_progress(db: Database, run_id: str) -> list[Progress]:
    """Every stage's latest progress for ``run_id``, oldest first."""
    from sqlalchemy import text

    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT stage, phase, done, total, unit, "
                "extract(epoch FROM now() - updated_at) AS age "
                "FROM run_progress WHERE run_id = :r ORDER BY updated_at"
            ),
            {"r": run_id},
        ).all()
    return [Progress(r.stage, r.phase, r.done, r.total, r.unit, float(r.age)) for r in rows]
