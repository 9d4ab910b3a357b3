"""The process around the app: settings from the environment, JSON logs, tracing, uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app_from_env", "serve"]


def app_from_env() -> FastAPI:
    """The app of this process's ``CONDUIT_*`` settings (uvicorn's factory)."""
    from api.http.app import create_app
    from core.observability import configure_logging, configure_tracing
    from core.settings import Settings

    configure_logging()
    configure_tracing()
    # uvicorn handles SIGTERM itself (a graceful stop, then the embedded server's atexit), so
    # the CLI's own SIGTERM handler is not installed here.
    return create_app(Settings())


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
