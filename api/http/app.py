"""The HTTP API: ``create_app`` builds it, ``conduit serve`` runs it on uvicorn.

Handlers validate, call one supervisor or store function (the ones the CLI calls) and return.
Every route under ``/v1`` needs an API key (``Authorization: Bearer cdt_...``), is rate-limited
per key and sees only the key's tenant. Errors have one body (``api.http.errors``); responses
name the Policy Manifest and artifacts they used in ``X-Conduit-*`` headers; runs and artifacts
carry strong ETags. The OpenAPI document is at ``/openapi.json``, its pages at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from api.http.deps import Api
from api.http.errors import install_error_handlers
from api.http.observe import Metrics, ObserveMiddleware
from api.http.ratelimit import RateLimiter

if TYPE_CHECKING:
    from core.db import Database
    from core.settings import Settings
    from supervisor.executors import LaneExecutor

__all__ = ["create_app"]

VERSION = "1"


def create_app(
    settings: Settings,
    *,
    db: Database | None = None,
    executor: LaneExecutor | None = None,
    limiter: RateLimiter | None = None,
) -> FastAPI:
    """The API over the store of ``settings`` (or ``db``), queuing runs on ``executor`` (the
    settings' lanes by default: Redis queues with ``CONDUIT_REDIS_URL``, else thread pools)."""
    from api.http.routes import artifacts, domains, migrations, ops, policy, runs
    from core.db import open_database
    from supervisor.executors import executor_from_settings
    from supervisor.reference import ensure_reference_data

    database = db or open_database(settings)
    with database.begin() as conn:  # the bundled profiles and manifests, stored once
        ensure_reference_data(conn)
    api = Api(
        settings=settings,
        db=database,
        executor=executor or executor_from_settings(settings),
        limiter=limiter or RateLimiter(settings.api_rate, settings.api_burst, settings.redis_url),
        data_root=(settings.data_root or Path(".")).resolve(),
        metrics=Metrics(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        api.executor.close()
        if db is None:
            database.dispose()

    app = FastAPI(
        title="Conduit",
        version=VERSION,
        summary="Move data from a source to a target schema, safely: supervised, gated, audited.",
        lifespan=lifespan,
    )
    app.state.api = api
    install_error_handlers(app)
    for module in (ops, runs, artifacts, policy, domains, migrations):
        app.include_router(module.router)
    app.add_middleware(ObserveMiddleware, metrics=api.metrics)
    return app
