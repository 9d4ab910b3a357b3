"""Face: the ``conduit`` command line (Typer)."""

from __future__ import annotations

from api.cli.main import app, main

__all__ = ["app", "main"]
