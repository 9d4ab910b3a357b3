"""The job functions a lane executor may run: an allow-list, and nothing else.

A queued job names its function by dotted path (``"supervisor.jobs.echo_job"``). That path is
looked up in ``JOBS``, never imported: a payload in Redis cannot make a worker import or call
anything that is not listed here.

**Jobs run at least once.** A worker killed mid-job has its job run again on another worker, and a
transient failure is retried, so every job must be safe to run twice: what is done is decided by
the job's own records (chunk checkpoints and leases in PostgreSQL, content hashes, idempotent
ledger events), never by the queue. Arguments and results are JSON.

To add a job: write a module-level function taking keyword arguments of JSON values and
returning a JSON value, and add it to the tuple in ``JOBS`` below (``run_job(run_id, base)``,
which drives a run, goes here).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from core.errors import DeterministicFailure, error_for

__all__ = [
    "JOBS",
    "JSON",
    "JobFunction",
    "echo_job",
    "fail_job",
    "migration_job",
    "resolve_job",
    "run_job",
    "sleep_job",
    "stage_migration_job",
]

JSON: TypeAlias = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]
JobFunction: TypeAlias = Callable[..., JSON]


def echo_job(value: JSON) -> JSON:
    """Return ``value`` (a health probe of a lane: the round trip through a queue and a worker).

    >>> echo_job({"a": [1, 2]})
    {'a': [1, 2]}
    """
    return value


def sleep_job(seconds: float, marker_path: str | None = None) -> dict[str, JSON]:
    """Sleep, and say which process did it (a probe for deadlines, shutdown and re-runs).

    With ``marker_path``, appends ``start <pid>`` before sleeping and ``done <pid>`` after: a job
    run twice leaves two ``start`` lines, which is what the at-least-once tests read. That is the
    job's only effect, so running it twice is safe.

    >>> sleep_job(0)["slept"]
    0
    """
    marker = Path(marker_path) if marker_path else None
    if marker:
        with marker.open("a", encoding="utf-8") as f:
            f.write(f"start {os.getpid()}\n")
    time.sleep(seconds)
    if marker:
        with marker.open("a", encoding="utf-8") as f:
            f.write(f"done {os.getpid()}\n")
    return {"slept": seconds, "pid": os.getpid()}


def fail_job(code: str, message: str) -> JSON:
    """Raise the error of a §31 code (a probe for how failures travel back to the caller).

    >>> fail_job("POLICY_BLOCK", "no")
    Traceback (most recent call last):
    ...
    core.errors.PolicyBlock: no
    """
    raise error_for(code, message)


def run_job(
    run_id: str,
    base: str,
    action: str = "start",
    queue_depth: dict[str, int] | None = None,
    decision: str | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> dict[str, JSON]:
    """Drive a run on a lane (``supervisor.dispatch`` queues it): ``start`` it, or ``resume`` it
    (with ``decision``, ``actor`` and ``role`` when it is held), until it completes, fails or a
    gate holds it. The store is opened from this process's settings (``CONDUIT_*``).

    Safe to run twice: the graph continues from its PostgreSQL checkpoints and finds its
    artifacts and ledger events instead of writing them again. ``queue_depth`` is what the
    dispatcher saw, so the lane the supervisor records is the lane the run was queued on.
    """
    from core.db import open_database
    from core.settings import Settings
    from supervisor.graph import context_for, resume_run, start_run

    settings = Settings()
    secret = settings.pii_secret.get_secret_value() if settings.pii_secret else None
    if action not in ("start", "resume"):
        raise DeterministicFailure(
            f"unknown run action {action!r}: start or resume", field="action"
        )
    db = open_database(settings)
    try:
        ctx = context_for(
            db,
            run_id,
            base=Path(base),
            home=settings.home,
            secret=secret,
            env=os.environ,
            queue_depth=queue_depth,
        )
        if action == "start":
            state = start_run(ctx, run_id)
        else:
            state = resume_run(ctx, run_id, decision=decision, actor=actor, role=role)
    finally:
        db.dispose()
    return {"run_id": run_id, "status": state.get("status"), "lane": state.get("lane")}


def migration_job(migration_id: str) -> dict[str, JSON]:
    """Work one migration's pending chunks on the batch lane until none is left (any number of
    these run at once: chunk leases decide who does what). Safe to run twice: a chunk is staged
    once, whoever races for it."""
    from core.db import open_database
    from core.settings import Settings
    from specialists.migration.engine import EngineContext, work
    from specialists.migration.store import load_spec, migration_row
    from supervisor.policies import pii_key, stored_manifest

    settings = Settings()
    secret = settings.pii_secret.get_secret_value() if settings.pii_secret else None
    db = open_database(settings)
    try:
        spec, _ = load_spec(migration_row(db, migration_id))
        with db.connect() as conn:
            manifest = stored_manifest(conn, spec.policy_version)
        ctx = EngineContext(db=db, manifest=manifest, pii_key=pii_key(settings.home, secret))
        done = work(ctx, spec)
    finally:
        db.dispose()
    return {"migration_id": migration_id, "chunks": done, "pid": os.getpid()}


def stage_migration_job(run_id: str, base: str, fresh: bool = False) -> dict[str, JSON]:
    """Stage and validate a run's migration outside its graph (``POST .../migration`` of the
    HTTP API, like ``conduit migrations start``); promotion stays a separate, gated call. Safe to
    run twice: an unfinished attempt resumes from its chunk checkpoints, a finished one is
    returned as it is (unless ``fresh``)."""
    from core.contract import parse_contract
    from core.db import open_database
    from core.settings import Settings
    from supervisor.graph import context_for
    from supervisor.migration import redis_url_from, stage_migration
    from supervisor.runs import get_run

    settings = Settings()
    secret = settings.pii_secret.get_secret_value() if settings.pii_secret else None
    db = open_database(settings)
    try:
        ctx = context_for(db, run_id, base=Path(base), home=settings.home, secret=secret)
        summary = stage_migration(
            db,
            run_id,
            contract=parse_contract(get_run(db, run_id).contract),
            manifest=ctx.manifest,
            pii_key=ctx.pii_key,
            base=Path(base),
            env=os.environ,
            fresh=fresh,
            redis_url=redis_url_from(),
        )
    finally:
        db.dispose()
    return {"run_id": run_id, "status": str(summary.get("status")), "pid": os.getpid()}


def _path(fn: JobFunction) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


#: The allow-list: dotted path -> function. Extend the tuple to add a job.
JOBS: dict[str, JobFunction] = {
    _path(fn): fn
    for fn in (echo_job, sleep_job, fail_job, run_job, migration_job, stage_migration_job)
}


def resolve_job(path: str) -> JobFunction:
    """The allow-listed function named by ``path``.

    Raises:
        DeterministicFailure: ``path`` is not on the allow-list (nothing is imported).

    >>> resolve_job("supervisor.jobs.echo_job").__name__
    'echo_job'
    >>> resolve_job("os.system")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.errors.DeterministicFailure: job 'os.system' is not on the allow-list ...
    """
    try:
        return JOBS[path]
    except KeyError:
        raise DeterministicFailure(
            f"job {path!r} is not on the allow-list (supervisor.jobs.JOBS)", field="job"
        ) from None
