"""The progress callback that long steps report through, and a no-op for callers that don't.

Specialists take a :class:`ProgressFn` and call it as they go; the supervisor passes one that
writes to the control-plane store (``supervisor.progress.ProgressReporter``), so whoever follows
the run (``conduit runs start --follow``) sees it, whichever process runs the step.
"""

from __future__ import annotations

from typing import Literal, Protocol

__all__ = ["ProgressFn", "Unit", "no_progress"]

Unit = Literal["rows", "bytes", "tables", "steps", "columns", "cases"]


class ProgressFn(Protocol):
    """``report(stage, phase, done, total, unit, force=False)``: ``stage`` is at ``phase``, with
    ``done`` of ``total`` (None when unknown) ``unit``; ``force`` skips the caller's throttling."""

    def __call__(
        self,
        stage: str,
        phase: str,
        done: int,
        total: int | None = None,
        unit: Unit = "steps",
        *,
        force: bool = False,
    ) -> None: ...


def no_progress(
    stage: str,
    phase: str,
    done: int,
    total: int | None = None,
    unit: Unit = "steps",
    *,
    force: bool = False,
) -> None:
    """A :class:`ProgressFn` that reports nothing.

    >>> no_progress("ingest", "read", 1, 2, "rows") is None
    True
    """
