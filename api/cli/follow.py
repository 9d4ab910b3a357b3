"""``--follow``: live progress of a run, whichever process runs it, until it ends.

The follower only reads the control-plane store: the run's status, its ledger events as they are
appended, and its stages' progress rows (``supervisor.progress``). So it shows the same thing
whether the run executes in this process (a lane thread) or in a ``conduit worker`` elsewhere, and
killing the follower never stops the run. At a held gate it says what the gate waits for and how
to answer it, then keeps following until a person has answered and the run ends.

On a terminal the progress of the running stage is one line redrawn in place (a bar when the
total is known); elsewhere (logs, CI) a progress line is printed when the phase changes or every
``_QUIET_S`` seconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from core.db import Database
    from supervisor.progress import Progress

__all__ = ["TERMINAL", "follow", "progress_line"]

#: Statuses after which nothing more happens to a run.
TERMINAL = ("completed", "stopped:reject", "failed")
_QUIET_S = 5.0
_BAR = 24


def _size(value: int, unit: str) -> str:
    """A count for people.

    >>> _size(1_536_000_000, "bytes"), _size(12_345, "rows"), _size(3, "tables")
    ('1.54 GB', '12,345 rows', '3 tables')
    """
    if unit != "bytes":
        return f"{value:,} {unit}"
    for scale, name in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if value >= scale:
            return f"{value / scale:.2f} {name}"
    return f"{value} B"


def progress_line(p: Progress) -> str:
    """One stage's progress as a line: a bar when the total is known.

    >>> from supervisor.progress import Progress
    >>> progress_line(Progress("ingest", "reading t.csv", 50, 200, "bytes", 0.0))
    '  ingest     [######..................]  25%  50 B of 200 B  reading t.csv'
    >>> progress_line(Progress("ingest", "cataloging", 7, None, "steps", 0.0))
    '  ingest     cataloging'
    """
    fraction = p.fraction
    if fraction is None:
        done = f"  {_size(p.done, p.unit)}" if p.unit != "steps" and p.done else ""
        return f"  {p.stage:<10} {p.phase}{done}"
    filled = int(round(fraction * _BAR))
    bar = "#" * filled + "." * (_BAR - filled)
    total = p.total or 0
    amount = f"{_size(p.done, p.unit)} of {_size(total, p.unit)}"
    return f"  {p.stage:<10} [{bar}] {fraction:>4.0%}  {amount}  {p.phase}"


class _Screen:
    """Prints event lines, and progress lines either redrawn in place or throttled."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self._drawn = False
        self._last: tuple[str, str] | None = None
        self._last_at = 0.0

    def line(self, text: str) -> None:
        if self._drawn:
            sys.stdout.write("\r\x1b[2K")
            self._drawn = False
        typer.echo(text)

    def progress(self, p: Progress) -> None:
        text = progress_line(p)
        if self.tty:
            sys.stdout.write("\r\x1b[2K" + text[:200])
            sys.stdout.flush()
            self._drawn = True
            return
        now = time.monotonic()
        key = (p.stage, p.phase)
        if key != self._last or now - self._last_at >= _QUIET_S:
            self._last, self._last_at = key, now
            typer.echo(text)


def _event_line(e: Any) -> str:
    who = ""
    if e.human_confirmation.required and e.human_confirmation.actor:
        who = f"  by {e.human_confirmation.actor}"
    error = f"  {e.error_code}" if e.error_code else ""
    return f"  {e.stage:<10} {e.decision}{who}{error}"


def follow(
    db: Database,
    run_id: str,
    *,
    held_info: Callable[[], dict[str, Any] | None],
    job_done: Callable[[], bool] = lambda: False,
    interval: float = 0.2,
) -> str:
    """Show the run's events and progress until it ends; its final status.

    Returns early, with the status at that moment, when ``job_done`` says the process running
    it has stopped while the run is neither held nor finished (the caller reports why).
    """
    from ledger.store import PostgresLedger
    from supervisor.graph import run_status
    from supervisor.progress import read_progress

    screen = _Screen()
    seen = 0
    held_shown: str | None = None
    while True:
        with db.connect() as conn:
            events = PostgresLedger(conn).events(run_id)
        for e in events[seen:]:
            screen.line(_event_line(e))
        seen = len(events)
        status = run_status(db, run_id)
        if status in TERMINAL:
            return status
        if status == "held":
            head = events[-1].event_id if events else ""
            if held_shown != head:
                held_shown = head
                _show_hold(screen, run_id, held_info())
        else:
            held_shown = None
            if job_done():
                return status
            current = read_progress(db, run_id)
            if current:
                screen.progress(current[-1])
        time.sleep(interval)


def _show_hold(screen: _Screen, run_id: str, held: dict[str, Any] | None) -> None:
    if held is None:
        screen.line("  held: waiting for a decision")
        return
    reasons = "; ".join(held.get("reasons") or [])
    screen.line(f"  held at the {held['stage']} gate ({held['decision']}): {reasons}")
    allowed = "|".join(held.get("allowed") or [])
    screen.line(
        f"  waiting for a decision: conduit runs resume {run_id} --decision {allowed} "
        "--actor NAME --role ROLE"
    )
