"""Face: the HTTP API (FastAPI). ``create_app`` builds it; ``conduit serve`` runs it."""

from __future__ import annotations

from api.http.app import create_app

__all__ = ["create_app"]
