"""The process around the app: settings from the environment, JSON logs, tracing, uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app_from_env", "serve"]


def app_from_env() -> FastAPI:
    """The app of this process's ``CONDUIT_*`` settings (uvicorn's factory)."""
    from api.cli.common import open_db
    from api.http.app import create_app
    from core.observability import configure_logging, configure_tracing
    from core.settings import Settings

    configure_logging()
    configure_tracing()
    return create_app(Settings(), db=open_db())


def serve(host: str, port: int, workers: int = 1) -> None:
    """Run the API on uvicorn until SIGINT/SIGTERM."""
    import uvicorn

    uvicorn.run(
        "api.http.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        server_header=False,
    )
