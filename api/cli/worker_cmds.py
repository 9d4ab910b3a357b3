"""``conduit worker``: serve one lane's Redis queue (registered in ``api.cli.main``)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["worker"]


def worker(
    lane: Annotated[
        str,
        typer.Option("--lane", help="Lane to serve: interactive, flex or batch.", metavar="NAME"),
    ],
    burst: Annotated[
        bool, typer.Option("--burst", help="Quit when the lane's queue is empty.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Worker processes for this lane.")
    ] = 1,
    heartbeat: Annotated[
        int,
        typer.Option("--heartbeat", min=1, help="Seconds between heartbeats of a running job."),
    ] = 10,
    grace: Annotated[
        int,
        typer.Option(
            "--grace",
            min=1,
            help="Seconds past a missed heartbeat before a job counts as abandoned.",
        ),
    ] = 30,
    maintenance: Annotated[
        int,
        typer.Option("--maintenance", min=1, help="Seconds between sweeps for abandoned jobs."),
    ] = 30,
) -> None:
    """Serve one lane's Redis queue (interactive_fast, flex_bg or batch_jobs) until SIGTERM.

    Needs CONDUIT_REDIS_URL: without Redis, lanes run on in-process thread pools and need no
    worker. The first SIGTERM lets the current job finish; a second puts it back on its queue.
    One JSON line per job goes to stdout.
    """
    from core.errors import DeterministicFailure
    from core.settings import Settings

    settings = Settings()
    if not settings.redis_url:
        raise DeterministicFailure(
            "conduit worker needs Redis: set CONDUIT_REDIS_URL. Without it, lanes run on "
            "in-process thread pools and need no worker.",
            field="CONDUIT_REDIS_URL",
        )
    from supervisor.worker import WorkerConfig, run_worker

    config = WorkerConfig(
        url=settings.redis_url,
        lane=lane,  # type: ignore[arg-type]  # checked by WorkerConfig
        burst=burst,
        concurrency=concurrency,
        heartbeat_s=heartbeat,
        grace_s=grace,
        maintenance_s=maintenance,
    )
    run_worker(config)
